"""Definition sets for the reload tests: copies of the shipped one, edited, published or torn."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.files import publish_file
from tagging.catalogue import DEFINITIONS_DIR, DefinitionSource, build_catalogue
from tagging.seal import seal, unseal


def shipped_text() -> str:
    """The shipped tags.yaml without its seal."""
    return unseal((DEFINITIONS_DIR / "tags.yaml").read_bytes()).body.decode()


def copy_definitions(tmp_path: Path) -> Path:
    """A private, sealed copy of the shipped definitions to watch and deploy into."""
    directory = tmp_path / "defs"
    directory.mkdir()
    shutil.copy2(DEFINITIONS_DIR / "tags.yaml", directory / "tags.yaml")
    return directory


def edited(old: str, new: str) -> str:
    """The shipped tags.yaml with one edit (which must apply)."""
    text = shipped_text()
    assert old in text
    return text.replace(old, new)


def ten_day_orderers() -> str:
    """The shipped tags.yaml with every orderer window cut from 30 to 10 days: a valid, harmless change."""
    return edited("orderer: {window_days: 30}", "orderer: {window_days: 10}")


def publish_sealed(directory: Path, data: str | bytes, name: str = "tags.yaml") -> Path:
    """What ``tags deploy`` publishes, minus the validation: sealed, written hidden, renamed."""
    raw = data.encode() if isinstance(data, str) else data
    return publish_file(directory / name, seal(raw))


def overwrite_in_place(path: Path, data: str | bytes) -> None:
    """An editor or ``cp`` writing over the file itself, with its mtime moved on so a change is
    seen even within one clock tick."""
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def half_that_parses(text: str, share: float = 0.4) -> str:
    """The first ``share`` of ``text``'s lines: a torn write that is still valid YAML."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: int(len(lines) * share)])


def tags_of(text: str) -> set[str]:
    """The tags ``text`` defines as a lone tags.yaml (seal or not)."""
    return set(build_catalogue([DefinitionSource("tags.yaml", text.encode())]).tags)


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
# Each hostile file, and the reason it must be refused with (so the right guard is the one that caught it).
HOSTILE: dict[str, tuple[bytes, str]] = {
    "billion laughs": (BILLION_LAUGHS.encode(), "aliases (*name) are not allowed"),
    "recursive alias": (b"tags: &t [*t]\n", "aliases (*name) are not allowed"),
    "deep nesting": (b"tags: " + b"[" * 200_000 + b"]" * 200_000 + b"\n", "nested deeper than 32 levels"),
    "deep mappings": (b"families: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n", "nested deeper than 32 levels"),
    "not UTF-8": ("tags:\n  - name: orderer:plan\n    description: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "UTF-16": ("tags:\n  - name: orderer:plan\n".encode("utf-16"), "not UTF-8"),
    "NUL byte": (b"tags:\n  - name: orderer:plan\x00\n", "unacceptable character #x0000"),
    "python object": (b"tags: !!python/object/apply:os.system ['true']\n", "could not determine a constructor"),
    "impossible date": (b"tags:\n  - name: !!timestamp 2024-13-45\n", "ValueError: month must be in 1..12"),
    "second tags key": ((shipped_text() + "tags:\n  - name: orderer:plan\n").encode(), "key 'tags' given twice"),
    "window past 64-bit ms": (
        edited("orderer: {window_days: 30}", "orderer: {window_days: 99999999999999}").encode(),
        "families.orderer: params: window_days: Input should be less than or equal to 3660",
    ),
    "not a mapping": (b"- orderer:plan\n", "valid dictionary"),
}
