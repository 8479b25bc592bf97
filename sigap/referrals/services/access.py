"""Who may see and act on a referral, and the audit of referral downloads."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sigap.core.errors import Forbidden, NotAuthenticated, NotFound
from sigap.core.models import Role, User
from sigap.core.services import Actor, record_audit
from sigap.facilities import services as facility_services

from ..models import Referral
from .rules import TRUSTED_CHANNELS


def is_office(user: User | None) -> bool:
    """Health office staff (analyst, admin): they see referrals of their area."""
    return bool(
        user and user.is_authenticated and (user.is_admin_role or user.role == Role.ANALYST)
    )


def can_view(user: User | None, referral: Referral) -> bool:
    """Sender's facility, receiver's facility, the PSC user who sent it, health office."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.ANALYST:
        return user.covers_area(referral.receiver.village_id) or (
            referral.sender is not None and user.covers_area(referral.sender.village_id)
        )
    if referral.created_by_id == user.pk:
        return True
    if facility_services.can_operate(user, referral.receiver):
        return True
    return referral.sender is not None and facility_services.can_operate(user, referral.sender)


def require_view(actor: Actor, referral: Referral) -> None:
    """NotAuthenticated without a user; NotFound (not Forbidden) when `can_view` refuses."""
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if not can_view(actor.user, referral):
        raise NotFound(_("Rujukan tidak ditemukan."))  # do not reveal that it exists


def _require_receiver(actor: Actor, referral: Referral) -> None:
    if actor.user is None and actor.channel in TRUSTED_CHANNELS:
        return
    facility_services.require_operator(actor, referral.receiver)


def _require_sender_or_office(actor: Actor, referral: Referral) -> None:
    if actor.user is None and actor.channel in TRUSTED_CHANNELS:
        return
    user = actor.user
    if user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if is_office(user) and can_view(user, referral):
        return
    if referral.created_by_id == user.pk:
        return
    if referral.sender is not None and facility_services.can_operate(user, referral.sender):
        return
    raise Forbidden(_("Hanya pengirim atau Dinas Kesehatan yang dapat melakukan ini."))


def audit_download(actor: Actor, what: str, count: int, params: dict) -> None:
    """Every export of referral data is in the audit trail."""
    record_audit(
        actor,
        "referral.download",
        object_type="referrals.report",
        object_id=what,
        object_label=what,
        after={"rows": count, **params},
    )
