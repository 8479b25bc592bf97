"""The transition tables of the four workflows and the one function that moves each:

- request:   REQUEST_FLOW, `move_request`
- care plan: PLAN_FLOW,    `move_plan`
- visit:     VISIT_FLOW,   `move_visit`
- transport: TRIP_FLOW,    `move_trip`

plus the bulk moves several workflows share (release, cancel, compare-and-set of `is_active`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict
from sigap.core.services import Actor, record_audit

from ..models import (
    CarePlan,
    HomecareRequest,
    PlanStatus,
    RequestStatus,
    TransportTrip,
    TripStatus,
    Visit,
    VisitStatus,
)
from ._input import field_length

REQUEST_FLOW: dict[str, set[str]] = {
    RequestStatus.SUBMITTED: {
        RequestStatus.ELIGIBLE, RequestStatus.INELIGIBLE, RequestStatus.CANCELLED,
    },
    RequestStatus.INELIGIBLE: {RequestStatus.SUBMITTED},  # reopened with new information
    RequestStatus.ELIGIBLE: {
        RequestStatus.ACTIVE, RequestStatus.INELIGIBLE, RequestStatus.CANCELLED,
    },
    RequestStatus.ACTIVE: {RequestStatus.CLOSED, RequestStatus.CANCELLED},
}  # fmt: skip
PLAN_FLOW: dict[str, set[str]] = {
    PlanStatus.ACTIVE: {PlanStatus.PAUSED, PlanStatus.COMPLETED, PlanStatus.CANCELLED},
    PlanStatus.PAUSED: {PlanStatus.ACTIVE, PlanStatus.COMPLETED, PlanStatus.CANCELLED},
}
VISIT_FLOW: dict[str, set[str]] = {
    VisitStatus.DUE: {VisitStatus.PLANNED, VisitStatus.CANCELLED},
    # a re-plan may move a planned visit back to due when it no longer fits
    VisitStatus.PLANNED: {
        VisitStatus.DUE, VisitStatus.STARTED, VisitStatus.MISSED, VisitStatus.CANCELLED,
    },
    VisitStatus.STARTED: {VisitStatus.DONE},
}  # fmt: skip
TRIP_FLOW: dict[str, set[str]] = {
    TripStatus.REQUESTED: {TripStatus.SCHEDULED, TripStatus.UNSCHEDULED, TripStatus.CANCELLED},
    TripStatus.UNSCHEDULED: {TripStatus.SCHEDULED, TripStatus.CANCELLED},
    TripStatus.SCHEDULED: {TripStatus.UNSCHEDULED, TripStatus.PICKED_UP, TripStatus.CANCELLED},
    TripStatus.PICKED_UP: {TripStatus.DELIVERED},
}
MOVABLE = (VisitStatus.DUE, VisitStatus.PLANNED)
OPEN_VISIT = (VisitStatus.DUE, VisitStatus.PLANNED, VisitStatus.STARTED)


def _transition(
    model: type[Model], flow: dict, pk: int, to: str, actor: Actor, reason: str, fields: dict
) -> Any:
    with transaction.atomic():
        obj = model.objects.select_for_update(of=("self",)).order_by().get(pk=pk)
        before = obj.status
        if to not in flow.get(before, set()):
            raise Conflict(
                _("Status tidak dapat diubah dari %(a)s ke %(b)s.") % {"a": before, "b": to},
                field="status",
            )
        obj.status = to
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()
        record_audit(
            actor,
            f"{model._meta.model_name}.{to}",
            obj,
            object_label=f"{model._meta.model_name} {obj.pk}",
            before={"status": before},
            after={"status": to, "reason": reason},
        )
        return obj


def move_request(
    actor: Actor, req: HomecareRequest, to: str, reason: str = "", **fields
) -> HomecareRequest:
    return _transition(HomecareRequest, REQUEST_FLOW, req.pk, to, actor, reason, fields)


def move_plan(actor: Actor, plan: CarePlan, to: str, reason: str = "", **fields) -> CarePlan:
    return _transition(CarePlan, PLAN_FLOW, plan.pk, to, actor, reason, fields)


def move_visit(actor: Actor, visit: Visit, to: str, reason: str = "", **fields) -> Visit:
    fields.setdefault("status_reason", reason[: field_length(Visit, "status_reason")])
    return _transition(Visit, VISIT_FLOW, visit.pk, to, actor, reason, fields)


def move_trip(
    actor: Actor, trip: TransportTrip, to: str, reason: str = "", **fields
) -> TransportTrip:
    fields.setdefault("status_reason", reason[: field_length(TransportTrip, "status_reason")])
    return _transition(TransportTrip, TRIP_FLOW, trip.pk, to, actor, reason, fields)


def _move_each(rows, move) -> int:
    """`move(row)` for each row; one another writer moved meanwhile (a visit started, a trip
    picked up) raises Conflict and goes on as it is. Returns how many were moved."""
    moved = 0
    for row in rows:
        with contextlib.suppress(Conflict):
            move(row)
            moved += 1
    return moved


def _set_active(model, pk: int, active: bool, already: str) -> None:
    """Compare-and-set of `is_active`: of two presses at once one wins, the other conflicts."""
    changed = model.objects.filter(pk=pk, is_active=not active).update(
        is_active=active, updated_at=timezone.now()
    )
    if not changed:
        raise Conflict(already, field="is_active")


def _cancel_open_visits(actor: Actor, plan: CarePlan, reason: str) -> int:
    """Cancel the plan's visits that have not started (any day), so no plan routes them."""
    return _move_each(
        Visit.objects.filter(care_plan=plan, status__in=MOVABLE).order_by("pk"),
        lambda visit: move_visit(actor, visit, VisitStatus.CANCELLED, reason),
    )


def _release_visits(actor: Actor, visits, reason: str) -> int:
    """Planned visits (of `visits`) back to `due` without worker or times: the next plan of
    their day places them again. Started visits keep going."""
    return _move_each(
        visits.filter(status=VisitStatus.PLANNED).order_by("pk"),
        lambda visit: move_visit(
            actor, visit, VisitStatus.DUE, reason, worker=None, sequence=None,
            planned_arrival=None, planned_start=None, planned_end=None,
        ),
    )  # fmt: skip
