"""The base of every definition model (catalogue, tags, world, campaigns...)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Frozen, and unknown fields are errors: a typo in a definition file fails at load."""

    model_config = ConfigDict(extra="forbid", frozen=True)
