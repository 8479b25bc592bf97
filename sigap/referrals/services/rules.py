"""The referral's rules as data: the transition table (a core.workflow `Workflow`), who may
send, which channels are trusted, answer deadlines and the room class of a held bed (the
payer's only effect)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from sigap.core.models import Role
from sigap.core.services import Channel
from sigap.core.workflow import Workflow

from ..models import Referral

S = Referral.Status
# the referral's one transition table, by action: action -> (statuses it may start from,
# status it ends in); audit actions are "referral.<action>"
REFERRALS = Workflow.of_actions(
    "referral",
    Referral,
    {
        "accept": ((S.SENT, S.ESCALATED), S.ACCEPTED),
        "reject": ((S.SENT, S.ESCALATED), S.REJECTED),
        "escalate": ((S.SENT,), S.ESCALATED),
        "redirect": ((S.REJECTED, S.ESCALATED), S.SENT),
        "arrive": ((S.ACCEPTED,), S.ARRIVED),
        "close": ((S.ARRIVED,), S.CLOSED),
        "cancel": ((S.SENT, S.ESCALATED, S.REJECTED, S.ACCEPTED), S.CANCELLED),
        "expire": ((S.ACCEPTED,), S.EXPIRED),
    },
)
# the same table by action, as the package has always published it (not a second table)
TRANSITIONS: Mapping[str, tuple[frozenset[str], str]] = REFERRALS.actions
OPEN_STATUSES = (S.SENT, S.ESCALATED)
ACTIVE_STATUSES = (S.SENT, S.ESCALATED, S.ACCEPTED, S.ARRIVED, S.REJECTED)

SENDER_ROLES = (
    Role.PUSKESMAS_STAFF,
    Role.HOSPITAL_OPERATOR,
    Role.AMBULANCE_CREW,
    Role.PSC_CALL_TAKER,
    Role.DISPATCHER,
)
UNIT_ROLES = (Role.AMBULANCE_CREW, Role.PSC_CALL_TAKER, Role.DISPATCHER)  # no facility of their own
OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)
# channels whose caller was authenticated by a facility credential (the view checks that the
# credential's facility is the right one) or that run inside SIGAP itself
TRUSTED_CHANNELS = {Channel.SYSTEM, Channel.CLI, Channel.SISRUTE}

# ward classes: the only place where the payer matters (critical care is the same for all)
WARD_CLASSES = ("VVP", "VIP", "UTM", "KL1", "KL2", "KL3", "KRS")
JKN_CLASSES = ("KL1", "KL2", "KL3")
PBI_CLASS = "KL3"  # JKN PBI members (and non-PBI without a known entitlement) lie in class III
DEFAULT_ANSWER_MINUTES = {"emergency": 15, "elective": 24 * 60}
DEFAULT_ARRIVAL_HOURS = 24


def answer_minutes(urgency: str) -> int:
    """Answer deadline for an urgency, from settings (SIGAP_REFERRAL_ANSWER_MINUTES)."""
    configured = getattr(settings, "SIGAP_REFERRAL_ANSWER_MINUTES", {}) or {}
    return int(configured.get(urgency, DEFAULT_ANSWER_MINUTES[urgency]))


def arrival_hours() -> int:
    """Hours an accepted patient has to arrive, from settings (SIGAP_REFERRAL_ARRIVAL_HOURS)."""
    return int(getattr(settings, "SIGAP_REFERRAL_ARRIVAL_HOURS", DEFAULT_ARRIVAL_HOURS))


def room_class_for(payer: str, bed_class: str | None, jkn_class: str = "") -> str | None:
    """The class of the bed to hold. Critical care, delivery, isolation and IGD beds are the
    same for every payer; for a ward bed JKN PBI is class III, JKN non-PBI its entitlement,
    general and private-insurance patients the class asked for."""
    if not bed_class or bed_class not in WARD_CLASSES:
        return bed_class or None
    if payer == Referral.Payer.JKN_PBI:
        return PBI_CLASS
    if payer == Referral.Payer.JKN_NON_PBI:
        return jkn_class if jkn_class in JKN_CLASSES else PBI_CLASS
    return bed_class
