"""Running: the engine that leads, the runner (job kind -> flow), the flows, the pollers and the triggers.
Imports `plan/` and `wiring/`; never `reports/`."""
