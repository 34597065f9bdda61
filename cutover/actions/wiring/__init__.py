"""Wiring: the composition root (providers built from the configuration), the session (store, actor, clock),
the simulated fleet and the lab's set-up, logging and signals, and `doctor`. The only room that may import
`cutover.providers.sim`; it imports no other room."""
