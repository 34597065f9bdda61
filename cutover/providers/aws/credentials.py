"""What the AWS credential chain finds for a provider's access: where from, and until when.

Only for `cutover doctor`: the providers themselves load credentials when their
client is built (session.py). Nothing here returns a key: only the chain's method
("env", "sso", "assume-role", ...) and the expiry of temporary credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cutover.config.access import AwsAccess, configured_region
from cutover.providers.aws.errors import translate_aws_error
from cutover.providers.ports.errors import ProviderError
from cutover.providers.redaction import remember_secret


@dataclass(frozen=True)
class AwsCredentialInfo:
    profile: str  # the profile asked for, as the remedy names it
    method: str  # botocore's name of where they came from: env, shared-credentials-file, sso, assume-role, iam-role
    expires_at: float | None  # epoch seconds; None for long-lived keys


def profile_of(access: AwsAccess) -> str:
    return access.profile or os.environ.get("AWS_PROFILE") or "default"


async def credential_info(access: AwsAccess, source: str = "aws") -> AwsCredentialInfo:
    """The chain's credentials for this access, loaded (and refreshed) now; a ProviderError saying what to
    do when there are none, or an SSO session is not logged in or expired."""
    import aioboto3

    profile = profile_of(access)
    try:
        session = aioboto3.Session(
            profile_name=access.profile or None, region_name=configured_region(access, os.environ)
        )
        credentials = await session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        frozen = await credentials.get_frozen_credentials()  # an SSO or assumed role is fetched here
    except ProviderError:
        raise
    except Exception as exc:
        raise translate_aws_error(exc, "load credentials", source, profile) from None
    remember_secret(frozen.access_key, frozen.secret_key, frozen.token)
    expiry = getattr(credentials, "_expiry_time", None)
    return AwsCredentialInfo(
        profile=profile,
        method=str(getattr(credentials, "method", "") or "unknown"),
        expires_at=expiry.timestamp() if expiry is not None else None,
    )
