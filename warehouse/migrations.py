"""Apply ``sql/schema/*.sql`` in order, idempotently, and record what was applied.

Every statement is idempotent (``IF NOT EXISTS``, ``DROP … IF EXISTS`` before a re-create,
guarded copies), so a crash halfway through a file is repaired by simply running the
migrations again. ClickHouse 18.16 has no ``ADD COLUMN IF NOT EXISTS``: the runner reads that
clause itself and skips the statement when ``system.columns`` already has the column.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from warehouse.base import Warehouse

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SCHEMA_DIR = SQL_DIR / "schema"

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version String,
    applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree() ORDER BY version
"""


def split_statements(sql: str) -> list[str]:
    """Split a file on ``;`` at line ends, dropping comment-only chunks."""
    statements = []
    for chunk in sql.split(";\n"):
        body = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        body = body.rstrip(";").strip()
        if body:
            statements.append(body)
    return statements


ADD_COLUMN_IF_NOT_EXISTS = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<table>\w+)\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+(?P<column>\w+)\s", re.IGNORECASE
)


def _apply(warehouse: Warehouse, statement: str) -> None:
    match = ADD_COLUMN_IF_NOT_EXISTS.match(statement)
    if match is None:
        warehouse.execute(statement)
        return
    present = warehouse.query(
        "SELECT count() FROM system.columns WHERE database = currentDatabase() "
        f"AND table = '{match['table']}' AND name = '{match['column']}'"
    ).scalar()
    if not int(present):
        warehouse.execute(re.sub(r"\s+IF\s+NOT\s+EXISTS", "", statement, count=1, flags=re.IGNORECASE))


def migrate(warehouse: Warehouse, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Apply pending migrations; returns the versions applied now."""
    warehouse.execute(MIGRATIONS_TABLE)
    done = {row[0] for row in warehouse.query("SELECT version FROM schema_migrations").rows}
    applied = []
    for path in sorted(schema_dir.glob("*.sql")):
        if path.stem in done:
            continue
        for statement in split_statements(path.read_text(encoding="utf-8")):
            _apply(warehouse, statement)
        warehouse.insert("schema_migrations", [{"version": path.stem, "applied_at": int(time.time())}])
        logger.info("applied migration %s", path.stem)
        applied.append(path.stem)
    return applied
