"""The SQLite session store: tenants, lifecycle, audit events, samples, jobs, leases."""
