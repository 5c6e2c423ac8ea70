"""Audience expressions: a small grammar (lark, LALR), type-checked and compiled to closures.

    broadband_days_left <= 30 and not orderer:broadband
    arrears or (balance < 5 and minutes_since_balance_low <= 1440)
    "video-vip" in unsubscribed

Never ``eval``: the text is parsed by a grammar, every identifier is checked against the
known tags and profile fields when a campaign is saved, and the tree is compiled once per
campaign version into plain Python closures over :class:`~touchpoints.facts.Facts`.

Semantics: a tag name is true while the tag is set (and not expired). A profile field the
user does not have (no data usage reported yet...) makes every comparison on it false, so
``not (used_pct >= 80)`` is true for such a user.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Literal

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from touchpoints.facts import Facts, ValueType

MAX_EXPRESSION_CHARS = 1000
MAX_DEPTH = 32

Predicate = Callable[[Facts], bool]

GRAMMAR = r"""
?start: or_
?or_: and_ ("or" and_)*
?and_: not_ ("and" not_)*
?not_: "not" not_ -> negate
     | comparison
?comparison: operand COMPARATOR operand -> compare
           | operand "in" operand -> member
           | operand
?operand: SIGNED_NUMBER -> number
        | ESCAPED_STRING -> string
        | "true" -> true
        | "false" -> false
        | NAME -> name
        | "(" or_ ")"
COMPARATOR: "<=" | ">=" | "==" | "!=" | "<" | ">"
NAME: /[a-z_][a-z0-9_]*(:[A-Za-z0-9_.\-]+(\/[a-z0-9_]+)?)?/
%import common.SIGNED_NUMBER
%import common.ESCAPED_STRING
%import common.WS
%ignore WS
"""

_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_ORDERED = {"<", "<=", ">", ">="}


class AudienceError(ValueError):
    """The expression is not valid; ``str(exc)`` says where and why."""


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


class Identifiers:
    """What an expression may name: tags (and tag patterns such as ``audience:*``) and typed fields."""

    def __init__(self, tags: frozenset[str], tag_prefixes: tuple[str, ...], fields: Mapping[str, ValueType]) -> None:
        self.tags = tags
        self.tag_prefixes = tag_prefixes
        self.fields = dict(fields)

    def kind(self, name: str) -> tuple[Literal["tag", "field"], ValueType]:
        if name in self.fields:
            return "field", self.fields[name]
        if name in self.tags or any(name.startswith(p) and len(name) > len(p) for p in self.tag_prefixes):
            return "tag", "bool"
        raise AudienceError(f"unknown identifier {name!r}: not a tag nor a profile field")


# A compiled node: a function of the facts and the node's static type.
_Node = tuple[Callable[[Facts], Any], ValueType]


def compile_audience(expression: str, identifiers: Identifiers) -> Predicate:
    """Parse, type-check and compile; raises :class:`AudienceError` with a reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise AudienceError("audience expression is empty (use `true` for everyone)")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise AudienceError(f"audience expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = _parser().parse(expression)
    except UnexpectedInput as exc:
        raise AudienceError(f"syntax error at column {exc.column}: {exc.get_context(expression).strip()}") from None
    except LarkError as exc:
        raise AudienceError(f"syntax error: {exc}") from None
    _check_depth(tree)
    return _boolean(tree, identifiers, "an audience")


def _check_depth(tree: Tree | Token) -> None:
    stack: list[tuple[Tree | Token, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise AudienceError(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children)


def _compile(node: Tree | Token, ids: Identifiers) -> _Node:
    assert isinstance(node, Tree)
    rule, children = node.data, node.children
    if rule == "number":
        value = float(children[0])
        if not math.isfinite(value):
            raise AudienceError(f"number {children[0]} is out of range")
        return (lambda _f: value), "number"
    if rule == "string":
        text = str(children[0])[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return (lambda _f: text), "string"
    if rule in ("true", "false"):
        constant = rule == "true"
        return (lambda _f: constant), "bool"
    if rule == "name":
        return _name(str(children[0]), ids)
    if rule == "negate":
        inner = _boolean(children[0], ids, "`not`")
        return (lambda f: not inner(f)), "bool"
    if rule in ("and_", "or_"):
        parts = [_boolean(child, ids, f"`{rule[:-1]}`") for child in children]
        return (_all(parts) if rule == "and_" else _any(parts)), "bool"
    if rule == "compare":
        return _comparison(children, ids)
    if rule == "member":
        needle, needle_type = _compile(children[0], ids)
        hay, hay_type = _compile(children[1], ids)
        if needle_type != "string" or hay_type != "list":
            raise AudienceError(f"`in` needs a string on the left and a list field on the right, not {needle_type}")
        return (lambda f: (h := hay(f)) is not None and needle(f) in h), "bool"
    raise AudienceError(f"unsupported construct {rule!r}")  # pragma: no cover - grammar and compiler agree


def _name(name: str, ids: Identifiers) -> _Node:
    kind, value_type = ids.kind(name)
    if kind == "tag":
        return (lambda f: name in f.tags), "bool"
    return (lambda f: f.values.get(name)), value_type


def _boolean(node: Tree | Token, ids: Identifiers, where: str) -> Predicate:
    fn, kind = _compile(node, ids)
    is_field = isinstance(node, Tree) and node.data == "name" and ids.kind(str(node.children[0]))[0] == "field"
    if kind == "bool":
        return (lambda f: fn(f) is True) if is_field else fn  # a missing boolean field is false
    if kind == "list":
        return lambda f: bool(fn(f))  # a list field is true when not empty
    raise AudienceError(f"{where} needs conditions, got a {kind}")


def _all(parts: list[Predicate]) -> Predicate:
    return _combine(parts, all)


def _any(parts: list[Predicate]) -> Predicate:
    return _combine(parts, any)


def _combine(parts: list[Predicate], combine: Callable[[Any], bool]) -> Predicate:
    """``and``/``or`` of conditions; two (the usual case) without a generator per evaluation."""
    if len(parts) == 2:
        first, second = parts
        if combine is all:
            return lambda f: first(f) and second(f)
        return lambda f: first(f) or second(f)
    return lambda f: combine(p(f) for p in parts)


def _comparison(children: list[Any], ids: Identifiers) -> _Node:
    left, left_type = _compile(children[0], ids)
    op = str(children[1])
    right, right_type = _compile(children[2], ids)
    if left_type != right_type or left_type == "list":
        raise AudienceError(f"cannot compare a {left_type} with a {right_type} using {op}")
    if op in _ORDERED and left_type != "number":
        raise AudienceError(f"{op} compares numbers, not {left_type}s")
    compare = _COMPARATORS[op]

    def evaluate(f: Facts) -> bool:
        a, b = left(f), right(f)
        return a is not None and b is not None and compare(a, b)

    return evaluate, "bool"
