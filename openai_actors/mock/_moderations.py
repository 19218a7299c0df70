"""``POST /v1/moderations``, with a deterministic stand-in for the classifier."""

from __future__ import annotations

import re
from typing import Any, Final

from ._common import Reply, invalid_type, json_reply, load_object, required
from ._http import Request

__all__ = ["CATEGORIES", "moderations"]

# OpenAI's category names, in the order its replies list them.
CATEGORIES: Final = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# Categories that omni-moderation also judges on images.
_IMAGE_CATEGORIES: Final = frozenset(
    ("self-harm", "self-harm/instructions", "self-harm/intent", "sexual", "violence", "violence/graphic")
)
_FLAGGED_CATEGORY: Final = "harassment"
_FLAGGED_SCORE: Final = 0.9
_CLEAN_SCORE: Final = 1e-06
_BAD_WORD: Final = re.compile(r"\bbad\b", re.IGNORECASE)
DEFAULT_MODEL: Final = "omni-moderation-latest"
MAX_INPUTS: Final = 2048


def moderations(request: Request, number: int) -> Reply:
    """One result per input: an input is flagged (as "harassment") exactly when it
    contains the word "bad", in any case; every other category stays clear.

    ``input`` is a string, an array of strings (one result each), or an array
    of multi-modal parts (``{"type": "text"}`` / ``{"type": "image_url"}``),
    which is one input whose texts are judged together.
    """
    payload = load_object(request.body)
    model = payload.get("model") or DEFAULT_MODEL
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    inputs = _inputs(required(payload, "input"))
    results = [_result(text, has_image) for text, has_image in inputs]
    return json_reply({"id": f"modr-{number}", "model": model, "results": results})


def _inputs(value: Any) -> list[tuple[str, bool]]:
    """Each input as (its text, whether it has an image)."""
    if isinstance(value, str):
        return [(value, False)]
    if not isinstance(value, list) or not value or len(value) > MAX_INPUTS:
        raise invalid_type("input", f"a string or an array of 1 to {MAX_INPUTS} items", value)
    if all(isinstance(item, str) for item in value):
        return [(item, False) for item in value]
    texts = []
    has_image = False
    for index, part in enumerate(value):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            has_image = True
        else:
            raise invalid_type(f"input[{index}]", "a text or image_url part", part)
    return [(" ".join(texts), has_image)]


def _result(text: str, has_image: bool) -> dict[str, Any]:
    flagged = _BAD_WORD.search(text) is not None
    applied = {
        category: ["text", "image"] if has_image and category in _IMAGE_CATEGORIES else ["text"]
        for category in CATEGORIES
    }
    return {
        "flagged": flagged,
        "categories": {category: flagged and category == _FLAGGED_CATEGORY for category in CATEGORIES},
        "category_scores": {
            category: _FLAGGED_SCORE if flagged and category == _FLAGGED_CATEGORY else _CLEAN_SCORE
            for category in CATEGORIES
        },
        "category_applied_input_types": applied,
    }
