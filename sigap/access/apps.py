from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Where care is missing: travel-time access to each kind of facility, and siting."""

    name = "sigap.access"
    label = "access"
