from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "sigap.referrals"
    label = "referrals"

    def ready(self) -> None:
        from . import services
        from .signals import referral_moved

        # each facility's SIMRS hears of every move of its referrals (signed webhooks)
        referral_moved.connect(services.on_referral_moved, dispatch_uid="referrals.webhooks")
        _register(self)
        _receive_homecare()


def _receive_homecare() -> None:
    """Home care hands "referral" escalations over to us (docs/contracts.md). The lambdas look
    the functions up on the services package at call time, so tests can patch them there."""
    from sigap.homecare import contracts

    from . import services

    contracts.register(
        contracts.Receiver(
            kind="referral",
            target_type="referrals.referral",
            receive=lambda actor, handover: contracts.Receipt.of(
                services.create_from_homecare(actor, handover)
            ),
            withdraw=lambda actor, withdrawal: services.withdraw_from_homecare(actor, withdrawal),
            page_url=lambda target_id: services.homecare_page_url(target_id),
        )
    )


def _register(app: AppConfig) -> None:
    from django.utils.translation import gettext_lazy as _

    from sigap.core import nav, registry
    from sigap.core.models import Role

    nav.add(nav.OFFICE, "referrals:office", _("Rujukan"), 30)
    nav.add(Role.HOSPITAL_OPERATOR, "referrals:inbox", _("Rujukan masuk"), 20)
    nav.add(Role.PUSKESMAS_STAFF, "referrals:home", _("Rujukan"), 10)
    nav.add(Role.AMBULANCE_CREW, "referrals:send", _("Kirim rujukan"), 20)
    registry.add_demo(app.label, f"{app.name}.demo", 30)
    registry.add_benchmark("referrals", "bench.referrals_inbox")
    registry.add_simulation("referrals", f"{app.name}.simulate")
    registry.add_gauge(
        "sigap_referrals_waiting",
        "Referrals waiting: for the hospital's answer, of them overdue, escalated or refused",
        ["state"],
        _waiting,
    )


def _waiting() -> dict[str, int]:
    from . import selectors

    return selectors.office_counts()
