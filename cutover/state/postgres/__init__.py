"""The session store on PostgreSQL (state.path = "postgresql://..."): see store.py."""
