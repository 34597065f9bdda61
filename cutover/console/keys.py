"""The console's keys, and remapping them from the configuration's [keys] table.

`[keys]` maps an action name to one key or several, comma-separated:

    [keys]
    cutover = "C"
    rollback = "ctrl+r"

Unknown actions, malformed keys and two actions on one key are refused with a
message naming the entry, before the console opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyAction:
    name: str  # the [keys] name, also the Textual binding id
    keys: str  # default key(s), Textual names, comma-separated
    action: str  # the Textual action it runs
    description: str
    changes_world: bool = False  # hidden and refused in --read-only
    show: bool = True
    # Opens a field or a dialog: acts the moment it arrives (a priority binding), and the keys typed after
    # it, even in the same read, wait for that field or dialog instead of reaching the table's keys.
    opens_input: bool = False


KEY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("help", "question_mark", "help", "Help"),
    KeyAction("filter", "slash", "filter", "Filter", opens_input=True),
    KeyAction("faults", "ctrl+z", "faults", "Faults only", show=False),
    KeyAction("tonight", "T", "tonight", "Tonight", show=False),
    KeyAction("restore_marks", "u", "restore_marks", "Restore marks", show=False),
    KeyAction("palette", "colon", "app.command_palette", "Commands", show=False, opens_input=True),
    KeyAction("clear", "escape", "clear", "Clear", show=False),
    KeyAction("detail", "enter", "detail", "Detail"),
    KeyAction("sort", "s", "sort", "Sort", show=False),
    KeyAction("sort_reverse", "S", "sort_reverse", "Reverse sort", show=False),
    KeyAction("alerts", "a", "toggle_panel('alerts')", "Alerts", show=False),
    KeyAction("waves", "w", "toggle_panel('waves')", "Waves", show=False),
    KeyAction("batch_view", "B", "batch_view", "Batch view", show=False),
    KeyAction("jobs_view", "J", "jobs_view", "Jobs", show=False),
    KeyAction("gate", "g", "gate", "Gate", show=False),  # evaluates only: an observer may open it too
    KeyAction("alert_history", "H", "alert_history", "Alert history", show=False),
    # The compliance report of the tenant under the cursor (or in the detail), as `cutover report TENANT`.
    KeyAction("report", "e", "app.open_report", "Report…", show=False),
    KeyAction(
        "acknowledge",
        "A",
        "acknowledge_alerts",
        "Acknowledge pinned alerts",
        show=False,
        changes_world=True,
        opens_input=True,
    ),
    KeyAction("cutover", "c", "cutover", "Cut over", changes_world=True, opens_input=True),
    KeyAction("ramp", "R", "ramp", "Ramp", show=False, changes_world=True, opens_input=True),
    KeyAction("batch", "b", "plan_batch", "Batch", changes_world=True, opens_input=True),
    KeyAction("rollback", "r", "rollback", "Roll back", changes_world=True, opens_input=True),
    KeyAction("pause", "p", "pause_batch", "Pause", show=False, changes_world=True, opens_input=True),
    KeyAction("dry_run", "d", "dry_run", "Dry run", show=False, changes_world=True),
    # Getting tenants ready, and the second operator: as `cutover sync|validate|approve`.
    KeyAction(
        "sync", "y", "app.sync_tenants('start')", "Sync: start", show=False, changes_world=True, opens_input=True
    ),
    KeyAction(
        "sync_final", "Y", "app.sync_tenants('final')", "Sync: final", show=False, changes_world=True, opens_input=True
    ),
    KeyAction(
        "sync_verify",
        "v",
        "app.sync_tenants('verify')",
        "Sync: verify",
        show=False,
        changes_world=True,
        opens_input=True,
    ),
    KeyAction("validate", "V", "app.validate_tenants", "Validate", show=False, changes_world=True, opens_input=True),
    KeyAction("approve", "o", "app.approve_tenants", "Approve", show=False, changes_world=True, opens_input=True),
    # The queue, as `cutover hold|unhold`: keep tenants out of every batch (a customer asked to reschedule).
    KeyAction(
        "hold", "h", "app.hold_tenants", "Hold out of the queue", show=False, changes_world=True, opens_input=True
    ),
    KeyAction(
        "unhold",
        "U",
        "app.unhold_tenants",
        "Unhold: back in the queue",
        show=False,
        changes_world=True,
        opens_input=True,
    ),
    # After the watch: the point of no return, as `cutover decommission`.
    KeyAction(
        "decommission",
        "D",
        "app.decommission_tenants",
        "Decommission",
        show=False,
        changes_world=True,
        opens_input=True,
    ),
    KeyAction(
        "rollback_all",
        "X",
        "app.roll_back_everything",
        "Roll back everything in flight",
        show=False,
        changes_world=True,
        opens_input=True,
    ),
    KeyAction("quit", "q", "quit_console", "Quit", opens_input=True),
)
BY_NAME = {spec.name: spec for spec in KEY_ACTIONS}
OPENS_INPUT = frozenset(spec.name for spec in KEY_ACTIONS if spec.opens_input)  # binding ids
# The keys that act on one tenant, bound in the tenant detail too (the same ids: a remap applies there as well).
TENANT_ACTIONS = (
    *("help", "gate", "report", "cutover", "ramp", "rollback", "dry_run"),
    *("sync", "sync_final", "sync_verify", "validate", "approve", "rollback_all", "decommission", "hold", "unhold"),
)
WORLD_CHANGING = frozenset(spec.action.split("(")[0] for spec in KEY_ACTIONS if spec.changes_world)

# The table's own keys (cursor movement and marking), which no action may take.
TABLE_KEYS = ("up", "down", "k", "j", "pageup", "pagedown", "ctrl+b", "ctrl+f", "home", "end", "G", "space")

_KEY = re.compile(r"^((ctrl|shift|alt|meta|super)\+)*([A-Za-z0-9]|f[0-9]{1,2}|[a-z_]{2,20})$")


class KeymapError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def resolve_keymap(configured: dict[str, str], source: str = "[keys]") -> dict[str, str]:
    """Validate the configured remapping; returns binding id -> keys for Textual's keymap."""
    problems: list[str] = []
    keymap: dict[str, str] = {}
    for name, keys in configured.items():
        if name not in BY_NAME:
            known = ", ".join(sorted(BY_NAME))
            problems.append(f"{source} {name}: no such console action; actions are {known}")
            continue
        parts = [part.strip() for part in str(keys).split(",")]
        bad = [part for part in parts if not _KEY.match(part)]
        if not parts or bad:
            problems.append(
                f"{source} {name} = {keys!r}: {', '.join(repr(b) for b in bad) or 'nothing'} is not a key; "
                'write keys like "c", "C", "ctrl+r", "f5", comma-separated'
            )
            continue
        keymap[name] = ",".join(parts)
    effective = {spec.name: spec.keys for spec in KEY_ACTIONS} | keymap
    owner: dict[str, str] = dict.fromkeys(TABLE_KEYS, "moving in the table")
    for name, keys in effective.items():
        for key in keys.split(","):
            if key in owner and owner[key] != name:
                problems.append(
                    f"{source}: {key!r} is bound to both {owner[key]} and {name}; give each action its own key"
                )
            owner[key] = name
    if problems:
        raise KeymapError(problems)
    return keymap
