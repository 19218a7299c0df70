"""Hand-written behaviour that generated methods call through `Operation(prepare=...)`.

codegen/overrides.toml names the method each hook belongs to, and why.
"""

from __future__ import annotations

import array
import base64
import binascii
import sys
from collections.abc import Callable
from typing import Any

from ._response import ResponseShapeError, text_content

__all__ = ["decode_base64_floats", "embeddings_prepare", "transcript_formats"]


def decode_base64_floats(data: str) -> list[float]:
    """Little-endian float32s, base64-encoded, as the API sends them."""
    values = array.array("f")
    values.frombytes(base64.b64decode(data, validate=True))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def embeddings_prepare(body: dict[str, Any]) -> Callable[[Any], Any] | None:
    """Ask for base64 when the caller chose no format, and decode it back to floats.

    A quarter of the bytes of a JSON float list, and far cheaper to decode; the
    caller sees floats either way. Servers that ignore the format and send
    floats anyway are handled too.
    """
    if "encoding_format" in body:
        return None
    body["encoding_format"] = "base64"
    return _decoded


def _decoded(data: dict[str, Any]) -> Any:
    from .types.create_embedding_response import CreateEmbeddingResponse

    for item in data.get("data") or ():
        if isinstance(item, dict) and isinstance(item.get("embedding"), str):
            try:
                item["embedding"] = decode_base64_floats(item["embedding"])
            except (binascii.Error, ValueError) as exc:
                raise ResponseShapeError(f"embedding {item.get('index')} is not valid base64: {exc}") from exc
    return CreateEmbeddingResponse._from_raw(data)


def transcript_formats(body: dict[str, Any]) -> Callable[[Any], Any] | None:
    """A transcript asked for as `text`, `srt` or `vtt` comes back as plain text, returned as a str."""
    if body.get("response_format") in ("text", "srt", "vtt"):
        return text_content
    return None
