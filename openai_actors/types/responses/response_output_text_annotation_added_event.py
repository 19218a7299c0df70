from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = [
    "Annotation",
    "AnnotationContainerFileCitation",
    "AnnotationFileCitation",
    "AnnotationFilePath",
    "AnnotationURLCitation",
    "ResponseOutputTextAnnotationAddedEvent",
]


class AnnotationFileCitation(BaseModel):
    file_id: str
    filename: str
    index: int
    type: Literal["file_citation"]


class AnnotationURLCitation(BaseModel):
    end_index: int
    start_index: int
    title: str
    type: Literal["url_citation"]
    url: str


class AnnotationContainerFileCitation(BaseModel):
    container_id: str
    end_index: int
    file_id: str
    filename: str
    start_index: int
    type: Literal["container_file_citation"]


class AnnotationFilePath(BaseModel):
    file_id: str
    index: int
    type: Literal["file_path"]


Annotation: TypeAlias = (
    AnnotationFileCitation
    | AnnotationURLCitation
    | AnnotationContainerFileCitation
    | AnnotationFilePath
    | None
)


class ResponseOutputTextAnnotationAddedEvent(BaseModel):
    annotation: Annotation | None = None
    annotation_index: int
    content_index: int
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.output_text.annotation.added"]
