from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "sigap.coverage"
    label = "coverage"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav, registry

        nav.add(nav.PUBLIC, "coverage:check", _("Cek JKN"), 30)
        nav.add(nav.OFFICE, "coverage:dashboard", _("JKN"), 40)
        registry.add_demo(self.label, f"{self.name}.demo", 20)
        registry.add_benchmark("coverage", "bench.coverage_report")
