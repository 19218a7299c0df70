"""Every route of the OpenAPI description the mock has no hand-written handler for.

Answered from the generated table (``_generated_routes.py``, written by
``python -m codegen.mock_samples``): a sample JSON value built from the
response schema, a few bytes of the right media type, or a short Server-Sent
Events stream when the request asks to stream. Nothing is stored and requests
are not validated beyond being parseable: well-formed client code gets a
well-formed answer. Path parameters show through: a field named like one
(``thread_id``) takes its value, and the object a route is about takes the
route's last id as its ``id`` (``GET /v1/threads/t_1/runs/run_7`` answers the
run ``run_7`` of thread ``t_1``); a ``model`` in the request is echoed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from . import _multipart
from ._common import ApiError, Reply, Result, StreamReply, dumps
from ._generated_routes import BODIES, EVENTS, ROUTES, SAMPLES, Route
from ._http import Request
from ._stream import data_error_event

__all__ = ["GenericRoutes", "Match"]

_PREFIX: Final = "/v1/"
_STREAM_FLAGS: Final = frozenset((b"true", b"True", b"1"))


@dataclass(frozen=True, slots=True)
class Match:
    """A route and the path parameters of one request, in the route's order."""

    route: Route
    params: tuple[tuple[str, str], ...]


class _Template:
    """One route template and its operations by method."""

    __slots__ = ("methods", "params", "segments", "specificity", "trailing_param")

    def __init__(self, template: str) -> None:
        self.segments = template.strip("/").split("/")
        self.params = [seg[1:-1] if _is_param(seg) else None for seg in self.segments]
        # Literal segments win over parameters, leftmost first: /responses/compact
        # before /responses/{response_id}.
        self.specificity = tuple(name is not None for name in self.params)
        self.trailing_param = self.params[-1] is not None
        self.methods: dict[str, Route] = {}

    def bind(self, segments: list[str]) -> tuple[tuple[str, str], ...] | None:
        bound = []
        for literal, name, segment in zip(self.segments, self.params, segments, strict=True):
            if name is None:
                if segment != literal:
                    return None
            elif not segment:
                return None
            else:
                bound.append((name, unquote(segment)))
        return tuple(bound)


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


class GenericRoutes:
    """Matches a request to the table and answers it."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        templates: dict[str, _Template] = {}
        for route in routes:
            # /responses?beta=true is /responses again: the first one listed answers.
            path = route.template.partition("?")[0]
            template = templates.get(path)
            if template is None:
                template = templates[path] = _Template(path)
            template.methods.setdefault(route.method, route)
        self._by_length: dict[int, list[_Template]] = {}
        for template in sorted(templates.values(), key=lambda t: t.specificity):
            self._by_length.setdefault(len(template.segments), []).append(template)
        # Samples and streams rendered once; an answer that changes nothing reuses them.
        self._samples = {name: dumps(value) for name, value in SAMPLES.items()}
        self._events = {
            name: [_render_event(event, data) for event, data in items] for name, items in EVENTS.items()
        }

    def match(self, method: str, path: str) -> Match | list[str]:
        """The route answering ``method path``, or the methods its path allows (none: no such path)."""
        if not path.startswith(_PREFIX):
            return []
        segments = path[len(_PREFIX) :].split("/")
        allowed: list[str] = []
        for template in self._by_length.get(len(segments), ()):
            params = template.bind(segments)
            if params is None:
                continue
            route = template.methods.get(method)
            if route is not None:
                return Match(route, params)
            allowed += [name for name in template.methods if name not in allowed]
        return allowed

    def answer(self, request: Request, match: Match) -> Result:
        route = match.route
        payload = _read_body(request)
        if route.events is not None and _wants_stream(payload):
            return StreamReply(iter(self._events[route.events]), data_error_event)
        media = route.media_type
        if media == "application/json":
            assert route.sample is not None
            return self._json(route, match.params, payload)
        if not media:
            return route.status, b"", None
        return route.status, BODIES[media], {"content-type": media}

    def _json(self, route: Route, params: tuple[tuple[str, str], ...], payload: Any) -> Reply:
        assert route.sample is not None
        model = payload.get("model") if isinstance(payload, dict) else None
        if not params and not isinstance(model, str):
            return route.status, self._samples[route.sample], None
        value = json.loads(self._samples[route.sample])
        if isinstance(value, dict):
            _substitute(value, route, params, model if isinstance(model, str) else None)
        return route.status, dumps(value), None


def _substitute(
    value: dict[str, Any], route: Route, params: tuple[tuple[str, str], ...], model: str | None
) -> None:
    """Show the path parameters (and the requested model) in the answer."""
    if model is not None and isinstance(value.get("model"), str):
        value["model"] = model
    data = value.get("data")
    targets = (
        [value] + [item for item in data if isinstance(item, dict)] if isinstance(data, list) else [value]
    )
    for target in targets:
        for name, param in params:
            if name != "id" and isinstance(target.get(name), str):
                target[name] = param
    if not params or not isinstance(value.get("id"), str) or isinstance(data, list):
        return
    name, param = params[-1]
    if not (name == "model" or name.endswith("_id")):
        return
    if route.template.partition("?")[0].endswith("}") or _names_object(name, value.get("object")):
        value["id"] = param


def _names_object(param: str, kind: object) -> bool:
    """Whether an id parameter names an object of this kind: ``run_id`` a ``thread.run``,
    ``fine_tuning_job_id`` a ``fine_tuning.job``, ``batch_id`` a ``vector_store.files_batch``."""
    if not isinstance(kind, str):
        return False
    stem = param.removesuffix("_id")
    last = kind.removesuffix(".deleted").rsplit(".", 1)[-1]
    return stem.endswith(last) or last.endswith(stem)


def _read_body(request: Request) -> Any:
    """The request's JSON value or form fields ({name: bytes}); None without a body.

    Only parseability is checked: a 400 for a body that does not parse.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        try:
            parts = _multipart.parse(request.body, _multipart.boundary_of(content_type))
        except _multipart.MultipartError as error:
            raise ApiError(400, str(error), code="invalid_multipart") from None
        return {part.name: part.data for part in parts}
    if not request.body or not (content_type.startswith("application/json") or not content_type):
        return None
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        raise ApiError(
            400,
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
        ) from None


def _wants_stream(payload: Any) -> bool:
    """``"stream": true`` (or ``"stream_format": "sse"``), in JSON or as a form field."""
    if not isinstance(payload, dict):
        return False
    stream = payload.get("stream")
    if stream is True or (isinstance(stream, bytes) and stream.strip() in _STREAM_FLAGS):
        return True
    return payload.get("stream_format") in ("sse", b"sse")


def _render_event(event: str | None, data: Any) -> bytes:
    text = data if data == "[DONE]" else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event is not None else ""
    return f"{head}data: {text}\n\n".encode()
