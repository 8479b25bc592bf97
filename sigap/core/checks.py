"""Deployment checks (`sigap check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from .fields import ENV_VAR, configured_keys


@register(Tags.security, deploy=True)
def demo_secret_key(app_configs=None, **kwargs) -> list[CheckMessage]:
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        return [
            Error(
                "SIGAP_SECRET_KEY is not set: the published demo key signs sessions.",
                hint="Set SIGAP_SECRET_KEY to a long random value outside the demo.",
                id="sigap.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def field_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    # Outside the demo the stored secrets must not hang on SECRET_KEY alone (it may be
    # rotated, and it does not belong in the same place as the database backups).
    if settings.SECRET_KEY != settings.DEMO_SECRET_KEY and not configured_keys():
        return [
            Error(
                f"{ENV_VAR} is not set: stored credentials are encrypted with a key derived "
                "from SECRET_KEY.",
                hint=f"Set {ENV_VAR} to one or more long random values, comma-separated, "
                "the newest first.",
                id="sigap.E002",
            )
        ]
    return []
