"""Files become rows exactly once, whoever wrote them."""

from __future__ import annotations

from pathlib import Path

import orjson

from core.processes import wait_until
from tests.warehouse.conftest import record
from warehouse import Warehouse
from warehouse.loader import Loader, Source
from warehouse.sources import EVENTS_TABLE, event_row, quarantine_row


def write(path: Path, records: list[dict], tail: bytes = b"") -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records) + tail)
    return path


def events_source(directory: Path) -> Source:
    return Source("events", directory, EVENTS_TABLE, event_row, suffix=".jsonl", exactly_once=True)


def test_loads_each_complete_file_once(wh: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "events"
    log.mkdir()
    write(log / "seg-1.jsonl", [record("a"), record("b")])
    write(log / ".seg-2.jsonl", [record("hidden")])  # still being written
    loader = Loader(wh, [events_source(log)])
    report = loader.load_pending()
    assert (report.files, report.rows) == (1, 2)
    assert loader.load_pending().files == 0
    write(log / "seg-2.jsonl", [record("c")])
    assert loader.load_pending().rows == 1
    # a restarted loader (new process) reads the bookkeeping from the warehouse
    assert Loader(wh, [events_source(log)]).load_pending().files == 0
    assert wh.query("SELECT count() FROM events").scalar() == 3


def test_crash_between_insert_and_record_never_double_counts(wh: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "events"
    log.mkdir()
    write(log / "seg-1.jsonl", [record("a"), record("b", user="u2")])
    Loader(wh, [events_source(log)]).load_pending()
    # as if the process died after inserting the rows, before recording the file as done
    wh.execute("ALTER TABLE loaded_files DELETE WHERE state = 'done'")
    wait_until(lambda: wh.query("SELECT count() FROM loaded_files WHERE state = 'done'").scalar() == 0, 60, "delete")
    assert Loader(wh, [events_source(log)]).load_pending().rows == 2
    assert wh.query("SELECT count() FROM events_store").scalar() == 2
    assert wh.query("SELECT count() FROM events").scalar() == 2


def test_bad_lines_are_counted_and_skipped(wh: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "events"
    log.mkdir()
    write(log / "seg-1.jsonl", [record("a"), {"event_id": "no-user"}, record("b")], tail=b"{half a line\n")
    report = Loader(wh, [events_source(log)]).load_pending()
    assert (report.rows, report.bad_lines) == (2, 2)
    assert wh.query("SELECT bad_lines FROM loaded_files WHERE state = 'done'").scalar() == 2


def test_quarantine_is_loaded_with_reasons(wh: Warehouse, tmp_path: Path) -> None:
    q = tmp_path / "quarantine"
    q.mkdir()
    rejected = {"received_at": 1_790_000_000_123, "ip": "127.0.0.1", "index": 3, "reason": "ts: absurd", "raw": "{}"}
    write(q / "seg-1.jsonl", [rejected])
    loader = Loader(wh, [Source("quarantine", q, "quarantine_raw", quarantine_row)])
    loader.load_pending()
    loader.load_pending()
    rows = wh.query("SELECT batch_index, reason, raw, source_file, line FROM quarantine").rows
    assert rows == [(3, "ts: absurd", "{}", "seg-1.jsonl", 1)]
