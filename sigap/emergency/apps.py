from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "sigap.emergency"
    label = "emergency"

    def ready(self) -> None:
        from sigap.referrals.signals import referral_moved

        # a hospital's answer to an emergency referral moves its hand-off
        referral_moved.connect(_follow_referral, dispatch_uid="emergency.follow_referral")


def _follow_referral(sender, **kwargs) -> None:
    from . import services

    services.follow_referral(**kwargs)
