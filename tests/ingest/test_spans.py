"""Element spans of a JSON array: each slice is exactly one element as it was written."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.spans import element_spans

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


def slices(body: bytes) -> list[bytes]:
    return [body[start:end] for start, end in element_spans(body)]


def test_strings_with_structural_characters_and_escapes() -> None:
    body = b' [ "a,]}\\"\\\\" , {"k": "[,"} ,[1,[2]],\t-1.5e3 ,null\n]'
    assert slices(body) == [b'"a,]}\\"\\\\"', b'{"k": "[,"}', b"[1,[2]]", b"-1.5e3", b"null"]


def test_empty_array_and_deep_nesting() -> None:
    assert element_spans(b"[ ]") == []
    deep = b"[" * 5000 + b"]" * 5000  # no recursion: any depth
    assert slices(b"[" + deep + b", 1]") == [deep, b"1"]


@settings(max_examples=300, deadline=None)
@given(
    elements=st.lists(JSON, max_size=8),
    indent=st.sampled_from([None, 0, 2]),
    ensure_ascii=st.booleans(),
    separators=st.sampled_from([(",", ":"), (" , ", " : "), (",\n", ":\t")]),
)
def test_each_slice_parses_to_its_element(
    elements: list, indent: int | None, ensure_ascii: bool, separators: tuple[str, str]
) -> None:
    text = json.dumps(elements, indent=indent, ensure_ascii=ensure_ascii, separators=separators)
    body = text.encode()
    assert [orjson.loads(s) for s in slices(body)] == orjson.loads(body)
