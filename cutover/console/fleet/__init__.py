"""The fleet as the console shows it: columns and cells (columns.py), one row per tenant (rows.py), the
`/` filter and the sort orders (filters.py), the waves' summary (waves.py). Pure Python, no Textual."""
