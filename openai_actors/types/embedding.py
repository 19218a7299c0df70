from __future__ import annotations

from typing import Literal

from .._models import BaseModel

__all__ = ["CreateEmbeddingResponse", "Embedding", "Usage"]


class Embedding(BaseModel):
    embedding: list[float] | str
    """Floats; a base64 string only when you asked for `encoding_format="base64"`."""
    index: int
    object: Literal["embedding"]


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class CreateEmbeddingResponse(BaseModel):
    data: list[Embedding]
    model: str
    object: Literal["list"]
    usage: Usage
