"""An OpenAI-compatible mock HTTP server, for tests, examples and benchmarks.

Standard library only. ``MockServer`` runs it in a background thread (with
fault injection and request recording); ``main`` / ``python -m
openai_actors.mock`` runs it in the foreground.
"""

from ._cli import main
from ._server import MockServer
from ._types import Fault, RecordedRequest

__all__ = ["Fault", "MockServer", "RecordedRequest", "main"]
