"""Adapters to the world behind small async interfaces, and the simulated fleet."""
