"""``{name:Type}`` parameters: bound natively by chDB, as escaped literals on ClickHouse 18.16."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse.conftest import record
from warehouse import Warehouse
from warehouse.base import BadParameters
from warehouse.params import bind_literals, engine_params
from warehouse.sources import event_row
from warehouse.sqltext import SqlSyntaxError, tokenize

HOSTILE = [
    "it's",
    "back\\slash\\",
    "line\nbreak\r\n",
    "'; DROP TABLE events_store; --",
    "\\'; DROP TABLE events_store; --",
    "ünï©ødé 中文 \u2028\x85\x0b\t\x00",
    '{other:String} ` " */ /* --',
    "",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_are_data_on_both_engines(wh: Warehouse, value: str) -> None:
    wh.insert("events_store", [event_row(record("e1", user=value)), event_row(record("e2", user="someone"))])
    result = wh.query("SELECT user_id, {v:String} AS echoed FROM events WHERE user_id = {v:String}", {"v": value})
    assert result.rows == [(value, value)]
    arrays = wh.query("SELECT {vs:Array(String)} AS vs, length({vs:Array(String)}) AS n", {"vs": [value, "x'"]})
    assert arrays.rows == [([value, "x'"], 2)]
    assert wh.query("SELECT count() FROM events_store").scalar() == 2  # still there


def test_typed_values_on_both_engines(wh: Warehouse) -> None:
    result = wh.query(
        "SELECT {i:Int64} AS i, 10-{i:Int64} AS minus, {u:UInt64} AS u, {f:Float64} AS f, {d:Date} AS d,"
        " {t:DateTime('UTC')} AS t, {ds:Array(Date)} AS ds, {n:Nullable(String)} AS n, {e:Array(String)} AS e",
        {
            "i": -5,
            "u": 2**64 - 1,
            "f": -1.5e-5,
            "d": "2024-02-29",
            "t": "2026-09-21T14:13:20+00:00",
            "ds": [dt.date(2024, 1, 1), "2024-01-02"],
            "n": None,
            "e": [],
        },
    )
    assert result.rows == [
        (
            -5,
            15,
            2**64 - 1,
            -1.5e-5,
            dt.date(2024, 2, 29),
            dt.datetime(2026, 9, 21, 14, 13, 20, tzinfo=dt.UTC),
            [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
            None,
            [],
        )
    ]


def test_placeholders_work_where_literals_are_required(wh: Warehouse) -> None:
    rows = wh.query("SELECT number FROM system.numbers LIMIT {n:UInt32}", {"n": 3}).rows
    assert rows == [(0,), (1,), (2,)]
    epoch = wh.query("SELECT toUInt32({t:DateTime}) AS t", {"t": 1_790_000_000}).scalar()
    assert epoch == 1_790_000_000


def test_placeholders_inside_strings_and_comments_are_text(wh: Warehouse) -> None:
    result = wh.query(
        "SELECT '{x:String}' AS a, `{x:String}`.1 AS b -- {y:String}\nFROM (SELECT tuple(1) AS `{x:String}`)"
    )
    assert result.rows == [("{x:String}", 1)]


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELECT {x:String}", {}, "has no value"),
        ("SELECT {x:String}", None, "has no value"),
        ("SELECT 1", {"x": 1}, "not used by the statement: x"),
        ("SELECT {x:UInt8}", {"x": 300}, "is not an integer"),
        ("SELECT {x:UInt8}", {"x": -1}, "is not an integer"),
        ("SELECT {x:Int32}", {"x": True}, "is not an integer"),
        ("SELECT {x:Int32}", {"x": "5"}, "is not an integer"),
        ("SELECT {x:Float64}", {"x": float("nan")}, "is not a finite number"),
        ("SELECT {x:String}", {"x": 5}, "is not a string"),
        ("SELECT {x:Date}", {"x": "2024-13-01"}, "is not a date"),
        ("SELECT {x:DateTime}", {"x": -1}, "is not a time"),
        ("SELECT {x:Array(String)}", {"x": "abc"}, "is not a list"),
        ("SELECT {x:Array(String)}", {"x": ["a", 1]}, "is not a string"),
        ("SELECT {x:Map(String, String)}", {"x": {}}, "is not supported"),
        ("SELECT {x:Identifier}", {"x": "events"}, "is not supported"),
        ("SELECT {x:String}, {x:UInt8}", {"x": "a"}, "declared as both"),
        ("SELECT {x:" + "Array(" * 5000 + "String" + ")" * 5000 + "}", {"x": []}, "nests deeper"),
    ],
)
def test_bad_parameters_are_refused_alike_on_both_engines(wh: Warehouse, sql: str, params, message: str) -> None:
    with pytest.raises(BadParameters, match=message):
        wh.query(sql, params)


def test_literals_are_built_by_the_driver_escaper() -> None:
    sql = "SELECT {s:String}, {a:Array(String)}, x-{n:Int8}, {z:Nullable(UInt8)}"
    bound = bind_literals(sql, {"s": "a'b\\c\n", "a": ["'"], "n": -1, "z": None})
    assert bound == "SELECT 'a\\'b\\\\c\\n', CAST(['\\''] AS Array(String)), x-(-1), CAST(NULL AS Nullable(UInt8))"
    assert engine_params(sql, {"s": "a'b\\c\n", "a": ["'"], "n": -1, "z": None}) == {
        "s": "a\\'b\\\\c\\n",
        "a": "['\\'']",
        "n": "-1",
        "z": "\\N",
    }


def test_the_tokenizer_ends_line_comments_only_at_newline() -> None:
    words = [t.text for t in tokenize("-- x\rSELECT 1\nDROP TABLE t") if t.kind == "word"]
    assert words == ["DROP", "TABLE", "t"]
    for separator in ("\u2028", "\x0b", "\x85", "\r"):
        assert tokenize(f"-- c{separator}{{x:String}}\nSELECT 1")[0].text == "SELECT"


@pytest.mark.parametrize(
    "sql", ["SELECT 'open", "SELECT `x", "SELECT /* open", "/* a /* b */ */ SELECT 1", "SELECT $$x$$"]
)
def test_the_tokenizer_refuses_what_it_cannot_read_safely(sql: str) -> None:
    with pytest.raises(SqlSyntaxError):
        tokenize(sql)
