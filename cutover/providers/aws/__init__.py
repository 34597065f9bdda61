"""AWS: Route 53 DNS, CloudWatch metrics, S3 listings, through aioboto3 (imported lazily)."""
