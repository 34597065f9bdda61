"""botocore's exceptions, translated into ProviderErrors that say whether a retry may help."""

from __future__ import annotations

from collections.abc import Callable

from cutover.providers.calls import unexpected_error
from cutover.providers.ports.errors import ProviderError, Throttled

# Route 53, CloudWatch and S3 spell "slow down" several ways.
THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
    "PriorRequestNotComplete",
}
TRANSIENT = {"ServiceUnavailable", "InternalError", "InternalFailure", "RequestTimeout", "RequestTimeoutException"}
# Temporary credentials (an SSO role, an assumed role) past their expiry. (An SSO token missing,
# expired or refused before any call is botocore's TokenRetrievalError or an SSOError: SSOTokenLoadError,
# UnauthorizedSSOTokenError.)
EXPIRED = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "UnrecognizedClientException"}


def sso_remedy(operation: str, profile: str) -> str:
    """One line an operator can act on at 3 AM, instead of botocore's tracebacks."""
    return (
        f"{operation}: the AWS credentials of profile {profile!r} have expired or the SSO session is not logged in: "
        f"run `aws sso login --profile {profile}`"
    )


# Where a provider's AWS settings sit in the configuration, to name it in a message.
_SECTIONS = {
    "cloudwatch": "[providers.metrics.aws.aws]",
    "s3": "[providers.sync.listings.s3]",
    "elbv2": "[providers.health.aws_targets.aws]",
}


def no_region(source: str, profile: str) -> str:
    section = _SECTIONS.get(source, "the provider's [aws] section")
    return (
        f"no AWS region: set region in {section}, AWS_REGION, "
        f"or region in profile {profile!r} of the AWS config file (~/.aws/config, or AWS_CONFIG_FILE)"
    )


def translate_aws_error(exc: BaseException, operation: str, source: str, profile: str = "default") -> ProviderError:
    from botocore import exceptions as boto

    if isinstance(exc, (boto.TokenRetrievalError, boto.SSOError, boto.UnauthorizedSSOTokenError)) or (
        isinstance(exc, boto.ClientError) and exc.response.get("Error", {}).get("Code") in EXPIRED
    ):
        return ProviderError(source, sso_remedy(operation, profile), code="ExpiredToken")
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        request_id = str(exc.response.get("ResponseMetadata", {}).get("RequestId", ""))
        text = f"{operation}: {code}: {message}" if message else f"{operation}: {code}"
        if code in THROTTLING:
            return Throttled(source, text, request_id=request_id, code=code)
        if code in TRANSIENT or status >= 500:
            return ProviderError(source, f"{text} (HTTP {status})", retryable=True, request_id=request_id, code=code)
        return ProviderError(source, text, request_id=request_id, code=code)
    if isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError)):
        return ProviderError(
            source,
            f"{operation}: no AWS credentials found: set profile in the provider's [aws] section, "
            "or AWS_PROFILE, or run on an instance with a role",
        )
    if isinstance(exc, boto.NoRegionError):
        return ProviderError(source, f"{operation}: {no_region(source, profile)}")
    if isinstance(exc, boto.ProfileNotFound):
        return ProviderError(source, f"{operation}: {exc}: check profile in the provider's [aws] section")
    if isinstance(exc, (boto.EndpointConnectionError, boto.ConnectTimeoutError, boto.ReadTimeoutError)):
        return ProviderError(source, f"{operation}: {exc}", retryable=True)
    if isinstance(exc, (boto.ConnectionClosedError, OSError, TimeoutError)):
        return ProviderError(source, f"{operation}: connection failed: {exc}", retryable=True)
    return unexpected_error(exc, operation, source)


def aws_translator(source: str, profile: str = "default") -> Callable[[BaseException, str], ProviderError]:
    return lambda exc, operation: translate_aws_error(exc, operation, source, profile)
