"""The exception tree, with the official SDK's names, attributes and messages.

    OpenAIError
    ├── APIError                       message, request, body, code, param, type
    │   ├── APIStatusError             + response, status_code, request_id
    │   │   ├── BadRequestError             400
    │   │   ├── AuthenticationError         401
    │   │   │   └── OAuthError              the workload-identity token exchange refused the identity
    │   │   ├── PermissionDeniedError       403
    │   │   ├── NotFoundError               404
    │   │   ├── ConflictError               409
    │   │   ├── UnprocessableEntityError    422
    │   │   ├── RateLimitError              429
    │   │   └── InternalServerError         >= 500
    │   ├── APIConnectionError         the server could not be reached, or went away
    │   │   └── APITimeoutError
    │   └── APIResponseValidationError the server answered with something unusable
    ├── LengthFinishReasonError        `.parse`: the answer was cut at the token limit
    ├── ContentFilterFinishReasonError `.parse`: the content filter stopped the answer
    ├── ClientClosedError              the client was closed (this package's own)
    ├── KeyProviderError               the api_key callable failed (this package's own)
    ├── SubjectTokenProviderError      a workload identity's subject-token provider failed
    ├── RequestTooLargeError           more tokens than the per-minute limit (this package's own)
    ├── SharedLimitsError              the Redis server of the shared limits refused this client (its own)
    ├── WebSocketQueueFullError        realtime: the outgoing queue is over its byte budget
    ├── InvalidServerEventError (ValueError)  realtime: a server message that is no event (its own)
    └── ConnectionClosed               realtime: the WebSocket closed; code, reason
        ├── ConnectionClosedOK             closed normally (1000, 1001 asked by us): iteration ends
        └── ConnectionClosedError          closed abnormally, and not (or no longer) reconnecting
            └── WebSocketConnectionClosedError  ... with client events never sent: unsent_messages
    InvalidWebhookSignatureError (ValueError)

Every `APIError` also carries `attempts`: how many times the request was sent
before this error was final. `request` and `response` are real `httpx` objects,
built only when an error is raised, so code that inspects them keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "ContentFilterFinishReasonError",
    "InternalServerError",
    "InvalidServerEventError",
    "InvalidWebhookSignatureError",
    "KeyProviderError",
    "LengthFinishReasonError",
    "NotFoundError",
    "OAuthError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "SharedLimitsError",
    "SubjectTokenProviderError",
    "UnprocessableEntityError",
    "WebSocketConnectionClosedError",
    "WebSocketQueueFullError",
]


class OpenAIError(Exception):
    pass


class ClientClosedError(OpenAIError):
    """The client was closed before or while this request ran (your side closed it)."""


class KeyProviderError(OpenAIError):
    """The `api_key` callable raised or returned something that is not a usable key."""


class SubjectTokenProviderError(OpenAIError):
    """A workload identity's subject-token provider (a file, a metadata server) gave no token.

    `response` is the metadata server's answer when there was one.
    """

    response: httpx.Response | None

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class RequestTooLargeError(OpenAIError):
    """The request's estimated tokens exceed the tokens-per-minute limit: it could never be sent."""


class SharedLimitsError(OpenAIError):
    """The Redis server of `SharedLimits` refused this client (its credentials): no request can be admitted.

    An unreachable Redis is not this error: admissions wait for it, or fall
    back to this process's share (`on_unreachable`).
    """


class WebSocketQueueFullError(OpenAIError):
    """The realtime connection's outgoing queue would exceed `max_queue_size` bytes: the event was not queued."""


class InvalidServerEventError(OpenAIError, ValueError):
    """A realtime server message that is no event. A ValueError too, as the JSON error it replaces was.

    The connection is fine: the message was consumed, and the next `recv()` has the next one.
    """


class ConnectionClosed(OpenAIError):
    """The realtime WebSocket is closed: `code` and `reason` are the close frame's (1006: none came)."""

    code: int
    reason: str

    def __init__(self, code: int, reason: str = "", *, message: str | None = None) -> None:
        text = f"WebSocket connection closed: code {code}" + (f" ({reason})" if reason else "")
        super().__init__(message or text)
        self.code = code
        self.reason = reason


