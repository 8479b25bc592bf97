"""A referral as other capabilities may read it: a small typed view with the moves its status
allows now, so that no other app reads `Referral` or the transition table."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ..models import Referral
from .rules import REFERRALS


@dataclass(frozen=True)
class ReferralState:
    pk: int
    public_id: UUID
    number: str
    status: str
    status_label: str
    sender_id: int
    receiver_id: int
    actions: frozenset[str]  # the REFERRALS actions its status allows now

    def allows(self, action: str) -> bool:
        return action in self.actions


def state_of(referral: Referral) -> ReferralState:
    """The view of a referral already in hand (no query)."""
    return ReferralState(
        pk=referral.pk,
        public_id=referral.public_id,
        number=referral.number,
        status=referral.status,
        status_label=str(referral.get_status_display()),
        sender_id=referral.sender_id,
        receiver_id=referral.receiver_id,
        actions=frozenset(
            a for a, (src, _to) in REFERRALS.actions.items() if referral.status in src
        ),
    )


def referral_state(*, pk: int | None = None, public_id: UUID | None = None) -> ReferralState | None:
    """The current state of a referral by primary key or public id; None when there is none."""
    if (pk is None) == (public_id is None):
        raise TypeError("referral_state needs exactly one of pk, public_id")
    found = Referral.objects.filter(**({"pk": pk} if pk is not None else {"public_id": public_id}))
    referral = found.first()
    return state_of(referral) if referral is not None else None
