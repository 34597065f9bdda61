"""The base of every settings section: unknown keys are refused (a typo is an error, not a silent default),
and a loaded configuration never changes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
