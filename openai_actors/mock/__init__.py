"""An OpenAI-compatible mock HTTP server, for tests, examples and benchmarks.

Standard library only. Chat and legacy completions (plain or streamed as
Server-Sent Events), the Responses API, streamed Assistants runs,
embeddings, moderations, models, files and batches, with deterministic
"echo: ..." answers. ``MockServer``
runs it in a background thread (with fault injection, stream delays and
mid-stream faults, request recording, and rate limits enforced like OpenAI's);
``main`` / ``python -m openai_actors.mock`` runs it in the foreground.
"""

from ._cli import main
from ._server import MockServer
from ._types import Fault, RecordedRequest

__all__ = ["Fault", "MockServer", "RecordedRequest", "main"]
