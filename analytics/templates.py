"""SQL templates under ``sql/``, rendered with Jinja2.

Templates shape SQL only (how many steps, which columns); they never receive a person's
text. Values reach the engine as bound ``{name:Type}`` parameters. ``StrictUndefined``
makes a missing template variable an error instead of an empty string in the SQL.
"""

from __future__ import annotations

from functools import cache

import jinja2

from warehouse.migrations import SQL_DIR


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(SQL_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # SQL, not HTML; nothing from a person is rendered
        keep_trailing_newline=False,
    )


def render_sql(name: str, **context: object) -> str:
    """Render ``sql/<name>`` and drop blank lines left by template tags."""
    text = _environment().get_template(name).render(**context)
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"
