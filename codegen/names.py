"""Spelling: the official SDK's file and class names from its type names, and safe Python identifiers."""

from __future__ import annotations

import keyword
import re

_ACRONYM_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")


# Words the official SDK spells as one in its module names (`chatkit_thread.ChatKitThread`,
# `oauth_error_code.OAuthErrorCode`).
_ONE_WORD = {"ChatKit": "Chatkit", "OAuth": "Oauth"}


def snake(name: str) -> str:
    """`ChatCompletionMessageParam` -> `chat_completion_message_param`, `ImageURL` -> `image_url`."""
    for word, spelled in _ONE_WORD.items():
        name = name.replace(word, spelled)
    name = _ACRONYM_WORD.sub(r"\1_\2", name)
    name = _LOWER_UPPER.sub(r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


# Words the official SDK writes in capitals inside class names (`URLCitation`, `APIKeyCreated`).
ACRONYMS = {"api": "API", "id": "ID", "ip": "IP", "url": "URL", "json": "JSON", "jsonl": "JSONL"}


def pascal(text: str) -> str:
    """`url_citation` / `url-citation` -> `URLCitation`, `api_key.created` -> `APIKeyCreated`."""
    parts = re.split(r"[^0-9a-zA-Z]+", text)
    out = "".join(ACRONYMS.get(p.lower(), p[:1].upper() + p[1:]) for p in parts if p)
    if not out or out[0].isdigit():
        out = "N" + out
    return out


def singular(name: str) -> str:
    """The class name for the items of an array property (`choices` -> `Choice`)."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("sses") or name.endswith("uses"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def attribute(name: str) -> str:
    """A Python attribute for a JSON key: `self-harm` -> `self_harm`, `from` -> `from_`."""
    if is_identifier(name):
        return name
    if keyword.iskeyword(name):
        return name + "_"
    out = re.sub(r"[^0-9a-zA-Z_]", "_", name)
    return out if out[:1].isalpha() or out[:1] == "_" else "_" + out


def docstring(text: str | None, indent: str, limit: int = 600) -> list[str]:
    """The first paragraph of a spec description as docstring lines (empty when there is none)."""
    if not text:
        return []
    paragraph = text.strip().split("\n\n", 1)[0].strip()
    paragraph = " ".join(paragraph.split())
    if len(paragraph) > limit:
        cut = paragraph.rfind(". ", 0, limit)
        paragraph = paragraph[: cut + 1] if cut > 0 else paragraph[:limit] + "..."
    paragraph = paragraph.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if paragraph.endswith('"'):
        paragraph += " "
    return [f'{indent}"""{paragraph}"""']


def class_name(name: str) -> str:
    """A spec schema name as a class name (`ImageRefParam-2` -> `ImageRefParam2`)."""
    return name if is_identifier(name) else pascal(name)
