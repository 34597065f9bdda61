"""The lab: local stand-ins for the clouds, so the real providers can run with no cloud account.

moto in server mode for Route 53, CloudWatch and S3; a local OCI endpoint that
verifies the SDK's request signatures; a local rclone remote control; tenant
health endpoints; a Slack webhook; an SSH server. Product code: `cutover lab`
runs them, and the integration tests reuse them.
"""
