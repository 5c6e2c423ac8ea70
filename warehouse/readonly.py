"""What a person's statement may do, and the engine settings it runs under.

The guard is the engine: every statement from a person runs with ClickHouse's own
``readonly=1`` and the limits of :class:`core.config.ReadOnlyLimits`
(:func:`engine_settings`), on a connection of its own. ``readonly=1`` leaves a few doors
open, found by the tests in tests/warehouse/test_readonly.py:

- chDB (clickhouse-local inside this process) still runs the ``file()`` *function* on any
  path, ``INTO OUTFILE`` (written by the embedded client), ``KILL QUERY`` and ``USE``;
- ClickHouse 18.16 still runs ``KILL QUERY`` against queries of the same user (a separate
  reader account, ``TOUCHSTREAM_WAREHOUSE_READER_URL``, closes that on the server).

:func:`check_statement` refuses those, and gives every other refusal a plain message. On chDB
it reads the engine's own rendering of the parsed statement (``formatQuery``), which is also
the text that then runs, so comments and odd line breaks cannot hide anything from it; on
18.16 it splits the text with ClickHouse's lexing rules (warehouse/sqltext.py).
"""

from __future__ import annotations

from itertools import pairwise

from core.config import ReadOnlyLimits
from warehouse.base import NotReadOnly
from warehouse.sqltext import Token, tokenize

READ_KEYWORDS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN")


def engine_settings(limits: ReadOnlyLimits) -> dict[str, object]:
    """ClickHouse settings for a person's statement, in the order they must be applied."""
    return {
        "max_execution_time": limits.max_execution_s,
        "timeout_overflow_mode": "throw",
        "max_rows_to_read": limits.max_rows_to_read,
        "read_overflow_mode": "throw",
        "max_result_rows": limits.max_result_rows,
        "max_result_bytes": limits.max_result_bytes,
        "result_overflow_mode": "throw",
        "max_memory_usage": limits.max_memory_bytes,
        "readonly": 1,  # last: once set, no setting can be changed, by us or by the statement
    }


def check_statement(sql: str) -> str:
    """The one read statement in ``sql`` (trailing ``;`` and comments dropped), or :class:`NotReadOnly`."""
    tokens = tokenize(sql)
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if not tokens:
        raise NotReadOnly("empty statement")
    if any(t.kind == "symbol" and t.text == ";" for t in tokens):
        raise NotReadOnly("one statement at a time: ';' may only end the statement")
    first = next((t for t in tokens if t.text != "("), tokens[0])
    if first.kind != "word" or first.upper not in READ_KEYWORDS:
        raise NotReadOnly(f"read-only: {first.text[:40]} statements are not allowed; use {', '.join(READ_KEYWORDS)}")
    for before, after in pairwise(tokens):
        if before.upper == "INTO" and after.upper == "OUTFILE" and before.kind == after.kind == "word":
            raise NotReadOnly("read-only: INTO OUTFILE would write a file on the warehouse's machine")
        if _name(before) == "file" and after.text == "(":
            raise NotReadOnly("read-only: file() reads files outside the warehouse")
        if before.kind == "word" and before.text == "FORMAT" and after.text != "(":
            raise NotReadOnly("FORMAT is not allowed: results always come back as typed rows")
    return sql[: tokens[-1].end]


def _name(token: Token) -> str:
    if token.kind == "quoted":
        return token.text[1:-1].lower()
    return token.text.lower() if token.kind == "word" else ""
