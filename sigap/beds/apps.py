from django.apps import AppConfig


class BedsConfig(AppConfig):
    name = "sigap.beds"
    label = "beds"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav, registry
        from sigap.core.models import Role

        nav.add(nav.PUBLIC, "beds:board", _("Tempat tidur"), 10)
        nav.add(nav.OFFICE, "beds:office", _("Tempat tidur RS"), 10)
        nav.add(Role.HOSPITAL_OPERATOR, "beds:operator", _("Operator RS"), 10)
        nav.home(Role.HOSPITAL_OPERATOR, "beds:operator")
        nav.home(Role.ANALYST, "beds:office")
        nav.home(Role.ADMIN, "beds:office")
        registry.add_demo(self.label, f"{self.name}.demo", 10)
        registry.add_benchmark("beds", "bench.beds_board")
        registry.add_gauge(
            "sigap_beds_stale_hospitals",
            "Hospitals whose bed data is older than SIGAP_BED_STALE_AFTER_MINUTES",
            [],
            _stale_hospitals,
        )


def _stale_hospitals() -> int:
    from . import selectors

    return selectors.board_summary()["stale"]
