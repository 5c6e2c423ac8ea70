"""Byte spans of the elements of a JSON array, so a rejected event is quarantined as sent.

Re-encoding a rejected value can fail (orjson refuses to write nesting it can read) and
never shows what the client actually sent. Instead the collector slices the element out
of the request body. The scan is iterative (no recursion, any depth) and runs only when a
batch has rejections: a regular expression jumps from one structural character to the
next and swallows whole strings, escapes included, so brackets and commas inside strings
never count.
"""

from __future__ import annotations

import re

_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
_WHITESPACE = b" \t\n\r"
_OPEN, _CLOSE, _COMMA, _QUOTE = frozenset(b"[{"), frozenset(b"]}"), ord(","), ord('"')


def element_spans(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of each top-level element of ``body``, a JSON array that parsed."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for match in _TOKENS.finditer(body):
        char = body[match.start()]
        if char == _QUOTE:
            continue
        if char in _OPEN:
            depth += 1
            if depth == 1:
                start = match.end()
            continue
        if depth == 1 and (char == _COMMA or char in _CLOSE):
            _add(spans, body, start, match.start())
            start = match.end()
        if char in _CLOSE:
            depth -= 1
    return spans


def _add(spans: list[tuple[int, int]], body: bytes, start: int, end: int) -> None:
    while start < end and body[start] in _WHITESPACE:
        start += 1
    while end > start and body[end - 1] in _WHITESPACE:
        end -= 1
    if end > start:
        spans.append((start, end))
