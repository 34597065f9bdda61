"""OCI: DNS, load-balancer health, Monitoring and Object Storage, through the oci SDK (imported lazily).

The SDK is synchronous: every call runs in a worker thread (asyncio.to_thread),
with the SDK's own retries off and a timeout on every request, so retries are
ours: paced, bounded and visible in the event log.
"""
