"""The console's controller: every action a key, the palette or a screen asks for, by family.

Each family is a mixin; those that act on the world extend `Acting` (the selection, the read-only
refusal, the confirmation with its reason). CutoverApp is made of this class and Textual's App, so the
actions run as the app (its dialogs, its workers, its notifications). What screens may call is
declared in `controls.py`.
"""

from __future__ import annotations

from cutover.console.controller.alerts import AlertActions
from cutover.console.controller.holds import HoldActions
from cutover.console.controller.jobs import JobControls
from cutover.console.controller.moves import MoveActions
from cutover.console.controller.panic import PanicRollback
from cutover.console.controller.quitting import Quitting
from cutover.console.controller.tenants import TenantActions
from cutover.console.controller.views import Views


class Controller(MoveActions, JobControls, TenantActions, HoldActions, PanicRollback, AlertActions, Views, Quitting):
    """The actions of CutoverApp (see app.py), one mixin a family."""
