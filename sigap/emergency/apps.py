from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "sigap.emergency"
    label = "emergency"

    def ready(self) -> None:
        from sigap.referrals.signals import referral_moved

        # a hospital's answer to an emergency referral moves its hand-off
        referral_moved.connect(_follow_referral, dispatch_uid="emergency.follow_referral")
        _register(self)
        _receive_homecare()


def _register(app: AppConfig) -> None:
    from django.utils.translation import gettext_lazy as _

    from sigap.core import nav, registry
    from sigap.core.models import Role

    nav.add(nav.PUBLIC, "emergency:sos", _("SOS 119"), 20)
    nav.add(nav.OFFICE, "emergency:report", _("Respons PSC"), 20)
    nav.add(Role.HOSPITAL_OPERATOR, "emergency:incoming", _("Pasien gawat darurat"), 30)
    nav.add(Role.PSC_CALL_TAKER, "emergency:intake", _("Panggilan"), 10)
    nav.add(Role.PSC_CALL_TAKER, "emergency:console", _("Dispatcher"), 20)
    nav.add(Role.DISPATCHER, "emergency:console", _("Dispatcher"), 10)
    nav.add(Role.DISPATCHER, "emergency:intake", _("Panggilan"), 20)
    nav.add(Role.DISPATCHER, "emergency:coverage", _("Satu Ambulans Satu Desa"), 30)
    nav.add(Role.AMBULANCE_CREW, "emergency:crew", _("Tugas kru"), 10)
    nav.home(Role.PSC_CALL_TAKER, "emergency:intake")
    nav.home(Role.DISPATCHER, "emergency:console")
    nav.home(Role.AMBULANCE_CREW, "emergency:crew")
    registry.add_demo(app.label, f"{app.name}.demo", 40)
    registry.add_benchmark("emergency", "bench.emergency_dispatch")
    registry.add_simulation("emergency", f"{app.name}.simulate")
    registry.add_gauge(
        "sigap_incidents_open", "Open emergency incidents by triage colour", ["triage"], _open
    )


def _open() -> dict[str, int]:
    from . import selectors

    return selectors.open_incident_counts()


def _follow_referral(sender, **kwargs) -> None:
    from . import services

    services.follow_referral(**kwargs)


def _receive_homecare() -> None:
    """Home care hands "emergency" escalations over to PSC 119 (docs/contracts.md). The
    functions are looked up on the services package at call time, so tests can patch them."""
    from sigap.homecare import contracts

    from . import services

    def withdraw(actor, withdrawal) -> str:
        incident = services.withdraw_from_homecare(actor, withdrawal)
        return incident.number if incident is not None else withdrawal.target_label

    contracts.register(
        contracts.Receiver(
            kind="emergency",
            target_type="emergency.incident",
            receive=lambda actor, handover: contracts.Receipt.of(
                services.create_from_homecare(actor, handover)
            ),
            withdraw=withdraw,
        )
    )
