"""Reports from the store: a tenant's compliance report and a migration night's, rendered by templates."""
