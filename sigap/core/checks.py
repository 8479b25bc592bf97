"""Deployment checks (`sigap check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


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
