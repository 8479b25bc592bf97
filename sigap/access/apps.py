from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Where care is missing: travel-time access to each kind of facility, and siting."""

    name = "sigap.access"
    label = "access"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav, registry

        nav.add(nav.OFFICE, "access:map", _("Akses"), 70)
        registry.add_demo(self.label, f"{self.name}.demo", 70)
        registry.add_benchmark("access-indicators", "bench.access_indicators")
        registry.add_benchmark("access-sites", "bench.access_sites")
        registry.add_planner("sites", f"{self.name}.planning.command")
