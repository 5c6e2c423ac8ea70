"""Move files of JSON-lines rows into warehouse tables, exactly once per file.

The loader does not care who wrote the files (the collector's segments today, Flink's
FileSink outputs later): a :class:`Source` names a directory, a table and how a record
becomes a row. Only complete files are read (writers publish by renaming away a leading
``.``/``_``), in name order. Each loaded file is recorded in ``loaded_files``; if the
process dies between the insert and that record, the file is loaded again on restart and
the tables' ReplacingMergeTree keys make the second copy invisible to queries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from warehouse.base import Row, Warehouse

logger = logging.getLogger(__name__)

INSERT_CHUNK_ROWS = 50_000

RowMapper = Callable[[dict[str, Any], str, int], Row]
"""(record, file name, 1-based line number) -> row; raises KeyError/TypeError/ValueError on bad records."""


@dataclass(frozen=True)
class Source:
    name: str
    directory: Path
    table: str
    to_row: RowMapper
    suffix: str = ""

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
        self._loaded: set[tuple[str, str]] | None = None

    def loaded(self) -> set[tuple[str, str]]:
        if self._loaded is None:
            rows = self.warehouse.query("SELECT source, file FROM loaded_files").rows
            self._loaded = {(r[0], r[1]) for r in rows}
        return self._loaded

    def load_pending(self) -> LoadReport:
        report = LoadReport()
        done = self.loaded()
        for source in self.sources:
            for path in source.complete_files():
                if (source.name, path.name) in done:
                    continue
                rows, bad = self._load_file(source, path)
                self.warehouse.insert(
                    "loaded_files",
                    [
                        {
                            "source": source.name,
                            "file": path.name,
                            "rows": rows,
                            "bad_lines": bad,
                            "loaded_at": int(time.time()),
                        }
                    ],
                )
                done.add((source.name, path.name))
                report.files += 1
                report.rows += rows
                report.bad_lines += bad
                report.per_source[source.name] = report.per_source.get(source.name, 0) + rows
        return report

    def _load_file(self, source: Source, path: Path) -> tuple[int, int]:
        rows: list[Row] = []
        total = bad = 0
        for line_no, record in _records(path):
            try:
                if record is None:
                    raise ValueError("not a JSON object")
                rows.append(source.to_row(record, path.name, line_no))
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
