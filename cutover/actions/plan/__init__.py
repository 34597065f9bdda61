"""Deciding: what an action would do and whether it may (the operations facade, the gate, the safety rules,
capacity, the batch schedule, the DNS plan). Imports `wiring/` (the session) and the layers below `actions/`."""
