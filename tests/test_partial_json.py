"""The partial-JSON scanner behind the stream helpers' `parsed` previews (sans-IO)."""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_actors._helpers._partial_json import PartialJSON, parse_partial

# JSON values as a model writes them: nested objects and arrays of strings (with escapes
# and non-ASCII), numbers of every shape, literals.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def oracle(prefix: str) -> Any:
    """What jiter's partial mode (the official SDK's) makes of a prefix, via pydantic-core."""
    try:
        return pydantic_core.from_json(prefix, allow_partial=True)
    except ValueError:
        return None


def fed(prefix: str, sizes: list[int]) -> PartialJSON:
    parser = PartialJSON()
    start = 0
    for size in sizes:
        parser.feed(prefix[start : start + size])
        start += size
    parser.feed(prefix[start:])
    return parser


class TestAgreesWithTheOfficialPartialParser:
    @given(_values, st.booleans(), st.data())
    def test_every_prefix_fed_in_any_pieces_reads_as_jiter_reads_it(
        self, value: Any, ascii_only: bool, data: st.DataObject
    ) -> None:
        """Whatever the value, the prefix and the pieces it came in, the preview is what the
        official SDK's partial parser gives for the same prefix."""
        text = json.dumps(value, ensure_ascii=ascii_only, indent=data.draw(st.sampled_from([None, 1])))
        cut = data.draw(st.integers(min_value=0, max_value=len(text)))
        sizes = data.draw(st.lists(st.integers(min_value=1, max_value=5), max_size=cut))
        prefix = text[:cut]
        assert oracle(prefix) == fed(prefix, sizes).value()

    @given(_values)
    def test_the_whole_text_reads_as_json_loads_reads_it(self, value: Any) -> None:
        text = json.dumps(value)
        assert json.loads(text) == parse_partial(text)


class TestWhatAPreviewLeavesOut:
    @pytest.mark.parametrize(
        ("prefix", "expected"),
        [
            ('{"city": "San Fr', {}),  # an unfinished string, with its key
            ('{"city": "Paris", "n', {"city": "Paris"}),  # an unfinished key
            ('{"city": "Paris", "n":', {"city": "Paris"}),  # a key whose value has not begun
            ('{"a": [1, 12', {"a": [1, 12]}),  # a trailing number that is valid stays
            ('{"a": [1, 2.', {"a": [1]}),  # one not valid yet goes
            ('{"a": tr', {}),  # an unfinished literal
            ('[{"x": 1}, {"y"', [{"x": 1}, {}]),  # an object begun is there, empty
            ('{"s": "a\\', {}),  # an escape cut in two
            ("   ", None),  # nothing whole yet
        ],
    )
    def test_cases(self, prefix: str, expected: Any) -> None:
        assert expected == parse_partial(prefix)

    def test_an_escape_split_across_pieces_is_read_whole(self) -> None:
        parser = PartialJSON()
        for piece in ['{"s": "a\\', '"b', '"}']:
            parser.feed(piece)
        assert {"s": 'a"b'} == parser.value()

    def test_text_that_stops_being_json_keeps_the_last_whole_preview(self) -> None:
        """A preview never raises: past a syntax error it stays at the last whole value, and
        the full parse when the content is done reports the error."""
        parser = PartialJSON()
        parser.feed('{"a": 1, "b": [2]} trailing')
        assert {"a": 1, "b": [2]} == parser.value()
        parser.feed(", more")
        assert {"a": 1, "b": [2]} == parser.value()
