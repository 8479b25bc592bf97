from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The health office's command centre: situation page, reports, DHIS2, recognition."""

    name = "sigap.monitoring"
    label = "monitoring"
