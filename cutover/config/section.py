"""The base of every settings section: unknown keys are refused (a typo is an error, not a silent default),
and a loaded configuration never changes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    # defer_build: a model's validator is built when first used, not on import (the CLI imports every section
    # and provider model; a command uses a few), which takes a little off every start.
