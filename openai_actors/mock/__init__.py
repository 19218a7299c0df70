"""An OpenAI-compatible mock HTTP server, for tests, examples and benchmarks.

Standard library and wsproto (the Realtime endpoint's WebSocket frames). Chat and legacy completions (plain or streamed as
Server-Sent Events), the Responses API, streamed Assistants runs,
embeddings, moderations, models, files and batches, with deterministic
"echo: ..." answers, and the Realtime API over WebSocket (``/v1/realtime``). ``MockServer``
runs it in a background thread (with fault injection, stream delays and
mid-stream faults, request recording, and rate limits enforced like OpenAI's);
``main`` / ``python -m openai_actors.mock`` runs it in the foreground.
"""

from ._cli import main
from ._server import MockServer
from ._types import Fault, RecordedMessage, RecordedRequest

__all__ = ["Fault", "MockServer", "RecordedMessage", "RecordedRequest", "main"]
