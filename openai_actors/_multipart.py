"""multipart/form-data bodies for uploads, sans-IO: fields and files in, (content type, bytes) out.

A file may be given the ways the official SDK accepts: bytes, a binary file
object, a path, or a tuple `(filename, content[, content_type])` whose content
is any of those. The whole body is built in memory before it is sent: that
makes it replayable, so an upload is retried like any other request.
"""

from __future__ import annotations

import inspect
import mimetypes
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import IO, Any, TypeAlias

__all__ = ["FileTypes", "encode_multipart", "read_file"]

FileContent: TypeAlias = "IO[bytes] | bytes | os.PathLike[str]"
FileTypes: TypeAlias = (
    "FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]"
)


def read_file(file: object, name: str = "file") -> tuple[str, bytes, str]:
    """(filename, content, content type) from any accepted form of a file."""
    filename: str | None = None
    content_type: str | None = None
    content: object = file
    if isinstance(file, tuple):
        if not 2 <= len(file) <= 4:
            raise TypeError(f"{name} as a tuple must be (filename, content[, content_type[, headers]])")
        filename, content = file[0], file[1]
        content_type = file[2] if len(file) > 2 else None
    if isinstance(content, os.PathLike):
        path = os.fspath(content)
        with open(path, "rb") as f:
            data = f.read()
        filename = filename or os.path.basename(path)
    elif isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    elif hasattr(content, "read"):
        data = content.read()
        if inspect.isawaitable(data):
            if inspect.iscoroutine(data):
                data.close()  # never awaited, and it must not warn about that
            raise TypeError(f"{name} is an async file object; pass its bytes or its path instead")
        if not isinstance(data, bytes):
            raise TypeError(
                f"{name} must be opened in binary mode: its read() returned {type(data).__name__}"
            )
        filename = filename or os.path.basename(str(getattr(content, "name", "") or "")) or None
    else:
        raise TypeError(
            f"{name} must be bytes, a binary file object, a path, or a (filename, content) tuple, "
            f"not {type(content).__name__}"
        )
    filename = filename or "upload"
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, data, content_type


def _quote(value: str) -> str:
    # Field and file names go inside a quoted-string; quotes and line breaks would end it.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    fields: Mapping[str, Any] | Iterable[tuple[str, Any]],
    files: Mapping[str, tuple[str, bytes, str]] | Iterable[tuple[str, tuple[str, bytes, str]]],
) -> tuple[str, bytes]:
    """The Content-Type (with its boundary) and the body; a name may repeat (`image[]`)."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields.items() if isinstance(fields, Mapping) else fields:
        if value is None:
            continue
        text = (
            value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n{text}\r\n'.encode()
        )
    for name, (filename, data, content_type) in files.items() if isinstance(files, Mapping) else files:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(name)}"; filename="{_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)
