"""``touchstream backfill FILES``: a bounded BATCH run of the job, its outputs loaded into the warehouse.

When it returns, the events and tag changes of ``files`` are queryable (``touchstream sql``),
with or without a running stack: if a warehouse owner is alive it loads the new part files
itself (and this waits for it), otherwise the backfill opens the warehouse and loads them.
An embedded Redis it had to start is stopped again. The report counts what happened to the
input: lines read, rejected, late, duplicates, tag changes, users.

The events table has no FINAL to hide a second copy, so a file is backfilled into a home once:
a ledger (``flink/backfilled.txt``: SHA-256 of the content) makes running the same backfill
again skip what was done. Events the live job also reads (its event log) must not be
backfilled as well: that would count them twice (docs/pipeline.md).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from core.clock import now_ms
from core.config import Settings
from core.processes import wait_until
from flink_jobs.options import OUTPUT_TABLES, JobOptions, JobPaths
from flink_jobs.outputs import warehouse_sources
from warehouse.loader import Source

logger = logging.getLogger(__name__)

Phase = Callable[[str], None]


@dataclass
class BackfillReport:
    files: int = 0
    skipped: int = 0  # backfilled into this home before (same content)
    lines: int = 0
    events: int = 0
    rejected: int = 0
    late: int = 0
    tag_changes: int = 0
    users: int = 0
    seconds: float = 0.0
    loaded_rows: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        """Lines that were valid events but repeated one already counted (client retries)."""
        return max(0, self.lines - self.rejected - self.events)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "skipped": self.skipped,
            "lines": self.lines,
            "events": self.events,
            "rejected": self.rejected,
            "late": self.late,
            "duplicates": self.duplicates,
            "tag_changes": self.tag_changes,
            "users": self.users,
            "seconds": round(self.seconds, 1),
        }


def run_backfill(
    settings: Settings,
    files: list[Path],
    options: JobOptions | None = None,
    phase: Phase | None = None,
    sources: list[Source] | None = None,
) -> BackfillReport:
    """Process ``files`` (event-log segments, any order) as a bounded BATCH job, then load its outputs.

    BATCH mode sorts each key's input by event time, so a shuffled backlog gives the same
    counts and tags as reading it in order. Tag timers fire up to ``options.horizon_ms``
    (default: now), not to the end of time.
    """
    from flink_jobs.job import build_job
    from tagging.profiles import redis_for

    if not files:
        raise ValueError("backfill needs at least one file")
    say = phase or (lambda text: logger.info("%s", text))
    options = options or JobOptions()
    if options.contacts_timezone is None:
        options = options.with_(contacts_timezone=settings.touchpoints_timezone)
    if options.horizon_ms is None:
        options = options.with_(horizon_ms=now_ms())
    paths = JobPaths.of(settings)
    done = _ledger(paths)
    digests = {f: _digest(f) for f in files}
    skipped = [f for f in files if digests[f] in done]
    files = [f for f in files if digests[f] not in done]
    report = BackfillReport(files=len(files), skipped=len(skipped), lines=sum(_count_lines(f) for f in files))
    if not files:
        say(f"all {len(skipped)} file(s) were backfilled before: nothing to do")
        return report
    before = _part_files(paths)
    started = time.monotonic()
    with redis_for(settings) as redis_url:
        say(f"running the job over {report.files} file(s), {report.lines} lines")
        job = build_job(files, paths, options, redis_url, continuous=False, batch=True)
        job.env.execute("touchstream-backfill")
    report.seconds = time.monotonic() - started
    with paths.backfill_ledger.open("a") as ledger:
        ledger.write("".join(f"{digests[f]} {f}\n" for f in files))
    new = {table: sorted(_part_files(paths)[table] - before[table]) for table in OUTPUT_TABLES}
    _count_outputs(report, new)
    say(f"loading {sum(len(v) for v in new.values())} output file(s) into the warehouse")
    report.loaded_rows = load_outputs(settings, new, sources or warehouse_sources(settings))
    logger.info("backfill of %d file(s) done in %.1f s: %s", len(files), report.seconds, report.as_dict())
    return report


def load_outputs(
    settings: Settings, new: dict[str, list[Path]], sources: list[Source], timeout_s: float = 600.0
) -> dict[str, int]:
    """Make the job's committed outputs queryable: wait for a live warehouse owner to load them, or
    open the warehouse and load ``sources`` here (the loader skips files already loaded)."""
    from warehouse.client import live_owner, run_query
    from warehouse.connect import connect
    from warehouse.loader import Loader
    from warehouse.migrations import migrate

    if live_owner(settings) is None:
        with connect(settings.warehouse_url) as warehouse:
            migrate(warehouse)
            return Loader(warehouse, sources).load_pending().per_source
    published = [p for paths in new.values() for p in paths]
    wanted = {(s.name, p.name) for s in sources for p in published if p.parent == s.directory}
    if not wanted:
        return {}

    def loaded() -> bool:
        rows = run_query(settings, "SELECT source, file FROM loaded_files WHERE state = 'done'").rows
        return wanted <= {(r[0], r[1]) for r in rows}

    wait_until(loaded, timeout_s, f"the warehouse owner to load {len(wanted)} output file(s)", interval=0.5)
    return {}


def _part_files(paths: JobPaths) -> dict[str, set[Path]]:
    out: dict[str, set[Path]] = {}
    for table in OUTPUT_TABLES:
        directory = paths.output(table)
        out[table] = (
            {p for p in directory.iterdir() if p.is_file() and not p.name.startswith((".", "_"))}
            if directory.is_dir()
            else set()
        )
    return out


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ledger(paths: JobPaths) -> set[str]:
    ledger = paths.backfill_ledger
    return {line.split(" ", 1)[0] for line in ledger.read_text().splitlines() if line} if ledger.exists() else set()


def _lines(files: list[Path]) -> Iterator[bytes]:
    for path in files:
        with path.open("rb") as handle:
            yield from (line for line in handle if line.strip())


def _count_outputs(report: BackfillReport, new: dict[str, list[Path]]) -> None:
    users: set[str] = set()
    for line in _lines(new["events"]):
        record = orjson.loads(line)
        report.events += 1
        report.late += 1 if record.get("late") else 0
        users.add(str(orjson.loads(record["line"]).get("user_id")))
    report.users = len(users)
    report.rejected = sum(1 for _ in _lines(new["rejects"]))
    report.tag_changes = sum(1 for _ in _lines(new["tag_changes"]))


def _count_lines(path: Path) -> int:
    return sum(1 for _ in _lines([path]))
