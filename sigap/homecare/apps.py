from django.apps import AppConfig


class HomecareConfig(AppConfig):
    name = "sigap.homecare"
    label = "homecare"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from sigap.core import nav, registry
        from sigap.core.models import Role

        nav.add(nav.PUBLIC, "homecare:request_form", _("Perawatan di rumah"), 40)
        nav.add(Role.PUSKESMAS_STAFF, "homecare:inbox", _("Perawatan rumah"), 20)
        nav.add(Role.PUSKESMAS_STAFF, "homecare:my_visits", _("Kunjungan saya"), 30)
        nav.home(Role.PUSKESMAS_STAFF, "homecare:inbox")
        registry.add_demo(self.label, f"{self.name}.demo", 50)
        registry.add_benchmark("homecare", "bench.homecare_plan")
