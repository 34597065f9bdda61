"""The ports: the small async interfaces the engine and pollers use, one module a role.

The simulated fleet and the real clouds both implement them. Every observation
carries when it was measured and by which source, so the console can show
staleness and the engine can refuse to act on stale data.

Calls are fleet-wide where the real APIs allow it (one snapshot for every
tenant), so a refresh costs a handful of requests, not one per tenant.

errors.py (what goes wrong, retries made visible), dns.py, metrics.py, sync.py, health.py,
notify.py (one port each), remote_jobs.py (long work started then polled: sync and hydration),
bundle.py (Providers: one of each, as configured).
"""
