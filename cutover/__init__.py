"""Cutover: terminal mission control for tenant-by-tenant AWS -> OCI cutovers."""

__version__ = "0.1.0"
