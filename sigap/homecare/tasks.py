"""Background work of home care: tomorrow's plan made in the evening for every Puskesmas."""

from django.utils import timezone

from sigap.core.periodic import every

from . import services


@every(15 * 60, name="homecare.plan_tomorrow")
def plan_tomorrow() -> None:
    services.plan_tomorrow_if_due(timezone.now())