class ConnectionClosedOK(ConnectionClosed):
    """Closed normally: by `close()`, or by the server with 1000 or 1001."""


class ConnectionClosedError(ConnectionClosed):
    """Closed abnormally (a dropped connection, a server error), with no reconnection (left)."""


class WebSocketConnectionClosedError(ConnectionClosedError):
    """Closed abnormally while client events were still queued: they are in `unsent_messages`, never sent."""

    unsent_messages: list[str]

    def __init__(
        self, message: str, *, unsent_messages: list[str], code: int = 1006, reason: str = ""
    ) -> None:
        super().__init__(code, reason, message=message)
        self.unsent_messages = unsent_messages


class LengthFinishReasonError(OpenAIError):
    """`.parse` could not parse the answer: the model stopped at the token limit
    (`finish_reason == "length"`), so the content is cut short.

    `completion` is the chat completion as it came (its `usage` is in the message)."""

    completion: Any

    def __init__(self, *, completion: Any) -> None:
        message = "Could not parse response content as the length limit was reached"
        usage = getattr(completion, "usage", None)
        if usage:
            message += f" - {usage}"
        super().__init__(message)
        self.completion = completion


class ContentFilterFinishReasonError(OpenAIError):
    """`.parse` could not parse the answer: the content filter stopped it
    (`finish_reason == "content_filter"`)."""

    def __init__(self) -> None:
        super().__init__("Could not parse response content as the request was rejected by the content filter")


class APIError(OpenAIError):
    message: str
    request: httpx.Request
    body: object | None
    """The decoded JSON body of the error response, its text if it is not JSON, or None."""
    code: str | None = None
    param: str | None = None
    type: str | None
    attempts: int = 1
    """How many times the request was sent before this error was final."""

    def __init__(self, message: str, request: httpx.Request, *, body: object | None) -> None:
        super().__init__(message)
        self.request = request
        self.message = message
        self.body = body
        if isinstance(body, dict):
            code = body.get("code")
            self.code = str(code) if code is not None else None
            param = body.get("param")
            self.param = param if isinstance(param, str) else None
            kind = body.get("type")
            self.type = kind if isinstance(kind, str) else None
        else:
            self.code = None
            self.param = None
            self.type = None


class APIResponseValidationError(APIError):
    response: httpx.Response
    status_code: int

    def __init__(self, response: httpx.Response, body: object | None, *, message: str | None = None) -> None:
        super().__init__(
            message or "Data returned by API invalid for expected schema.", response.request, body=body
        )
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status."""

    response: httpx.Response
    status_code: int
    request_id: str | None

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("x-request-id")


class APIConnectionError(APIError):
    def __init__(self, *, message: str = "Connection error.", request: httpx.Request) -> None:
        super().__init__(message, request, body=None)


class APITimeoutError(APIConnectionError):
    def __init__(self, request: httpx.Request, *, message: str = "Request timed out.") -> None:
        super().__init__(message=message, request=request)


class BadRequestError(APIStatusError):
    status_code: Literal[400] = 400


class AuthenticationError(APIStatusError):
    status_code: Literal[401] = 401


class OAuthError(AuthenticationError):
    """The token endpoint refused the workload identity's exchange (400, 401 or 403).

    `error` is the OAuth error code ("invalid_grant", "invalid_subject_token", ...);
    the message is the server's `error_description` when it gave one.
    """

    error: str | None

    def __init__(self, *, response: httpx.Response, body: object | None) -> None:
        message = "OAuth authentication error."
        error = None
        if isinstance(body, dict):
            error = body.get("error")
            description = body.get("error_description")
            if isinstance(description, str) and description:
                message = description
        super().__init__(message, response=response, body=body)
        self.error = error if isinstance(error, str) else None


class PermissionDeniedError(APIStatusError):
    status_code: Literal[403] = 403


class NotFoundError(APIStatusError):
    status_code: Literal[404] = 404


class ConflictError(APIStatusError):
    status_code: Literal[409] = 409


class UnprocessableEntityError(APIStatusError):
    status_code: Literal[422] = 422


class RateLimitError(APIStatusError):
    status_code: Literal[429] = 429


class InternalServerError(APIStatusError):
    pass


class InvalidWebhookSignatureError(ValueError):
    """A webhook's signature, timestamp or headers did not verify."""


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)
