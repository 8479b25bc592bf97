"""Background work of the nutrition app."""

from sigap.core.periodic import every

from . import services


@every(600, name="nutrition.retry_handoffs")
def retry_handoffs() -> None:
    """Hand waiting home-care actions and high-risk pregnancies to home care."""
    services.retry_handoffs()
