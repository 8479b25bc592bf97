"""Background work of the bed board."""

from sigap.core.periodic import every

from . import services


@every(60, name="beds.expire_holds")
def expire_holds() -> None:
    services.expire_holds()
