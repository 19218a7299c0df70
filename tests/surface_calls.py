"""The calls tests/test_generated_resources.py makes through the generated surface.

For every resource family of the client, one call per HTTP shape the family has
(a JSON create, a retrieve by path id, a list iterated across pages, a delete, a
multipart upload, a binary download, an event stream), each with what must come
back (the type, under its official module path; fields the mock derives from
the request) and what the mock must have received (method, path, query, body).

The calls are data, so the same table runs on the async client (asyncio, trio)
and on the sync one; `run_sync` / `run_async` make one call and check it.
Values that come from an earlier answer of the same family (an uploaded file's
id) are `Ref`s; file arguments are `Upload`s, materialized per run in each of
the forms the official SDK accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openai_actors import pagination
from openai_actors.mock import Fault, MockServer
from openai_actors.mock._generated_routes import SAMPLES
from openai_actors.mock._generic import GenericRoutes
from openai_actors.mock._multipart import boundary_of, parse
from openai_actors.mock._types import RecordedRequest
from openai_actors.types import (
    Batch,
    ContainerCreateResponse,
    ContainerListResponse,
    ContainerRetrieveResponse,
    ContentProvenanceCheck,
    CreateEmbeddingResponse,
    DeletedSkill,
    EvalCreateResponse,
    EvalDeleteResponse,
    EvalListResponse,
    EvalRetrieveResponse,
    FileDeleted,
    FileObject,
    ImagesResponse,
    Model,
    ModelDeleted,
    ModerationCreateResponse,
    Skill,
    VectorStore,
    VectorStoreDeleted,
    VectorStoreSearchResponse,
    Video,
    VideoDeleteResponse,
)
from openai_actors.types import (
    Upload as UploadObject,
)
from openai_actors.types.admin.organization import (
    AdminAPIKey,
    AdminAPIKeyCreateResponse,
    AuditLogListResponse,
    Group,
    Invite,
    OrganizationUser,
    Project,
    Role,
)
from openai_actors.types.admin.organization.projects import ProjectUser
from openai_actors.types.admin.organization.projects.groups import (
    RoleCreateResponse as ProjectGroupRoleCreated,
)
from openai_actors.types.audio import (
    Transcription,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
    TranscriptionTextSegmentEvent,
    Translation,
)
from openai_actors.types.beta import (
    Assistant,
    AssistantDeleted,
    BetaResponse,
    Thread,
    ThreadDeleted,
)
from openai_actors.types.beta.chatkit import ChatKitThread, ChatSession
from openai_actors.types.beta.realtime import SessionCreateResponse, TranscriptionSession
from openai_actors.types.beta.threads import Message
from openai_actors.types.beta.threads import Run as ThreadRun
from openai_actors.types.beta.threads.runs import RunStep
from openai_actors.types.chat import ChatCompletion, ChatCompletionDeleted, ChatCompletionStoreMessage
from openai_actors.types.containers import FileCreateResponse as ContainerFileCreated
from openai_actors.types.containers import FileRetrieveResponse as ContainerFileRetrieved
from openai_actors.types.conversations import Conversation, ConversationDeletedResource, ConversationItemList
from openai_actors.types.evals import RunCreateResponse, RunRetrieveResponse
from openai_actors.types.evals.runs import OutputItemListResponse
from openai_actors.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai_actors.types.fine_tuning.alpha import GraderRunResponse
from openai_actors.types.fine_tuning.checkpoints import PermissionDeleteResponse
from openai_actors.types.image_gen_completed_event import ImageGenCompletedEvent
from openai_actors.types.image_gen_partial_image_event import ImageGenPartialImageEvent
from openai_actors.types.realtime import ClientSecretCreateResponse
from openai_actors.types.skills import SkillVersion
from openai_actors.types.uploads import UploadPart
from openai_actors.types.vector_stores import VectorStoreFile, VectorStoreFileBatch

__all__ = ["CALLS", "FAMILIES", "Call", "Ref", "Upload", "run_async", "run_sync"]

Shape = Literal["json", "none", "page", "binary", "text", "stream"]
PageKind = Literal["Page", "CursorPage", "ConversationCursorPage", "NextCursorPage"]
Form = Literal["bytes", "path", "file", "tuple"]


@dataclass(frozen=True)
class Ref:
    """The attribute `attr` of the result an earlier call of the family saved as `name`."""

    name: str
    attr: str = "id"


@dataclass(frozen=True)
class Upload:
    """A file argument, given as `form`: bytes, a `pathlib.Path`, a binary file object, or a
    `(filename, content, content_type)` tuple. `filename` is what the server must see."""

    form: Form
    data: bytes
    name: str = "upload.bin"
    content_type: str = "application/octet-stream"

    @property
    def filename(self) -> str:
        # Bare bytes carry no name: the official SDK (httpx) and this one send "upload".
        return "upload" if self.form == "bytes" else self.name


@dataclass(frozen=True)
class Call:
    """One call, what it returns, what the server receives.

    `http` is "METHOD /v1/path", formatted with the family's saved results
    (`{upload.id}`). `returns` is the result's class (a page's items' class,
    a stream's events' classes); `fields` are attribute values the result (every
    item, for a page) must have. `query` and `body` are what the first request's
    query and JSON body must include; `form` the multipart fields (a file as
    its (filename, bytes)). A page is iterated to its end: `items` is how many it
    yields (None: not checked), and `paged` scripts a first page with one item
    and `has_more`, so that the iteration must ask for a second page with the
    shape's cursor. A binary answer must be `content`; a stream yields events
    named `events` (each one's `data`, for those in `event_data`, of that type).
    """

    family: str
    path: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    shape: Shape = "json"
    returns: type | tuple[type, ...] | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    http: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    form: Mapping[str, Any] | None = None
    page: PageKind | None = None
    items: int | None = None
    paged: bool = False
    content: bytes | None = None
    events: tuple[str, ...] = ()
    event_data: Mapping[str, type] = field(default_factory=dict)
    save: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path}{'' if self.save is None else '@' + self.save}"


# The bytes the mock answers for each binary media type (see _generated_routes.BODIES).
def _body_of(media_type: str) -> bytes:
    from openai_actors.mock._generated_routes import BODIES

    return BODIES[media_type]


AUDIO = _body_of("application/octet-stream")
ZIP = _body_of("application/zip")
MP4 = _body_of("video/mp4")

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(32))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
TEXT = b"a line\nanother line\n"


def _calls() -> Iterator[Call]:
    # --- chat ----------------------------------------------------------------------------
    chat = "chat"
    yield Call(
        chat,
        "chat.completions.create",
        kwargs={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
        returns=ChatCompletion,
        fields={"model": "gpt-4o-mini", "object": "chat.completion"},
        http="POST /v1/chat/completions",
        body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
    )
    yield Call(
        chat,
        "chat.completions.create",
        kwargs={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "s"}], "stream": True},
        shape="stream",
        http="POST /v1/chat/completions",
        body={"stream": True},
        events=("chat.completion.chunk",),
    )
    yield Call(
        chat,
        "chat.completions.retrieve",
        ("chatcmpl_7",),
        returns=ChatCompletion,
        fields={"id": "chatcmpl_7"},
        http="GET /v1/chat/completions/chatcmpl_7",
    )
    yield Call(
        chat,
        "chat.completions.update",
        ("chatcmpl_7",),
        {"metadata": {"topic": "tests"}},
        returns=ChatCompletion,
        fields={"id": "chatcmpl_7"},
        http="POST /v1/chat/completions/chatcmpl_7",
        body={"metadata": {"topic": "tests"}},
    )
    yield Call(
        chat,
        "chat.completions.list",
        kwargs={"model": "gpt-4o-mini", "limit": 3},
        shape="page",
        page="CursorPage",
        returns=ChatCompletion,
        http="GET /v1/chat/completions",
        query={"model": "gpt-4o-mini", "limit": "3"},
        paged=True,
        items=2,
    )
    yield Call(
        chat,
        "chat.completions.messages.list",
        ("chatcmpl_7",),
        shape="page",
        page="CursorPage",
        returns=ChatCompletionStoreMessage,
        http="GET /v1/chat/completions/chatcmpl_7/messages",
        items=1,
    )
    yield Call(
        chat,
        "chat.completions.delete",
        ("chatcmpl_7",),
        returns=ChatCompletionDeleted,
        fields={"id": "chatcmpl_7", "deleted": True},
        http="DELETE /v1/chat/completions/chatcmpl_7",
    )

    # --- completions, embeddings, moderations -----------------------------------------------
    from openai_actors.types import Completion

    yield Call(
        "completions",
        "completions.create",
        kwargs={"model": "gpt-3.5-turbo-instruct", "prompt": "say"},
        returns=Completion,
        fields={"model": "gpt-3.5-turbo-instruct"},
        http="POST /v1/completions",
        body={"model": "gpt-3.5-turbo-instruct", "prompt": "say"},
    )
    yield Call(
        "embeddings",
        "embeddings.create",
        kwargs={"model": "text-embedding-3-small", "input": ["a", "b"]},
        returns=CreateEmbeddingResponse,
        fields={"model": "text-embedding-3-small"},
        http="POST /v1/embeddings",
        body={"model": "text-embedding-3-small", "input": ["a", "b"]},
    )
    yield Call(
        "moderations",
        "moderations.create",
        kwargs={"model": "omni-moderation-latest", "input": "a nice day"},
        returns=ModerationCreateResponse,
        fields={"model": "omni-moderation-latest"},
        http="POST /v1/moderations",
        body={"input": "a nice day"},
    )

    # --- models --------------------------------------------------------------------------
    yield Call(
        "models",
        "models.retrieve",
        ("gpt-4o-mini",),
        returns=Model,
        fields={"id": "gpt-4o-mini", "object": "model"},
        http="GET /v1/models/gpt-4o-mini",
    )
    yield Call(
        "models",
        "models.list",
        shape="page",
        page="Page",
        returns=Model,
        http="GET /v1/models",
        items=4,  # the mock's four models, on one page
    )
    yield Call(
        "models",
        "models.delete",
        ("ft:gpt-4o-mini:org:custom:1",),
        returns=ModelDeleted,
        fields={"id": "ft:gpt-4o-mini:org:custom:1"},
        http="DELETE /v1/models/ft:gpt-4o-mini:org:custom:1",
    )

    # --- files (the mock keeps them: a real round trip) -----------------------------------
    files = "files"
    uploads = {
        "bytes": Upload("bytes", b"as bytes\n"),
        "path": Upload("path", b"from a path\n", "notes.txt", "text/plain"),
        "file": Upload("file", b"from a file object\n", "object.txt", "text/plain"),
        "tuple": Upload("tuple", b"from a tuple\n", "named.jsonl", "application/jsonl"),
    }
    for form, upload in uploads.items():
        yield Call(
            files,
            "files.create",
            kwargs={"file": upload, "purpose": "user_data"},
            returns=FileObject,
            fields={"filename": upload.filename, "bytes": len(upload.data), "purpose": "user_data"},
            http="POST /v1/files",
            form={"purpose": b"user_data", "file": (upload.filename, upload.data)},
            save=form,
        )
    yield Call(
        files,
        "files.retrieve",
        (Ref("tuple"),),
        returns=FileObject,
        fields={"id": Ref("tuple"), "filename": "named.jsonl"},
        http="GET /v1/files/{tuple.id}",
    )
    yield Call(
        files,
        "files.list",
        kwargs={"purpose": "user_data", "limit": 1, "order": "asc", "after": Ref("bytes")},
        shape="page",
        page="CursorPage",
        returns=FileObject,
        fields={"purpose": "user_data"},
        http="GET /v1/files",
        query={"purpose": "user_data", "limit": "1", "order": "asc", "after": "{bytes.id}"},
        items=3,  # the three uploaded after the first, one page each
    )
    for method, shape in (("content", "binary"), ("retrieve_content", "text")):
        yield Call(
            files,
            f"files.{method}",
            (Ref("path"),),
            shape=shape,
            http="GET /v1/files/{path.id}/content",
            content=b"from a path\n",
        )
    for form in uploads:
        yield Call(
            files,
            "files.delete",
            (Ref(form),),
            returns=FileDeleted,
            fields={"id": Ref(form), "deleted": True},
            http=f"DELETE /v1/files/{{{form}.id}}",
        )

    # --- images --------------------------------------------------------------------------
    yield Call(
        "images",
        "images.generate",
        kwargs={"prompt": "a cat", "model": "gpt-image-1", "size": "1024x1024"},
        returns=ImagesResponse,
        http="POST /v1/images/generations",
        body={"prompt": "a cat", "model": "gpt-image-1", "size": "1024x1024"},
    )
    yield Call(
        "images",
        "images.generate",
        kwargs={"prompt": "a cat", "model": "gpt-image-1", "stream": True, "partial_images": 1},
        shape="stream",
        returns=(ImageGenPartialImageEvent, ImageGenCompletedEvent),
        http="POST /v1/images/generations",
        body={"stream": True, "partial_images": 1},
        events=("image_generation.partial_image", "image_generation.completed"),
    )
    yield Call(
        "images",
        "images.edit",
        kwargs={
            "image": Upload("path", PNG, "cat.png", "image/png"),
            "mask": Upload("tuple", PNG, "mask.png", "image/png"),
            "prompt": "add a hat",
            "n": 2,
        },
        returns=ImagesResponse,
        http="POST /v1/images/edits",
        form={"image": ("cat.png", PNG), "mask": ("mask.png", PNG), "prompt": b"add a hat", "n": b"2"},
    )
    yield Call(
        "images",
        "images.create_variation",
        kwargs={"image": Upload("file", PNG, "cat.png", "image/png"), "size": "256x256"},
        returns=ImagesResponse,
        http="POST /v1/images/variations",
        form={"image": ("cat.png", PNG), "size": b"256x256"},
    )

    # --- audio ---------------------------------------------------------------------------
    yield Call(
        "audio",
        "audio.speech.create",
        kwargs={"model": "gpt-4o-mini-tts", "voice": "alloy", "input": "hello"},
        shape="binary",
        http="POST /v1/audio/speech",
        body={"model": "gpt-4o-mini-tts", "voice": "alloy", "input": "hello"},
        content=AUDIO,
    )
    yield Call(
        "audio",
        "audio.transcriptions.create",
        kwargs={"file": Upload("tuple", WAV, "speech.wav", "audio/wav"), "model": "whisper-1"},
        returns=Transcription,
        http="POST /v1/audio/transcriptions",
        form={"file": ("speech.wav", WAV), "model": b"whisper-1"},
    )
    yield Call(
        "audio",
        "audio.transcriptions.create",
        kwargs={"file": Upload("bytes", WAV), "model": "gpt-4o-transcribe", "stream": True},
        shape="stream",
        returns=(TranscriptionTextSegmentEvent, TranscriptionTextDeltaEvent, TranscriptionTextDoneEvent),
        http="POST /v1/audio/transcriptions",
        form={"file": ("upload", WAV), "model": b"gpt-4o-transcribe"},
        events=("transcript.text.segment", "transcript.text.delta", "transcript.text.done"),
    )
    yield Call(
        "audio",
        "audio.translations.create",
        kwargs={"file": Upload("path", WAV, "speech.wav", "audio/wav"), "model": "whisper-1"},
        returns=Translation,
        http="POST /v1/audio/translations",
        form={"file": ("speech.wav", WAV), "model": b"whisper-1"},
    )

    # --- fine_tuning ---------------------------------------------------------------------
    ft = "fine_tuning"
    yield Call(
        ft,
        "fine_tuning.jobs.create",
        kwargs={"model": "gpt-4o-mini-2024-07-18", "training_file": "file-train"},
        returns=FineTuningJob,
        fields={"model": "gpt-4o-mini-2024-07-18"},
        http="POST /v1/fine_tuning/jobs",
        body={"model": "gpt-4o-mini-2024-07-18", "training_file": "file-train"},
    )
    yield Call(
        ft,
        "fine_tuning.jobs.retrieve",
        ("ftjob-7",),
        returns=FineTuningJob,
        fields={"id": "ftjob-7"},
        http="GET /v1/fine_tuning/jobs/ftjob-7",
    )
    yield Call(
        ft,
        "fine_tuning.jobs.list",
        kwargs={"limit": 2},
        shape="page",
        page="CursorPage",
        returns=FineTuningJob,
        http="GET /v1/fine_tuning/jobs",
        query={"limit": "2"},
        paged=True,
        items=2,
    )
    yield Call(
        ft,
        "fine_tuning.jobs.list_events",
        ("ftjob-7",),
        shape="page",
        page="CursorPage",
        returns=FineTuningJobEvent,
        http="GET /v1/fine_tuning/jobs/ftjob-7/events",
        paged=True,
        items=2,
    )
    yield Call(
        ft,
        "fine_tuning.jobs.cancel",
        ("ftjob-7",),
        returns=FineTuningJob,
        fields={"id": "ftjob-7"},
        http="POST /v1/fine_tuning/jobs/ftjob-7/cancel",
    )
    yield Call(
        ft,
        "fine_tuning.checkpoints.permissions.delete",
        ("cp_perm_1",),
        {"fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:x:ckpt-step-1"},
        returns=PermissionDeleteResponse,
        fields={"id": "cp_perm_1", "deleted": True},
        http="DELETE /v1/fine_tuning/checkpoints/ft:gpt-4o-mini:org:x:ckpt-step-1/permissions/cp_perm_1",
    )
    yield Call(
        ft,
        "fine_tuning.alpha.graders.run",
        kwargs={
            "grader": {
                "type": "string_check",
                "name": "g",
                "input": "a",
                "reference": "a",
                "operation": "eq",
            },
            "model_sample": "a",
        },
        returns=GraderRunResponse,
        http="POST /v1/fine_tuning/alpha/graders/run",
        body={"model_sample": "a"},
    )

    # --- vector_stores -------------------------------------------------------------------
    vs = "vector_stores"
    yield Call(
        vs,
        "vector_stores.create",
        kwargs={"name": "docs", "file_ids": ["file-1"]},
        returns=VectorStore,
        http="POST /v1/vector_stores",
        body={"name": "docs", "file_ids": ["file-1"]},
    )
    yield Call(
        vs,
        "vector_stores.retrieve",
        ("vs_7",),
        returns=VectorStore,
        fields={"id": "vs_7", "object": "vector_store"},
        http="GET /v1/vector_stores/vs_7",
    )
    yield Call(
        vs,
        "vector_stores.update",
        ("vs_7",),
        {"name": "renamed"},
        returns=VectorStore,
        fields={"id": "vs_7"},
        http="POST /v1/vector_stores/vs_7",
        body={"name": "renamed"},
    )
    yield Call(
        vs,
        "vector_stores.list",
        kwargs={"limit": 5, "order": "asc"},
        shape="page",
        page="CursorPage",
        returns=VectorStore,
        http="GET /v1/vector_stores",
        query={"limit": "5", "order": "asc"},
        paged=True,
        items=2,
    )
    yield Call(
        vs,
        "vector_stores.search",
        ("vs_7",),
        {"query": "what is it", "max_num_results": 3},
        shape="page",
        page="Page",
        returns=VectorStoreSearchResponse,
        http="POST /v1/vector_stores/vs_7/search",
        body={"query": "what is it", "max_num_results": 3},
        items=1,
    )
    yield Call(
        vs,
        "vector_stores.files.create",
        ("vs_7",),
        {"file_id": "file-9"},
        returns=VectorStoreFile,
        fields={"vector_store_id": "vs_7"},
        http="POST /v1/vector_stores/vs_7/files",
        body={"file_id": "file-9"},
    )
    yield Call(
        vs,
        "vector_stores.files.retrieve",
        ("file-9",),
        {"vector_store_id": "vs_7"},
        returns=VectorStoreFile,
        fields={"id": "file-9", "vector_store_id": "vs_7"},
        http="GET /v1/vector_stores/vs_7/files/file-9",
    )
    yield Call(
        vs,
        "vector_stores.files.list",
        ("vs_7",),
        {"filter": "completed"},
        shape="page",
        page="CursorPage",
        returns=VectorStoreFile,
        fields={"vector_store_id": "vs_7"},
        http="GET /v1/vector_stores/vs_7/files",
        query={"filter": "completed"},
        paged=True,
        items=2,
    )
    yield Call(
        vs,
        "vector_stores.file_batches.create",
        ("vs_7",),
        {"file_ids": ["file-1", "file-2"]},
        returns=VectorStoreFileBatch,
        fields={"vector_store_id": "vs_7"},
        http="POST /v1/vector_stores/vs_7/file_batches",
        body={"file_ids": ["file-1", "file-2"]},
    )
    yield Call(
        vs,
        "vector_stores.file_batches.cancel",
        ("vsfb_3",),
        {"vector_store_id": "vs_7"},
        returns=VectorStoreFileBatch,
        fields={"id": "vsfb_3", "vector_store_id": "vs_7"},
        http="POST /v1/vector_stores/vs_7/file_batches/vsfb_3/cancel",
    )
    yield Call(
        vs,
        "vector_stores.files.delete",
        ("file-9",),
        {"vector_store_id": "vs_7"},
        fields={"id": "file-9", "deleted": True},
        http="DELETE /v1/vector_stores/vs_7/files/file-9",
    )
    yield Call(
        vs,
        "vector_stores.delete",
        ("vs_7",),
        returns=VectorStoreDeleted,
        fields={"id": "vs_7", "deleted": True},
        http="DELETE /v1/vector_stores/vs_7",
    )

    # --- beta: assistants, threads, messages, runs, steps, chatkit, realtime, responses ----
    beta = "beta"
    yield Call(
        beta,
        "beta.assistants.create",
        kwargs={"model": "gpt-4o", "name": "helper", "tools": [{"type": "code_interpreter"}]},
        returns=Assistant,
        fields={"model": "gpt-4o"},
        http="POST /v1/assistants",
        body={"model": "gpt-4o", "name": "helper", "tools": [{"type": "code_interpreter"}]},
    )
    yield Call(
        beta,
        "beta.assistants.retrieve",
        ("asst_7",),
        returns=Assistant,
        fields={"id": "asst_7"},
        http="GET /v1/assistants/asst_7",
    )
    yield Call(
        beta,
        "beta.assistants.list",
        kwargs={"order": "desc"},
        shape="page",
        page="CursorPage",
        returns=Assistant,
        http="GET /v1/assistants",
        query={"order": "desc"},
        paged=True,
        items=2,
    )
    yield Call(
        beta,
        "beta.assistants.delete",
        ("asst_7",),
        returns=AssistantDeleted,
        fields={"id": "asst_7", "deleted": True},
        http="DELETE /v1/assistants/asst_7",
    )
    yield Call(
        beta,
        "beta.threads.create",
        kwargs={"messages": [{"role": "user", "content": "hi"}]},
        returns=Thread,
        http="POST /v1/threads",
        body={"messages": [{"role": "user", "content": "hi"}]},
    )
    yield Call(
        beta,
        "beta.threads.retrieve",
        ("thread_7",),
        returns=Thread,
        fields={"id": "thread_7"},
        http="GET /v1/threads/thread_7",
    )
    yield Call(
        beta,
        "beta.threads.delete",
        ("thread_7",),
        returns=ThreadDeleted,
        fields={"id": "thread_7", "deleted": True},
        http="DELETE /v1/threads/thread_7",
    )
    yield Call(
        beta,
        "beta.threads.create_and_run",
        kwargs={"assistant_id": "asst_7", "stream": True},
        shape="stream",
        http="POST /v1/threads/runs",
        body={"assistant_id": "asst_7", "stream": True},
        events=("thread.run.created", "thread.message.delta", "thread.run.completed"),
        event_data={"thread.run.created": ThreadRun, "thread.run.completed": ThreadRun},
    )
    yield Call(
        beta,
        "beta.threads.messages.create",
        ("thread_7",),
        {"role": "user", "content": "hello"},
        returns=Message,
        fields={"thread_id": "thread_7"},
        http="POST /v1/threads/thread_7/messages",
        body={"role": "user", "content": "hello"},
    )
    yield Call(
        beta,
        "beta.threads.messages.retrieve",
        ("msg_3",),
        {"thread_id": "thread_7"},
        returns=Message,
        fields={"id": "msg_3", "thread_id": "thread_7"},
        http="GET /v1/threads/thread_7/messages/msg_3",
    )
    yield Call(
        beta,
        "beta.threads.messages.list",
        ("thread_7",),
        {"run_id": "run_5", "limit": 10},
        shape="page",
        page="CursorPage",
        returns=Message,
        fields={"thread_id": "thread_7"},
        http="GET /v1/threads/thread_7/messages",
        query={"run_id": "run_5", "limit": "10"},
        paged=True,
        items=2,
    )
    yield Call(
        beta,
        "beta.threads.runs.create",
        ("thread_7",),
        {"assistant_id": "asst_7", "instructions": "be brief"},
        returns=ThreadRun,
        fields={"thread_id": "thread_7"},
        http="POST /v1/threads/thread_7/runs",
        body={"assistant_id": "asst_7", "instructions": "be brief"},
    )
    yield Call(
        beta,
        "beta.threads.runs.retrieve",
        ("run_5",),
        {"thread_id": "thread_7"},
        returns=ThreadRun,
        fields={"id": "run_5", "thread_id": "thread_7"},
        http="GET /v1/threads/thread_7/runs/run_5",
    )
    yield Call(
        beta,
        "beta.threads.runs.submit_tool_outputs",
        ("run_5",),
        {"thread_id": "thread_7", "tool_outputs": [{"tool_call_id": "call_1", "output": "42"}]},
        returns=ThreadRun,
        fields={"id": "run_5", "thread_id": "thread_7"},
        http="POST /v1/threads/thread_7/runs/run_5/submit_tool_outputs",
        body={"tool_outputs": [{"tool_call_id": "call_1", "output": "42"}]},
    )
    yield Call(
        beta,
        "beta.threads.runs.cancel",
        ("run_5",),
        {"thread_id": "thread_7"},
        returns=ThreadRun,
        fields={"id": "run_5"},
        http="POST /v1/threads/thread_7/runs/run_5/cancel",
    )
    yield Call(
        beta,
        "beta.threads.runs.steps.retrieve",
        ("step_2",),
        {"thread_id": "thread_7", "run_id": "run_5"},
        returns=RunStep,
        fields={"id": "step_2", "run_id": "run_5", "thread_id": "thread_7"},
        http="GET /v1/threads/thread_7/runs/run_5/steps/step_2",
    )
    yield Call(
        beta,
        "beta.threads.runs.steps.list",
        ("run_5",),
        {"thread_id": "thread_7", "include": ["step_details.tool_calls[*].file_search.results[*].content"]},
        shape="page",
        page="CursorPage",
        returns=RunStep,
        fields={"run_id": "run_5"},
        http="GET /v1/threads/thread_7/runs/run_5/steps",
        query={"include[]": "step_details.tool_calls[*].file_search.results[*].content"},
        items=1,
    )
    yield Call(
        beta,
        "beta.chatkit.sessions.create",
        kwargs={"user": "user_1", "workflow": {"id": "wf_1"}},
        returns=ChatSession,
        http="POST /v1/chatkit/sessions",
        body={"user": "user_1", "workflow": {"id": "wf_1"}},
    )
    yield Call(
        beta,
        "beta.chatkit.threads.retrieve",
        ("cthr_7",),
        returns=ChatKitThread,
        fields={"id": "cthr_7"},
        http="GET /v1/chatkit/threads/cthr_7",
    )
    yield Call(
        beta,
        "beta.chatkit.threads.list",
        kwargs={"user": "user_1"},
        shape="page",
        page="ConversationCursorPage",
        returns=ChatKitThread,
        http="GET /v1/chatkit/threads",
        query={"user": "user_1"},
        paged=True,
        items=2,
    )
    yield Call(
        beta,
        "beta.realtime.sessions.create",
        kwargs={"model": "gpt-4o-realtime-preview", "modalities": ["text"]},
        returns=SessionCreateResponse,
        http="POST /v1/realtime/sessions",
        body={"model": "gpt-4o-realtime-preview", "modalities": ["text"]},
    )
    yield Call(
        beta,
        "beta.responses.create",
        kwargs={"model": "gpt-4o-mini", "input": "hello"},
        returns=BetaResponse,
        fields={"model": "gpt-4o-mini"},
        http="POST /v1/responses",
        query={"beta": "true"},
        body={"model": "gpt-4o-mini", "input": "hello"},
    )
    yield Call(
        beta,
        "beta.realtime.transcription_sessions.create",
        kwargs={"input_audio_format": "pcm16"},
        returns=TranscriptionSession,
        http="POST /v1/realtime/transcription_sessions",
        body={"input_audio_format": "pcm16"},
    )

    # --- batches (the mock keeps them) -------------------------------------------------------
    batch_input = b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    yield Call(
        "batches",
        "files.create",
        kwargs={"file": Upload("tuple", batch_input, "batch.jsonl", "application/jsonl"), "purpose": "batch"},
        returns=FileObject,
        http="POST /v1/files",
        save="input",
    )
    yield Call(
        "batches",
        "batches.create",
        kwargs={
            "input_file_id": Ref("input"),
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "metadata": {"run": "surface"},
        },
        returns=Batch,
        fields={"input_file_id": Ref("input"), "endpoint": "/v1/chat/completions"},
        http="POST /v1/batches",
        body={"endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"run": "surface"}},
        save="batch",
    )
    yield Call(
        "batches",
        "batches.retrieve",
        (Ref("batch"),),
        returns=Batch,
        fields={"id": Ref("batch"), "input_file_id": Ref("input")},
        http="GET /v1/batches/{batch.id}",
    )
    yield Call(
        "batches",
        "batches.list",
        kwargs={"limit": 1},
        shape="page",
        page="CursorPage",
        returns=Batch,
        http="GET /v1/batches",
        query={"limit": "1"},
    )
    yield Call(
        "batches",
        "batches.cancel",
        (Ref("batch"),),
        returns=Batch,
        fields={"id": Ref("batch"), "status": "cancelling"},
        http="POST /v1/batches/{batch.id}/cancel",
    )

    # --- uploads -------------------------------------------------------------------------
    yield Call(
        "uploads",
        "uploads.create",
        kwargs={"bytes": 12, "filename": "big.jsonl", "mime_type": "application/jsonl", "purpose": "batch"},
        returns=UploadObject,
        http="POST /v1/uploads",
        body={"bytes": 12, "filename": "big.jsonl", "mime_type": "application/jsonl", "purpose": "batch"},
    )
    yield Call(
        "uploads",
        "uploads.parts.create",
        ("upload_7",),
        {"data": Upload("file", b"twelve bytes", "part.bin")},
        returns=UploadPart,
        fields={"upload_id": "upload_7"},
        http="POST /v1/uploads/upload_7/parts",
        form={"data": ("part.bin", b"twelve bytes")},
    )
    yield Call(
        "uploads",
        "uploads.complete",
        ("upload_7",),
        {"part_ids": ["part_1"], "md5": "abc"},
        returns=UploadObject,
        fields={"id": "upload_7"},
        http="POST /v1/uploads/upload_7/complete",
        body={"part_ids": ["part_1"], "md5": "abc"},
    )
    yield Call(
        "uploads",
        "uploads.cancel",
        ("upload_7",),
        returns=UploadObject,
        fields={"id": "upload_7"},
        http="POST /v1/uploads/upload_7/cancel",
    )

    # --- admin.organization ----------------------------------------------------------------
    admin = "admin"
    org = "admin.organization"
    yield Call(
        admin,
        f"{org}.admin_api_keys.create",
        kwargs={"name": "ci"},
        returns=AdminAPIKeyCreateResponse,
        http="POST /v1/organization/admin_api_keys",
        body={"name": "ci"},
    )
    yield Call(
        admin,
        f"{org}.admin_api_keys.retrieve",
        ("key_7",),
        returns=AdminAPIKey,
        fields={"id": "key_7"},
        http="GET /v1/organization/admin_api_keys/key_7",
    )
    yield Call(
        admin,
        f"{org}.admin_api_keys.list",
        kwargs={"limit": 2},
        shape="page",
        page="CursorPage",
        returns=AdminAPIKey,
        http="GET /v1/organization/admin_api_keys",
        query={"limit": "2"},
        paged=True,
        items=2,
    )
    yield Call(
        admin,
        f"{org}.audit_logs.list",
        kwargs={"limit": 5, "event_types": ["project.created"], "effective_at": {"gte": 1}},
        shape="page",
        page="ConversationCursorPage",
        returns=AuditLogListResponse,
        http="GET /v1/organization/audit_logs",
        query={"limit": "5", "event_types[]": "project.created", "effective_at[gte]": "1"},
        paged=True,
        items=2,
    )
    yield Call(
        admin,
        f"{org}.invites.create",
        kwargs={"email": "a@example.com", "role": "reader"},
        returns=Invite,
        http="POST /v1/organization/invites",
        body={"email": "a@example.com", "role": "reader"},
    )
    yield Call(
        admin,
        f"{org}.users.retrieve",
        ("user_7",),
        returns=OrganizationUser,
        fields={"id": "user_7"},
        http="GET /v1/organization/users/user_7",
    )
    yield Call(
        admin,
        f"{org}.groups.list",
        kwargs={"limit": 2},
        shape="page",
        page="NextCursorPage",
        returns=Group,
        http="GET /v1/organization/groups",
        query={"limit": "2"},
        paged=True,
        items=2,
    )
    yield Call(
        admin,
        f"{org}.roles.retrieve",
        ("role_7",),
        returns=Role,
        fields={"id": "role_7"},
        http="GET /v1/organization/roles/role_7",
    )
    yield Call(
        admin,
        f"{org}.projects.create",
        kwargs={"name": "proj"},
        returns=Project,
        http="POST /v1/organization/projects",
        body={"name": "proj"},
    )
    yield Call(
        admin,
        f"{org}.projects.retrieve",
        ("proj_7",),
        returns=Project,
        fields={"id": "proj_7"},
        http="GET /v1/organization/projects/proj_7",
    )
    yield Call(
        admin,
        f"{org}.projects.archive",
        ("proj_7",),
        returns=Project,
        fields={"id": "proj_7"},
        http="POST /v1/organization/projects/proj_7/archive",
    )
    yield Call(
        admin,
        f"{org}.projects.users.retrieve",
        ("user_7",),
        {"project_id": "proj_7"},
        returns=ProjectUser,
        fields={"id": "user_7"},
        http="GET /v1/organization/projects/proj_7/users/user_7",
    )
    yield Call(
        admin,
        f"{org}.projects.groups.roles.create",
        ("group_3",),
        {"project_id": "proj_7", "role_id": "role_2"},
        returns=ProjectGroupRoleCreated,
        http="POST /v1/projects/proj_7/groups/group_3/roles",
        body={"role_id": "role_2"},
    )
    yield Call(
        admin,
        f"{org}.projects.users.delete",
        ("user_7",),
        {"project_id": "proj_7"},
        fields={"id": "user_7", "deleted": True},
        http="DELETE /v1/organization/projects/proj_7/users/user_7",
    )
    yield Call(
        admin,
        f"{org}.usage.completions",
        kwargs={"start_time": 1700000000, "bucket_width": "1d", "group_by": ["model"]},
        fields={"object": "page"},
        http="GET /v1/organization/usage/completions",
        query={"start_time": "1700000000", "bucket_width": "1d", "group_by[]": "model"},
    )

    # --- evals ---------------------------------------------------------------------------
    evals = "evals"
    yield Call(
        evals,
        "evals.create",
        kwargs={
            "name": "e",
            "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
            "testing_criteria": [
                {"type": "string_check", "name": "c", "input": "a", "reference": "a", "operation": "eq"}
            ],
        },
        returns=EvalCreateResponse,
        http="POST /v1/evals",
        body={"name": "e"},
    )
    yield Call(
        evals,
        "evals.retrieve",
        ("eval_7",),
        returns=EvalRetrieveResponse,
        fields={"id": "eval_7"},
        http="GET /v1/evals/eval_7",
    )
    yield Call(
        evals,
        "evals.list",
        kwargs={"order_by": "updated_at"},
        shape="page",
        page="CursorPage",
        returns=EvalListResponse,
        http="GET /v1/evals",
        query={"order_by": "updated_at"},
        paged=True,
        items=2,
    )
    yield Call(
        evals,
        "evals.runs.create",
        ("eval_7",),
        {"data_source": {"type": "jsonl", "source": {"type": "file_id", "id": "file-1"}}},
        returns=RunCreateResponse,
        fields={"eval_id": "eval_7"},
        http="POST /v1/evals/eval_7/runs",
        body={"data_source": {"type": "jsonl", "source": {"type": "file_id", "id": "file-1"}}},
    )
    yield Call(
        evals,
        "evals.runs.retrieve",
        ("evalrun_5",),
        {"eval_id": "eval_7"},
        returns=RunRetrieveResponse,
        fields={"id": "evalrun_5", "eval_id": "eval_7"},
        http="GET /v1/evals/eval_7/runs/evalrun_5",
    )
    yield Call(
        evals,
        "evals.runs.output_items.list",
        ("evalrun_5",),
        {"eval_id": "eval_7", "status": "fail"},
        shape="page",
        page="CursorPage",
        returns=OutputItemListResponse,
        fields={"eval_id": "eval_7", "run_id": "evalrun_5"},
        http="GET /v1/evals/eval_7/runs/evalrun_5/output_items",
        query={"status": "fail"},
        items=1,
    )
    yield Call(
        evals,
        "evals.delete",
        ("eval_7",),
        returns=EvalDeleteResponse,
        fields={"eval_id": "eval_7", "deleted": True},
        http="DELETE /v1/evals/eval_7",
    )

    # --- containers ----------------------------------------------------------------------
    ctr = "containers"
    yield Call(
        ctr,
        "containers.create",
        kwargs={"name": "box", "file_ids": ["file-1"]},
        returns=ContainerCreateResponse,
        http="POST /v1/containers",
        body={"name": "box", "file_ids": ["file-1"]},
    )
    yield Call(
        ctr,
        "containers.retrieve",
        ("cntr_7",),
        returns=ContainerRetrieveResponse,
        fields={"id": "cntr_7"},
        http="GET /v1/containers/cntr_7",
    )
    yield Call(
        ctr,
        "containers.list",
        shape="page",
        page="CursorPage",
        returns=ContainerListResponse,
        http="GET /v1/containers",
        paged=True,
        items=2,
    )
    yield Call(
        ctr,
        "containers.files.create",
        ("cntr_7",),
        {"file": Upload("path", b"print(1)\n", "script.py", "text/x-python")},
        returns=ContainerFileCreated,
        fields={"container_id": "cntr_7"},
        http="POST /v1/containers/cntr_7/files",
        form={"file": ("script.py", b"print(1)\n")},
    )
    yield Call(
        ctr,
        "containers.files.retrieve",
        ("cfile_3",),
        {"container_id": "cntr_7"},
        returns=ContainerFileRetrieved,
        fields={"id": "cfile_3", "container_id": "cntr_7"},
        http="GET /v1/containers/cntr_7/files/cfile_3",
    )
    yield Call(
        ctr,
        "containers.files.content.retrieve",
        ("cfile_3",),
        {"container_id": "cntr_7"},
        shape="binary",
        http="GET /v1/containers/cntr_7/files/cfile_3/content",
        content=AUDIO,  # the mock's application/octet-stream bytes
    )
    yield Call(
        ctr,
        "containers.files.delete",
        ("cfile_3",),
        {"container_id": "cntr_7"},
        shape="none",
        http="DELETE /v1/containers/cntr_7/files/cfile_3",
    )
    yield Call(ctr, "containers.delete", ("cntr_7",), shape="none", http="DELETE /v1/containers/cntr_7")

    # --- skills --------------------------------------------------------------------------
    sk = "skills"
    yield Call(
        sk,
        "skills.create",
        kwargs={
            "files": [
                Upload("tuple", b"# Skill\n", "SKILL.md", "text/markdown"),
                Upload("bytes", b"print(2)\n"),
            ]
        },
        returns=Skill,
        http="POST /v1/skills",
        form={"files[]": ("SKILL.md", b"# Skill\n")},
    )
    yield Call(
        sk,
        "skills.retrieve",
        ("skill_7",),
        returns=Skill,
        fields={"id": "skill_7"},
        http="GET /v1/skills/skill_7",
    )
    yield Call(
        sk,
        "skills.update",
        ("skill_7",),
        {"default_version": "2"},
        returns=Skill,
        fields={"id": "skill_7"},
        http="POST /v1/skills/skill_7",
        body={"default_version": "2"},
    )
    yield Call(
        sk,
        "skills.list",
        kwargs={"limit": 3},
        shape="page",
        page="CursorPage",
        returns=Skill,
        http="GET /v1/skills",
        query={"limit": "3"},
        paged=True,
        items=2,
    )
    yield Call(
        sk,
        "skills.content.retrieve",
        ("skill_7",),
        shape="binary",
        http="GET /v1/skills/skill_7/content",
        content=ZIP,
    )
    yield Call(
        sk,
        "skills.versions.create",
        ("skill_7",),
        {"files": [Upload("file", b"# Skill v2\n", "SKILL.md", "text/markdown")]},
        returns=SkillVersion,
        fields={"skill_id": "skill_7"},
        http="POST /v1/skills/skill_7/versions",
        form={"files[]": ("SKILL.md", b"# Skill v2\n")},
    )
    yield Call(
        sk,
        "skills.versions.retrieve",
        ("3",),
        {"skill_id": "skill_7"},
        returns=SkillVersion,
        fields={"skill_id": "skill_7"},
        http="GET /v1/skills/skill_7/versions/3",
    )
    yield Call(
        sk,
        "skills.versions.content.retrieve",
        ("3",),
        {"skill_id": "skill_7"},
        shape="binary",
        http="GET /v1/skills/skill_7/versions/3/content",
        content=ZIP,
    )
    yield Call(
        sk,
        "skills.delete",
        ("skill_7",),
        returns=DeletedSkill,
        fields={"id": "skill_7", "deleted": True},
        http="DELETE /v1/skills/skill_7",
    )

    # --- videos --------------------------------------------------------------------------
    vid = "videos"
    yield Call(
        vid,
        "videos.create",
        kwargs={
            "prompt": "waves",
            "model": "sora-2",
            "seconds": "4",
            "input_reference": Upload("tuple", PNG, "first.png", "image/png"),
        },
        returns=Video,
        http="POST /v1/videos",
        form={"prompt": b"waves", "model": b"sora-2", "seconds": b"4", "input_reference": ("first.png", PNG)},
    )
    yield Call(
        vid,
        "videos.retrieve",
        ("video_7",),
        returns=Video,
        fields={"id": "video_7"},
        http="GET /v1/videos/video_7",
    )
    yield Call(
        vid,
        "videos.list",
        kwargs={"order": "asc"},
        shape="page",
        page="ConversationCursorPage",
        returns=Video,
        http="GET /v1/videos",
        query={"order": "asc"},
        paged=True,
        items=2,
    )
    yield Call(
        vid,
        "videos.download_content",
        ("video_7",),
        {"variant": "video"},
        shape="binary",
        http="GET /v1/videos/video_7/content",
        query={"variant": "video"},
        content=MP4,
    )
    yield Call(
        vid,
        "videos.remix",
        ("video_7",),
        {"prompt": "at night"},
        returns=Video,
        http="POST /v1/videos/video_7/remix",
        body={"prompt": "at night"},
    )
    yield Call(
        vid,
        "videos.delete",
        ("video_7",),
        returns=VideoDeleteResponse,
        fields={"id": "video_7", "deleted": True},
        http="DELETE /v1/videos/video_7",
    )

    # --- content_provenance_checks ---------------------------------------------------------
    yield Call(
        "content_provenance_checks",
        "content_provenance_checks.create",
        kwargs={"file": Upload("path", PNG, "photo.png", "image/png")},
        returns=ContentProvenanceCheck,
        http="POST /v1/content_provenance_checks",
        form={"file": ("photo.png", PNG)},
    )

    # --- responses (not in the 3.3.1 table; overrides.toml [extra_methods]) --------------------
    # A stored response's life: created, streamed again, cancelled, its input items, deleted
    # (the mock's own handler keeps it). Depending on a saved id, these are not compared with
    # the official SDK's requests; the family after them is.
    from openai_actors.types.responses import (
        CompactedResponse,
        InputTokenCountResponse,
        Response,
        ResponseInputMessageItem,
    )

    yield Call(
        "responses",
        "responses.create",
        kwargs={"model": "gpt-4o-mini", "input": "hello", "store": True},
        returns=Response,
        fields={"model": "gpt-4o-mini", "status": "completed"},
        http="POST /v1/responses",
        body={"model": "gpt-4o-mini", "input": "hello"},
        save="resp",
    )
    yield Call(
        "responses",
        "responses.retrieve",
        (Ref("resp"),),
        returns=Response,
        fields={"id": Ref("resp")},
        http="GET /v1/responses/{resp.id}",
    )
    yield Call(
        "responses",
        "responses.retrieve",
        (Ref("resp"),),
        {"stream": True, "starting_after": 1},
        shape="stream",
        http="GET /v1/responses/{resp.id}",
        query={"stream": "true", "starting_after": "1"},
        events=("response.output_text.delta", "response.completed"),
    )
    yield Call(
        "responses",
        "responses.input_items.list",
        (Ref("resp"),),
        {"order": "asc"},
        shape="page",
        page="CursorPage",
        http="GET /v1/responses/{resp.id}/input_items",
        query={"order": "asc"},
        paged=True,
        items=2,
    )
    yield Call(
        "responses",
        "responses.cancel",
        (Ref("resp"),),
        returns=Response,
        fields={"id": Ref("resp"), "status": "cancelled"},
        http="POST /v1/responses/{resp.id}/cancel",
    )
    yield Call(
        "responses",
        "responses.delete",
        (Ref("resp"),),
        shape="none",
        http="DELETE /v1/responses/{resp.id}",
    )

    # Calls that depend on no stored state: compared with the official SDK's requests.
    rs = "responses_stateless"
    message = {"role": "user", "content": [{"type": "input_text", "text": "hello"}]}
    tool = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }
    yield Call(
        rs,
        "responses.create",
        kwargs={"model": "gpt-4o-mini", "input": [message], "instructions": "Be brief.", "store": False},
        returns=Response,
        fields={"model": "gpt-4o-mini", "status": "completed", "output_text": "echo: hello"},
        http="POST /v1/responses",
        body={"model": "gpt-4o-mini", "input": [message], "instructions": "Be brief.", "store": False},
    )
    yield Call(
        rs,
        "responses.create",
        kwargs={"model": "gpt-4o-mini", "input": "weather?", "tools": [tool], "store": False},
        returns=Response,
        fields={"model": "gpt-4o-mini"},
        http="POST /v1/responses",
        body={"tools": [tool]},
    )
    yield Call(
        rs,
        "responses.create",
        kwargs={"model": "gpt-4o-mini", "input": "stream me", "stream": True, "store": False},
        shape="stream",
        http="POST /v1/responses",
        body={"stream": True},
        events=("response.created", "response.output_text.delta", "response.completed"),
    )
    yield Call(
        rs,
        "responses.compact",
        kwargs={"model": "gpt-4o-mini", "input": [message]},
        returns=CompactedResponse,
        http="POST /v1/responses/compact",
        body={"model": "gpt-4o-mini", "input": [message]},
    )
    yield Call(
        rs,
        "responses.input_tokens.count",
        kwargs={"model": "gpt-4o-mini", "input": "hello", "instructions": "Be brief."},
        returns=InputTokenCountResponse,
        http="POST /v1/responses/input_tokens",
        body={"model": "gpt-4o-mini", "input": "hello", "instructions": "Be brief."},
    )
    yield Call(
        rs,
        "responses.input_items.list",
        ("resp_7",),
        {"limit": 2, "include": ["message.input_image.image_url"]},
        shape="page",
        page="CursorPage",
        returns=ResponseInputMessageItem,
        http="GET /v1/responses/resp_7/input_items",
        query={"limit": "2"},
    )

    # --- conversations (not in the 3.3.1 table; overrides.toml [extra_methods]) -------------
    conv = "conversations"
    yield Call(
        conv,
        "conversations.create",
        kwargs={"metadata": {"topic": "demo"}},
        returns=Conversation,
        http="POST /v1/conversations",
        body={"metadata": {"topic": "demo"}},
    )
    yield Call(
        conv,
        "conversations.retrieve",
        ("conv_7",),
        returns=Conversation,
        fields={"id": "conv_7"},
        http="GET /v1/conversations/conv_7",
    )
    yield Call(
        conv,
        "conversations.update",
        ("conv_7",),
        {"metadata": {"topic": "other"}},
        returns=Conversation,
        http="POST /v1/conversations/conv_7",
        body={"metadata": {"topic": "other"}},
    )
    yield Call(
        conv,
        "conversations.items.create",
        ("conv_7",),
        {"items": [{"type": "message", "role": "user", "content": "hi"}]},
        returns=ConversationItemList,
        http="POST /v1/conversations/conv_7/items",
        body={"items": [{"type": "message", "role": "user", "content": "hi"}]},
    )
    yield Call(
        conv,
        "conversations.items.list",
        ("conv_7",),
        shape="page",
        page="ConversationCursorPage",
        http="GET /v1/conversations/conv_7/items",
        paged=True,
        items=2,
    )
    yield Call(
        conv,
        "conversations.items.retrieve",
        ("msg_3",),
        {"conversation_id": "conv_7"},
        http="GET /v1/conversations/conv_7/items/msg_3",
    )
    yield Call(
        conv,
        "conversations.items.delete",
        ("msg_3",),
        {"conversation_id": "conv_7"},
        returns=Conversation,
        http="DELETE /v1/conversations/conv_7/items/msg_3",
    )
    yield Call(
        conv,
        "conversations.delete",
        ("conv_7",),
        returns=ConversationDeletedResource,
        fields={"id": "conv_7"},
        http="DELETE /v1/conversations/conv_7",
    )

    # --- realtime (the routes; the WebSocket connection is another issue's) ----------------
    rt = "realtime"
    yield Call(
        rt,
        "realtime.client_secrets.create",
        kwargs={"session": {"type": "realtime", "model": "gpt-realtime"}},
        returns=ClientSecretCreateResponse,
        http="POST /v1/realtime/client_secrets",
        body={"session": {"type": "realtime", "model": "gpt-realtime"}},
    )
    yield Call(
        rt,
        "realtime.calls.accept",
        ("rtc_7",),
        {"type": "realtime", "model": "gpt-realtime"},
        shape="none",
        http="POST /v1/realtime/calls/rtc_7/accept",
        body={"type": "realtime", "model": "gpt-realtime"},
    )
    yield Call(
        rt, "realtime.calls.hangup", ("rtc_7",), shape="none", http="POST /v1/realtime/calls/rtc_7/hangup"
    )
    yield Call(
        rt,
        "realtime.calls.refer",
        ("rtc_7",),
        {"target_uri": "tel:+14155550123"},
        shape="none",
        http="POST /v1/realtime/calls/rtc_7/refer",
        body={"target_uri": "tel:+14155550123"},
    )
    yield Call(
        rt, "realtime.calls.reject", ("rtc_7",), shape="none", http="POST /v1/realtime/calls/rtc_7/reject"
    )


CALLS: tuple[Call, ...] = tuple(_calls())
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(call.family for call in CALLS))


# --- running a call --------------------------------------------------------------------


class Run:
    """One family's run: the saved results, where files go, what the server saw."""

    def __init__(self, server: MockServer, tmp_path: Path) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.saved: dict[str, Any] = {}
        self.opened: list[Any] = []

    # materializing arguments

    def value(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return getattr(self.saved[value.name], value.attr)
        if isinstance(value, Upload):
            return self.upload(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def upload(self, upload: Upload) -> Any:
        if upload.form == "bytes":
            return upload.data
        if upload.form == "tuple":
            return (upload.name, upload.data, upload.content_type)
        path = self.tmp_path / upload.name
        path.write_bytes(upload.data)
        if upload.form == "path":
            return path
        f = open(path, "rb")  # noqa: SIM115 - closed by `close`, after the call
        self.opened.append(f)
        return f

    def close(self) -> None:
        for f in self.opened:
            f.close()
        self.opened.clear()

    def text(self, template: str) -> str:
        return template.format(**self.saved)

    # before and after the call

    def before(self, call: Call) -> None:
        self.server.script_clear()
        self.server.clear()
        if call.paged:
            method, path = self.text(call.http).split(" ", 1)
            self.server.script(Fault(status=200, body=first_page(method, path, call.page), path=path))

    def check_result(self, call: Call, result: Any) -> None:
        if call.shape == "none":
            assert result is None, (call.id, result)
            return
        if call.returns is not None:
            assert isinstance(result, call.returns), (call.id, type(result))
        self.check_fields(call, result)

    def check_fields(self, call: Call, result: Any) -> None:
        for name, expected in call.fields.items():
            actual = getattr(result, name)
            assert self.value(expected) == actual, (call.id, name, actual)

    def check_page(self, call: Call, first: Any, items: list[Any], is_async: bool) -> None:
        assert call.page is not None
        page_class = getattr(pagination, ("Async" if is_async else "Sync") + call.page)
        assert isinstance(first, page_class), (call.id, type(first))
        if call.items is not None:
            assert call.items == len(items), (call.id, len(items), items)
        assert items, call.id
        for item in items:
            if call.returns is not None:
                assert isinstance(item, call.returns), (call.id, type(item))
            self.check_fields(call, item)

    def check_stream(self, call: Call, events: list[Any]) -> None:
        # An Assistants event names itself in `event`, others in `type`, a chat chunk in `object`.
        names = [
            getattr(event, "event", None) or getattr(event, "type", None) or getattr(event, "object", None)
            for event in events
        ]
        assert set(call.events) <= set(names), (call.id, names, [type(e).__name__ for e in events])
        for event, name in zip(events, names, strict=True):
            if call.returns is not None:
                assert isinstance(event, call.returns), (call.id, type(event))
            if name in call.event_data:
                data = getattr(event, "data", None)
                assert isinstance(data, call.event_data[name]), (call.id, name, type(data))

    def check_binary(self, call: Call, result: Any, name: str) -> None:
        expected = call.content
        assert expected is not None
        if call.shape == "text":  # the content as a str, as the official files.retrieve_content
            assert expected.decode() == result, call.id
            return
        assert expected == result.content, call.id
        assert expected == result.read(), call.id
        assert expected == b"".join(result.iter_bytes(3)), call.id
        assert all(len(chunk) <= 3 for chunk in result.iter_bytes(3)), call.id
        target = self.tmp_path / name
        result.write_to_file(target)
        assert expected == target.read_bytes(), call.id

    def check_requests(self, call: Call) -> None:
        """What the server received: the first request's method, path, query, body."""
        requests = self.server.requests
        assert requests, call.id
        first = requests[0]
        assert self.text(call.http) == f"{first.method} {first.path}", (call.id, first.method, first.path)
        for name, value in call.query.items():
            assert [self.text(value)] == first.query.get(name), (call.id, name, first.query)
        if call.body is not None:
            content_type = first.headers.get("content-type", "")
            assert content_type.startswith("application/json"), (call.id, "sent as", content_type)
            sent = first.json()
            for name, value in call.body.items():
                assert self.value(value) == sent.get(name), (call.id, name, sent)
        if call.form is not None:
            parts = form_parts(first)
            for name, value in call.form.items():
                assert name in parts, (call.id, name, sorted(parts))
                assert value == parts[name], (call.id, name, parts[name])
        if call.paged:
            assert 2 == len(requests), (call.id, [(r.path, r.query) for r in requests])
            assert first.query.get("after") is None or call.query.get("after"), call.id
            assert [cursor_of(call.page)] == requests[1].query.get("after"), (call.id, requests[1].query)
            for name, value in call.query.items():
                assert [self.text(value)] == requests[1].query.get(name), (call.id, name, requests[1].query)

    def save(self, call: Call, result: Any) -> None:
        if call.save is not None:
            self.saved[call.save] = result


def resolve(client: Any, path: str) -> Callable[..., Any]:
    target = client
    for name in path.split("."):
        target = getattr(target, name)
    return target  # type: ignore[no-any-return]


def run_sync(client: Any, run: Run, call: Call) -> Any:
    args = [run.value(a) for a in call.args]
    kwargs = {k: run.value(v) for k, v in call.kwargs.items()}
    run.before(call)
    try:
        result = resolve(client, call.path)(*args, **kwargs)
        if call.shape == "page":
            run.check_page(call, result, list(result), is_async=False)
        elif call.shape == "stream":
            with result as stream:
                run.check_stream(call, list(stream))
        elif call.shape in ("binary", "text"):
            run.check_binary(call, result, f"sync-{call.path}")
        else:
            run.check_result(call, result)
    finally:
        run.close()
        run.server.script_clear()
    run.check_requests(call)
    run.save(call, result)
    return result


async def run_async(client: Any, run: Run, call: Call) -> Any:
    args = [run.value(a) for a in call.args]
    kwargs = {k: run.value(v) for k, v in call.kwargs.items()}
    run.before(call)
    try:
        if call.shape == "page":
            result = await resolve(client, call.path)(*args, **kwargs)
            run.check_page(call, result, [item async for item in result], is_async=True)
        else:
            result = await resolve(client, call.path)(*args, **kwargs)
            if call.shape == "stream":
                async with result as stream:
                    run.check_stream(call, [event async for event in stream])
            elif call.shape in ("binary", "text"):
                run.check_binary(call, result, f"async-{call.path}")
            else:
                run.check_result(call, result)
    finally:
        run.close()
        run.server.script_clear()
    run.check_requests(call)
    run.save(call, result)
    return result


# --- pages and forms -------------------------------------------------------------------

_ROUTES = GenericRoutes()
FIRST_ITEM = "first-page-item"
CURSOR = "cursor-after-first-page"


def first_page(method: str, path: str, page: PageKind | None) -> dict[str, Any]:
    """A first page for a list route: its sample with one item, `has_more`, and a cursor."""
    match = _ROUTES.match(method, path)
    assert not isinstance(match, list) and match.route.sample is not None, path
    sample = json.loads(json.dumps(SAMPLES[match.route.sample]))
    item = sample["data"][0]
    if isinstance(item, dict):
        # As the mock shows path parameters in its answers (a file's vector_store_id).
        item.update({name: value for name, value in match.params if isinstance(item.get(name), str)})
        if "id" in item:
            item["id"] = FIRST_ITEM
    sample.update(has_more=True, first_id=FIRST_ITEM, last_id=CURSOR, next=CURSOR)
    return sample  # type: ignore[no-any-return]


def cursor_of(page: PageKind | None) -> str:
    """The `after` a page of this kind asks its next page with (the official SDK's rule)."""
    return FIRST_ITEM if page == "CursorPage" else CURSOR


def form_parts(request: RecordedRequest) -> dict[str, Any]:
    """A multipart request's fields: a file as (filename, bytes), others as bytes (first of a name)."""
    parts: dict[str, Any] = {}
    for part in parse(request.body, boundary_of(request.headers.get("content-type"))):
        value = part.data if part.filename is None else (part.filename, part.data)
        parts.setdefault(part.name, value)
    return parts
