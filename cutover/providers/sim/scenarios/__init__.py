"""Scenario files shipped with cutover, selectable by name: `cutover demo --scenario rollback-night`."""
