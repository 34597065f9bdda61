"""`cutover doctor`: every configured part checked once with a harmless call, and how to fix each failure.

`run_doctor(loaded)` returns a Report of Checks (ok, warn, fail; detail; fix). The
checks live by what they reach: local.py (store, time zones), credentials.py,
clouds.py (DNS, metrics, load balancers, listings), tools.py (rclone, SSH,
notifiers), skew.py (clock skew from the answers' Date headers).
"""

from cutover.actions.wiring.doctor.results import SCHEMA, Check, Report, Status
from cutover.actions.wiring.doctor.run import DEFAULT_TIMEOUT, run_doctor

__all__ = ["DEFAULT_TIMEOUT", "SCHEMA", "Check", "Report", "Status", "run_doctor"]
