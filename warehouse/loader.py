"""Move files of JSON-lines rows into warehouse tables, exactly once per file.

The loader does not care who wrote the files (the collector's quarantine log, Flink's
FileSink outputs): a :class:`Source` names a directory, a table and how a record becomes a
row. Only complete files are read (writers publish by renaming away a leading ``.``/``_``),
in name order, and each loaded file is recorded in ``loaded_files``.

Two guarantees, chosen per source:

* ``exactly_once`` (the events table, read without FINAL): ``loaded_files`` gets a
  ``loading`` row before the insert and a ``done`` row after it, and every row carries its
  ``source_file``. A file found ``loading`` without ``done`` (the loader died in between) has
  its partial rows deleted by ``source_file`` and is loaded again.
* otherwise a file interrupted that way is simply loaded again, and the table's
  ReplacingMergeTree key makes the second copy invisible to queries through FINAL views.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from core.processes import wait_until
from warehouse.base import Row, Warehouse, WarehouseError

logger = logging.getLogger(__name__)

INSERT_CHUNK_ROWS = 50_000
SAFE_FILE_KEY = re.compile(r"[A-Za-z0-9._/-]+")

RowMapper = Callable[[dict[str, Any], str, int], Row]
Repair = Callable[["Warehouse", str], Callable[[], None]]
"""(warehouse, WHERE clause selecting a file's partial rows) -> what to do once they are deleted.
Aggregates fed by a materialized view on the table (sql/schema/0202) received those rows too."""
"""(record, file name, 1-based line number) -> row; raises KeyError/TypeError/ValueError on bad records."""


@dataclass(frozen=True)
class Source:
    name: str
    directory: Path
    table: str
    to_row: RowMapper
    suffix: str = ""
    exactly_once: bool = False  # the table has a ``source_file`` column (see the module docstring)
    repair: Repair | None = None  # exactly-once sources: brings derived tables back after a partial load

    def file_key(self, path: Path) -> str:
        """What ``source_file`` holds for rows of ``path``."""
        return f"{self.name}/{path.name}"

    def complete_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(
            p
            for p in self.directory.iterdir()
            if p.is_file() and not p.name.startswith((".", "_")) and p.name.endswith(self.suffix)
        )


@dataclass
class LoadReport:
    files: int = 0
    rows: int = 0
    bad_lines: int = 0
    per_source: dict[str, int] = field(default_factory=dict)


class Loader:
    def __init__(self, warehouse: Warehouse, sources: list[Source]) -> None:
        self.warehouse = warehouse
        self.sources = sources
        self._done: set[tuple[str, str]] | None = None
        self._interrupted: set[tuple[str, str]] = set()

    def loaded(self) -> set[tuple[str, str]]:
        """(source, file) pairs loaded completely; also notes the ones a crash interrupted."""
        if self._done is None:
            rows = self.warehouse.query(
                "SELECT source, file, max(state = 'done') FROM loaded_files GROUP BY source, file"
            ).rows
            self._done = {(r[0], r[1]) for r in rows if r[2]}
            self._interrupted = {(r[0], r[1]) for r in rows if not r[2]}
        return self._done

    def load_pending(self) -> LoadReport:
        report = LoadReport()
        done = self.loaded()
        for source in self.sources:
            for path in source.complete_files():
                key = (source.name, path.name)
                if key in done:
                    continue
                if source.exactly_once:
                    if key in self._interrupted:
                        self._delete_partial(source, path)
                    self._record(source, path, "loading")
                rows, bad = self._load_file(source, path)
                self._record(source, path, "done", rows, bad)
                done.add(key)
                self._interrupted.discard(key)
                report.files += 1
                report.rows += rows
                report.bad_lines += bad
                report.per_source[source.name] = report.per_source.get(source.name, 0) + rows
        return report

    def _record(self, source: Source, path: Path, state: str, rows: int = 0, bad: int = 0) -> None:
        entry = {
            "source": source.name,
            "file": path.name,
            "rows": rows,
            "bad_lines": bad,
            "loaded_at": int(time.time()),
            "state": state,
        }
        self.warehouse.insert("loaded_files", [entry])

    def _delete_partial(self, source: Source, path: Path, timeout_s: float = 120.0) -> None:
        """Remove the rows an interrupted load of ``path`` left behind, and wait until they are gone
        (``ALTER … DELETE`` is an asynchronous mutation on every ClickHouse)."""
        key = source.file_key(path)
        if not SAFE_FILE_KEY.fullmatch(key):  # our writers' names; anything else is not pasted into SQL
            raise WarehouseError(f"{source.name}: cannot repair a file named {path.name!r}")
        where = f"source_file = '{key}'"
        logger.warning("%s: %s was interrupted mid-load; deleting its partial rows", source.name, path.name)
        after = source.repair(self.warehouse, where) if source.repair else None
        self.warehouse.execute(f"ALTER TABLE {source.table} DELETE WHERE {where}")
        wait_until(
            lambda: int(self.warehouse.query(f"SELECT count() FROM {source.table} WHERE {where}").scalar()) == 0,
            timeout_s,
            f"the partial rows of {path.name} to be deleted",
            interval=0.2,
        )
        if after is not None:
            after()

    def _load_file(self, source: Source, path: Path) -> tuple[int, int]:
        rows: list[Row] = []
        total = bad = 0
        file_key = source.file_key(path) if source.exactly_once else None
        for line_no, record in _records(path):
            try:
                if record is None:
                    raise ValueError("not a JSON object")
                row = source.to_row(record, path.name, line_no)
                if file_key is not None:
                    row = {**row, "source_file": file_key}
                rows.append(row)
            except (KeyError, TypeError, ValueError) as exc:
                bad += 1
                logger.warning("%s: %s line %d skipped: %s", source.name, path.name, line_no, exc)
                continue
            if len(rows) >= INSERT_CHUNK_ROWS:
                total += self.warehouse.insert(source.table, rows)
                rows = []
        total += self.warehouse.insert(source.table, rows)
        logger.info("loaded %s: %d rows from %s (%d bad lines)", source.name, total, path.name, bad)
        return total, bad


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | None]]:
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                record = None
            yield line_no, record if isinstance(record, dict) else None
