"""Where a ClickHouse statement's strings, quoted names, comments and ``{name:Type}``
placeholders begin and end.

Binding parameters on a server without server-side parameters (ClickHouse 18.16) and
naming a statement's kind for a friendly refusal both need to know what is code and what
is text. The rules follow ClickHouse's lexer: a ``--`` comment ends only at ``\\n`` (not at
``\\r``, ``\\u2028`` or any other line break Python knows), strings and quoted names take
backslash escapes and doubled quotes. Where engine versions disagree (``#`` comments, nested
``/* */``, ``$$`` heredocs) this module hides at least as much as any engine would, or
refuses the statement, so it never sees code that an engine reads as a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from warehouse.base import SqlSyntaxError

TokenKind = Literal["word", "number", "string", "quoted", "placeholder", "symbol"]

_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"[0-9](?:[0-9A-Za-z_.]|(?<=[eEpP])[+-])*")
_QUOTES = {"'": "string", '"': "quoted", "`": "quoted"}


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(sql: str) -> list[Token]:
    """The statement's tokens, comments and whitespace dropped."""
    tokens: list[Token] = []
    pos, size = 0, len(sql)
    while pos < size:
        char = sql[pos]
        if char.isspace():
            pos += 1
        elif sql.startswith("--", pos) or char == "#":
            newline = sql.find("\n", pos)
            pos = size if newline < 0 else newline + 1
        elif sql.startswith("/*", pos):
            pos = _skip_block_comment(sql, pos)
        elif char in _QUOTES:
            end = _quoted_end(sql, pos)
            tokens.append(Token(_QUOTES[char], sql[pos:end], pos, end))  # type: ignore[arg-type]
            pos = end
        elif char == "$":
            raise SqlSyntaxError(f"'$' at position {pos}: heredoc strings are not supported here; use '...'")
        elif char == "{" and (match := _PLACEHOLDER.match(sql, pos)):
            tokens.append(Token("placeholder", match.group(0), pos, match.end()))
            pos = match.end()
        elif match := _WORD.match(sql, pos):
            tokens.append(Token("word", match.group(0), pos, match.end()))
            pos = match.end()
        elif match := _NUMBER.match(sql, pos):
            tokens.append(Token("number", match.group(0), pos, match.end()))
            pos = match.end()
        else:
            tokens.append(Token("symbol", char, pos, pos + 1))
            pos += 1
    return tokens


def placeholder_parts(token: Token) -> tuple[str, str]:
    """``{name:Type}`` -> ``(name, Type)``."""
    match = _PLACEHOLDER.fullmatch(token.text)
    assert match is not None and token.kind == "placeholder"
    return match.group(1), re.sub(r"\s+", "", match.group(2))


def _skip_block_comment(sql: str, start: int) -> int:
    close = sql.find("*/", start + 2)
    if close < 0:
        raise SqlSyntaxError(f"unterminated /* comment at position {start}")
    if sql.find("/*", start + 2, close) >= 0:
        # ClickHouse 18.16 does not nest comments, newer versions do: refuse rather than guess
        raise SqlSyntaxError(f"nested /* comments (position {start}) are not supported")
    return close + 2


def _quoted_end(sql: str, start: int) -> int:
    quote, pos = sql[start], start + 1
    while pos < len(sql):
        char = sql[pos]
        if char == "\\":
            pos += 2
        elif char == quote:
            if sql.startswith(quote * 2, pos):
                pos += 2
            else:
                return pos + 1
        else:
            pos += 1
    raise SqlSyntaxError(f"unterminated {quote} quote starting at position {start}")
