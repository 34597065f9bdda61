"""Commands on remote hosts through asyncssh: `rclone rc` on the sync node, re-hydration on cluster hosts."""
