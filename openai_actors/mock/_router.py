"""The mock's application: every endpoint, routed, with the state of one server.

Stateless endpoints (chat, completions, embeddings, models, moderations) are
plain functions; responses, files and batches keep what they create here, per
server, and are used from the loop thread only. Every other route of the
OpenAPI description (and a method the hand-written routes lack, such as
``GET /v1/chat/completions``) is answered from generated samples (``_generic``).

Azure OpenAI's paths are answered as the same routes: ``/openai/X``,
``/openai/v1/X`` and ``/openai/deployments/{name}/X`` as ``/v1/X`` (``v1_path``), so the Azure
clients can be run against the mock; the recorded request keeps its own path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import unquote

from ._app import chat_completions, completions, embeddings, list_models, retrieve_model
from ._assistants import Assistants
from ._batches import Batches
from ._common import ApiError, Handler, ItemHandler, Result
from ._files import DEFAULT_MAX_STORAGE, Files
from ._generic import GenericRoutes, Match
from ._http import Request
from ._moderations import moderations
from ._responses import Responses
from ._websocket import REALTIME_PATH, without_upgrade

__all__ = ["App", "v1_path"]

_MODELS_PREFIX: Final = "/v1/models/"
_AZURE_PREFIX: Final = "/openai/"
_AZURE_DEPLOYMENTS: Final = "/openai/deployments/"
_AZURE_V1: Final = "/openai/v1/"


def v1_path(path: str) -> str:
    """An Azure OpenAI path as the OpenAI route it stands for; any other path as it is."""
    if path.startswith(_AZURE_V1):  # Azure's v1 API: the OpenAI routes under /openai/v1
        return path[len("/openai") :]
    if path.startswith(_AZURE_DEPLOYMENTS):
        _name, slash, rest = path[len(_AZURE_DEPLOYMENTS) :].partition("/")
        return "/v1/" + rest if slash else path
    if path.startswith(_AZURE_PREFIX):
        return "/v1/" + path[len(_AZURE_PREFIX) :]
    return path


class App:
    """Routes a request to its handler; answers errors in OpenAI's shape."""

    def __init__(
        self,
        *,
        next_number: Callable[[], int],
        notify: Callable[[], None],
        max_file_storage: int = DEFAULT_MAX_STORAGE,
        batch_delay: float = 0.0,
    ) -> None:
        self.responses = Responses()
        self.assistants = Assistants()
        self.files = Files(max_file_storage)
        self.batches = Batches(self.files, self.dispatch, next_number, notify, batch_delay)
        self.generic = GenericRoutes()
        self._routes: dict[str, dict[str, Handler]] = {
            "/v1/chat/completions": {"POST": chat_completions},
            "/v1/completions": {"POST": completions},
            "/v1/embeddings": {"POST": embeddings},
            "/v1/models": {"GET": list_models},
            "/v1/moderations": {"POST": moderations},
            "/v1/responses": {"POST": self.responses.create},
            "/v1/files": {"POST": self.files.upload, "GET": self.files.list_files},
            "/v1/batches": {"POST": self.batches.create, "GET": self.batches.list_batches},
            # Upgrades to WebSocket are taken before routing (_protocol.Connection._upgrade).
            REALTIME_PATH: {"GET": without_upgrade},
        }
        # /v1/{collection}/{id} and /v1/{collection}/{id}/{action}, keyed by
        # (collection, action), action "" for the object itself.
        self._item_routes: dict[tuple[str, str], dict[str, ItemHandler]] = {
            ("responses", ""): {"GET": self.responses.retrieve, "DELETE": self.responses.delete},
            ("responses", "cancel"): {"POST": self.responses.cancel},
            ("files", ""): {"GET": self.files.retrieve, "DELETE": self.files.delete},
            ("files", "content"): {"GET": self.files.download},
            ("batches", ""): {"GET": self.batches.retrieve},
            ("batches", "cancel"): {"POST": self.batches.cancel},
        }

    def dispatch(self, request: Request, number: int) -> Result:
        """Answer one request; ``number`` is the server-wide request counter."""
        try:
            if request.path.startswith(_AZURE_PREFIX):
                request.path = v1_path(request.path)
            methods = self._routes.get(request.path)
            if methods is None:
                if request.path.startswith("/v1/threads/"):
                    streamed = self.assistants.dispatch(request, number)
                    if streamed is not None:  # a streamed run; the rest is answered from samples
                        return streamed
                return self._dispatch_item(request, number)
            handler = methods.get(request.method)
            if handler is None:
                return self._dispatch_generic(request, number, methods)
            return handler(request, number)
        except ApiError as error:
            return error.reply()

    async def aclose(self) -> None:
        await self.batches.aclose()

    def _dispatch_item(self, request: Request, number: int) -> Result:
        path = request.path
        if path.startswith(_MODELS_PREFIX) and len(path) > len(_MODELS_PREFIX):
            # Model ids may contain slashes ("org/model"): the whole rest is the id.
            methods: dict[str, ItemHandler] | None = {"GET": retrieve_model}
            item_id = path[len(_MODELS_PREFIX) :]
        else:
            methods = None
            item_id = ""
            parts = path.split("/")
            if len(parts) in (4, 5) and parts[0] == "" and parts[1] == "v1" and parts[3]:
                item_id = parts[3]
                methods = self._item_routes.get((parts[2], parts[4] if len(parts) == 5 else ""))
        handler = None if methods is None else methods.get(request.method)
        if handler is None:
            return self._dispatch_generic(request, number, methods)
        return handler(request, number, unquote(item_id))

    def _dispatch_generic(
        self, request: Request, number: int, methods: dict[str, Handler] | dict[str, ItemHandler] | None
    ) -> Result:
        """The routes of the OpenAPI description with no handler here: answered from samples."""
        found = self.generic.match(request.method, request.path)
        if isinstance(found, Match):
            return self.generic.answer(request, found)
        allowed = list(methods or ()) + [method for method in found if method not in (methods or ())]
        if not allowed:
            raise ApiError(404, f"Invalid URL ({request.method} {request.path})", code="unknown_url")
        raise _not_allowed(request, allowed)


def _not_allowed(request: Request, methods: list[str]) -> ApiError:
    allowed = ", ".join(methods)
    return ApiError(
        405,
        f"Method {request.method} is not allowed for {request.path}; use {allowed}.",
        code="method_not_allowed",
        headers={"allow": allowed},
    )
