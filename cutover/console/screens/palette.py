"""`:` and ctrl+p: the command palette, with every console action, sort order and common filter."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from cutover.console.controller.jobs import JOB_VERBS
from cutover.console.controls import controls
from cutover.console.fleet.columns import ATTENTION, COLUMNS, QUEUE, SORTABLE
from cutover.console.fleet.filters import SORT_NAMES
from cutover.console.keys import KEY_ACTIONS
from cutover.model.lifecycle import Lifecycle


class FleetCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        from cutover.console.screens.main import MainScreen

        app = self.app
        screen = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
        if screen is None:
            return []
        console = controls(app)
        read_only = console.read_only
        commands: list[tuple[str, Callable[[], object], str]] = []
        for spec in KEY_ACTIONS:
            if spec.name == "palette" or (spec.changes_world and read_only):
                continue
            shown = console.keys_shown(spec.name, spec.action)
            commands.append((spec.description, partial(screen.run_action, spec.action), f"key {shown}"))
        if not read_only:  # a chosen job's controls: the newest job each applies to, or the jobs screen
            for verb, name in JOB_VERBS.items():
                commands.append((name, partial(console.palette_job_control, verb), "the newest such job (J lists all)"))
        headers = {column.key: column.header for column in COLUMNS} | {
            ATTENTION: SORT_NAMES[ATTENTION],
            QUEUE: "queue order",
        }
        for key in SORTABLE:
            commands.append((f"Sort by {headers[key]}", partial(screen.table.set_sort, key), ""))
        for state in Lifecycle:
            commands.append((f"Filter: state {state.label}", partial(screen.apply_filter, f"state:{state.value}"), ""))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        for tenant_id in self._tenants(query):
            name = f"Go to {tenant_id}"
            yield Hit(1.0, matcher.highlight(name), partial(self._go_to, tenant_id), help="the cursor on that tenant")

    def _tenants(self, query: str, limit: int = 8) -> list[str]:
        """Tenant IDs containing what was typed ("t-0555", "555"), exact match first."""
        from cutover.console.screens.main import MainScreen

        typed = query.strip().upper()
        screen = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if screen is None or len(typed) < 2:
            return []
        found = sorted((tid for tid in screen.table.all_ids if typed in tid.upper()), key=lambda t: (t != typed, t))
        return found[:limit]

    def _go_to(self, tenant_id: str) -> None:
        from cutover.console.screens.main import MainScreen

        screen = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if screen is not None:
            screen.go_to_tenant(tenant_id)
