"""Background work of the core: outbound webhook deliveries."""

from sigap.core.periodic import every

from . import webhooks


@every(5, name="core.deliver_webhooks")
def deliver_webhooks() -> None:
    webhooks.deliver_due()
