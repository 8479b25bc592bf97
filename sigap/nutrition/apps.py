from django.apps import AppConfig


class NutritionConfig(AppConfig):
    name = "sigap.nutrition"
    label = "nutrition"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav, registry
        from sigap.core.models import Role

        nav.add(nav.OFFICE, "nutrition:dashboard", _("Gizi"), 50)
        nav.add(nav.OFFICE, "nutrition:mch", _("KIA"), 60)
        nav.add(Role.PUSKESMAS_STAFF, "nutrition:entry", _("Posyandu"), 40)
        nav.add(Role.PUSKESMAS_STAFF, "nutrition:cases", _("Kasus gizi"), 50)
        registry.add_demo(self.label, f"{self.name}.demo", 60)
        registry.add_benchmark("nutrition", "bench.nutrition_zscores")
        registry.add_benchmark("nutrition-quality", "bench.nutrition_quality")
