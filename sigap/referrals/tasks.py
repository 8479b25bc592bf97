"""Background work of referrals: the answer-deadline sweep (logic in services)."""

from sigap.core.periodic import every

from . import services


@every(30)
def escalate_overdue_referrals() -> dict[str, int]:
    """Referrals past their answer deadline go to the health office; accepted referrals
    whose patient never arrived expire."""
    return services.escalate_overdue()
