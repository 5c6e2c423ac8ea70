"""The completeness seal of a definition file: a last line holding the checksum of the rest.

A file that is truncated, half-written in place, or edited after it was sealed still may
parse as YAML, and a short tag list that parses would clear the missing tags for every
user. The running job therefore loads only sealed files: ``touchstream tags deploy``
validates a file, appends the seal and publishes it by rename. The seal is a YAML comment,
so a sealed file is still an ordinary definitions file::

    tags:
      - name: orderer:plan
    # touchstream-seal sha256:<hex digest of every byte above this line>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

SEAL_PREFIX = b"# touchstream-seal sha256:"
SealState = Literal["sealed", "missing", "mismatch"]


@dataclass(frozen=True)
class Unsealed:
    """A file's content without its seal line, and what the seal said about it."""

    body: bytes
    state: SealState


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def unseal(data: bytes) -> Unsealed:
    """Split off the last line if it is a seal and check it against the content above it."""
    content = data[:-1] if data.endswith(b"\n") else data
    head, _, last = content.rpartition(b"\n")
    if not last.startswith(SEAL_PREFIX):
        return Unsealed(data, "missing")
    body = head + b"\n" if head else b""
    claimed = last[len(SEAL_PREFIX) :].strip().decode("ascii", "replace")
    return Unsealed(body, "sealed" if claimed == _digest(body) else "mismatch")


def seal(data: bytes) -> bytes:
    """``data`` (an old seal dropped) with a fresh seal line appended."""
    body = unseal(data).body
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return body + SEAL_PREFIX + _digest(body).encode() + b"\n"
