from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "sigap.referrals"
    label = "referrals"

    def ready(self) -> None:
        from . import services
        from .signals import referral_moved

        # each facility's SIMRS hears of every move of its referrals (signed webhooks)
        referral_moved.connect(services.on_referral_moved, dispatch_uid="referrals.webhooks")
