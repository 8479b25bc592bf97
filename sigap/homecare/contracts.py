"""The hand-over contract of home care (docs/contracts.md): danger signs found on a home visit
go to whichever capability registered a receiver for the escalation's kind (referrals for
"referral", emergency for "emergency"), as a typed payload; what comes back is a receipt.

Home care owns the contract and imports no receiver; receivers register in their
`AppConfig.ready()` and read only the payload, never home care's models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sigap.core.services import Actor
from sigap.facilities.models import Facility


@dataclass(frozen=True)
class PatientSummary:
    """The patient of the care request, as the receiver may use it."""

    nik: str
    name: str
    phone: str
    address: str
    village_code: str
    latitude: float | None
    longitude: float | None
    need: str


@dataclass(frozen=True)
class VisitSummary:
    """The visit record that found the signs: vital signs, notes, outcome, the worker."""

    systolic: int | None
    diastolic: int | None
    pulse: int | None
    respiration: int | None
    temperature: Decimal | None
    spo2: int | None
    notes: str
    outcome_label: str
    worker_id: int | None
    worker_full_name: str
    worker_username: str


@dataclass(frozen=True)
class HandOver:
    """What home care hands over. `escalation_id` is stable: a receiver uses it to answer a
    second hand-over of the same escalation with what it created the first time."""

    escalation_id: UUID
    kind: str
    signs: tuple[str, ...]
    sign_labels: tuple[str, ...]
    facility: Facility  # the Puskesmas that refers (facilities is a foundation app)
    patient: PatientSummary
    visit: VisitSummary


@dataclass(frozen=True)
class Receipt:
    """What a receiver created: `target_type` is "app_label.model", `target_id` its public id,
    `label` what people read (the referral or incident number)."""

    target_type: str
    target_id: UUID
    label: str

    @classmethod
    def of(cls, obj: Any) -> Receipt | None:
        """The receipt of a created model instance with a `public_id`; None stays None."""
        if obj is None:
            return None
        return cls(target_type=obj._meta.label_lower, target_id=obj.public_id, label=str(obj))


@dataclass(frozen=True)
class Withdrawal:
    """An escalation raised in error, withdrawn by the worker who recorded the visit."""

    escalation_id: UUID
    target_id: UUID | None
    target_label: str
    worker_id: int | None
    note: str
    now: datetime


Receive = Callable[[Actor, HandOver], "Receipt | None"]
Withdraw = Callable[[Actor, Withdrawal], str]
PageUrl = Callable[[UUID], str]


@dataclass(frozen=True)
class Receiver:
    """`receive` returns a Receipt or None ("not taken": the escalation stays open) and may
    raise; `withdraw` cancels what `receive` created and returns its label, or raises
    `Conflict` when the receiver has already acted on it; `page_url` gives the page of what
    `receive` created (by the receipt's `target_id`) that Puskesmas staff may open, "" when
    it is gone. Without `page_url` the hand-over shows as text only."""

    kind: str
    target_type: str
    receive: Receive
    withdraw: Withdraw | None = None
    page_url: PageUrl | None = None


_RECEIVERS: dict[str, Receiver] = {}


def register(receiver: Receiver) -> None:
    """Called from a receiving app's `ready()`; one receiver per escalation kind."""
    _RECEIVERS[receiver.kind] = receiver


def receiver_for(kind: str) -> Receiver | None:
    return _RECEIVERS.get(kind)


def receiver_of(target_type: str) -> Receiver | None:
    """The receiver that creates `target_type` records (for withdrawing them)."""
    return next((r for r in _RECEIVERS.values() if r.target_type == target_type), None)
