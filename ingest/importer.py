"""Import a file of historical events into the event log, in time order (``touchstream import FILE``).

History must not go through the collector: the collector's workers write their own segments,
which the stream job reads by name, so two workers interleave by up to a segment's roll age.
Live, that is under a second of event time; a replay that sends three days in a minute turns
it into hours, and most of the history would arrive behind the watermark (late). The importer
does what the collector does to each event (the same validation, derived time, enrichment,
quarantine) and writes the accepted ones sorted by event time through one segment writer, so
the job reads them in order. Import history before live traffic (the demo does); events older
than the live stream's watermark would be late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from core.clock import now_ms
from core.config import Settings
from core.contract import EventRejected, EventValidator, default_catalogue
from ingest.enrich import enrich
from ingest.quarantine import quarantine_line
from ingest.segments import SegmentWriter

logger = logging.getLogger(__name__)

IMPORT_IP = ""
QUARANTINE_RAW_BYTES = 64 * 1024


@dataclass
class ImportReport:
    lines: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def import_events(settings: Settings, path: Path, user_agent: tuple[str, str, str] = ("", "", "")) -> ImportReport:
    """Validate, enrich and append ``path``'s events to the event log sorted by event time.

    All sources are allowed (the operator imports its own history, back-end events included).
    The whole accepted file is sorted in memory: for history larger than memory use
    ``touchstream backfill`` on files outside the event log instead.
    """
    assert settings.event_log is not None and settings.quarantine_log is not None
    validator = EventValidator(default_catalogue())
    received_at = now_ms()
    report = ImportReport()
    accepted: list[dict[str, Any]] = []
    rejected: list[bytes] = []
    with Path(path).open("rb") as handle:
        for index, line in enumerate(handle):
            if not line.strip():
                continue
            report.lines += 1
            try:
                event = validator.validate(_parse(line), received_at)
            except EventRejected as exc:
                reason = str(exc)
                report.rejected += 1
                report.reasons[reason.split(":", 1)[0]] = report.reasons.get(reason.split(":", 1)[0], 0) + 1
                rejected.append(quarantine_line(received_at, IMPORT_IP, index, reason, line, QUARANTINE_RAW_BYTES))
                continue
            accepted.append(enrich(event, received_at, IMPORT_IP, user_agent))
    accepted.sort(key=lambda e: (e["ts"], e["event_id"]))
    report.accepted = len(accepted)
    _write(settings.event_log, [orjson.dumps(e) + b"\n" for e in accepted])
    _write(settings.quarantine_log, rejected)
    logger.info("imported %d of %d events from %s (%d rejected)", report.accepted, report.lines, path, report.rejected)
    return report


def _parse(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EventRejected(f"not valid JSON: {exc}") from None


def _write(directory: Path, lines: list[bytes], chunk: int = 5_000) -> None:
    if not lines:
        return
    writer = SegmentWriter(directory, max_age_s=3600.0)  # rolled by size and at close, not by age
    try:
        for start in range(0, len(lines), chunk):
            writer.append(b"".join(lines[start : start + chunk]))
    finally:
        writer.close()
