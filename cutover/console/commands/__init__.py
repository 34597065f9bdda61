"""The headless commands, one module per family; `cutover.console.cli` registers them."""
