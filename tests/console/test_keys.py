"""Remapping keys from the configuration's [keys] table."""

from __future__ import annotations

import pytest

from cutover.console.keys import KeymapError, resolve_keymap


def test_keymap_remaps_and_refuses_bad_entries() -> None:
    assert resolve_keymap({"cutover": "C", "rollback": "ctrl+r"}) == {"cutover": "C", "rollback": "ctrl+r"}
    with pytest.raises(KeymapError) as bad:
        resolve_keymap({"cutover": "r", "launch": "x", "gate": "ctrl+"}, source="war.toml [keys]")
    problems = "\n".join(bad.value.problems)
    assert "war.toml [keys] launch: no such console action" in problems
    assert "war.toml [keys] gate = 'ctrl+'" in problems
    assert "'r' is bound to both" in problems
    with pytest.raises(KeymapError, match="moving in the table"):
        resolve_keymap({"cutover": "j"})
