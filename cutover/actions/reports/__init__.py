"""Reporting: what the store says happened, for a person (following a job, the fleet summary, a batch's
record, a rehearsed night, a tenant's compliance report and a migration night's). Imports any other room."""
