"""HTTP services through httpx: rclone's remote control, the validation suite, Slack."""
