from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The health office's command centre: situation page, reports, DHIS2, recognition."""

    name = "sigap.monitoring"
    label = "monitoring"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav
        from sigap.core.models import Role

        # first in the office menu; registered after beds (INSTALLED_APPS), so this home wins
        nav.add(nav.OFFICE, "monitoring:situation", _("Situasi"), 0)
        nav.add(nav.OFFICE, "monitoring:report", _("Laporan"), 1)
        nav.home(Role.ANALYST, "monitoring:situation")
        nav.home(Role.ADMIN, "monitoring:situation")
