"""The home-care workflows, each one `core.workflow.Workflow`, and the function that moves each:

- request:    REQUESTS    (REQUEST_FLOW), `move_request`
- care plan:  PLANS       (PLAN_FLOW),    `move_plan`
- visit:      VISITS      (VISIT_FLOW),   `move_visit`
- transport:  TRIPS       (TRIP_FLOW),    `move_trip`
- escalation: ESCALATIONS (moved in `escalations`)

plus the bulk moves several workflows share (release, cancel; through `Workflow.move_many`)
and the compare-and-set of `is_active`. The *_FLOW names are the tables themselves (state ->
states it may move to), kept for pages that list the next states.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.core.text import clip
from sigap.core.workflow import Workflow

from ..models import (
    CarePlan,
    Escalation,
    HomecareRequest,
    PlanStatus,
    RequestStatus,
    TransportTrip,
    TripStatus,
    Visit,
    VisitStatus,
)

R, P, V, T = RequestStatus, PlanStatus, VisitStatus, TripStatus
E = Escalation.Status

# Workflow names are the model names, so the audit actions stay `<model>.<new state>`; the
# audit label is "<model> <pk>" (anonymous): a request's or visit's str() names the patient.
REQUESTS = Workflow.of("homecarerequest", HomecareRequest, {
    R.SUBMITTED: {R.ELIGIBLE, R.INELIGIBLE, R.CANCELLED},
    R.INELIGIBLE: {R.SUBMITTED},  # reopened with new information
    R.ELIGIBLE: {R.ACTIVE, R.INELIGIBLE, R.CANCELLED},
    R.ACTIVE: {R.CLOSED, R.CANCELLED},
}, anonymous=True)  # fmt: skip
PLANS = Workflow.of("careplan", CarePlan, {
    P.ACTIVE: {P.PAUSED, P.COMPLETED, P.CANCELLED},
    P.PAUSED: {P.ACTIVE, P.COMPLETED, P.CANCELLED},
}, anonymous=True)  # fmt: skip
VISITS = Workflow.of("visit", Visit, {
    V.DUE: {V.PLANNED, V.CANCELLED},
    # a re-plan may move a planned visit back to due when it no longer fits
    V.PLANNED: {V.DUE, V.STARTED, V.MISSED, V.CANCELLED},
    V.STARTED: {V.DONE},
}, anonymous=True)  # fmt: skip
TRIPS = Workflow.of("transporttrip", TransportTrip, {
    T.REQUESTED: {T.SCHEDULED, T.UNSCHEDULED, T.CANCELLED},
    T.UNSCHEDULED: {T.SCHEDULED, T.CANCELLED},
    T.SCHEDULED: {T.UNSCHEDULED, T.PICKED_UP, T.CANCELLED},
    T.PICKED_UP: {T.DELIVERED},
}, anonymous=True)  # fmt: skip
# open -> handed to referrals / PSC 119, handled by the Puskesmas, or withdrawn (recorded in
# error); a handed-over one may still be withdrawn through its receiver
ESCALATIONS = Workflow.of("escalation", Escalation, {
    E.OPEN: {E.HANDED_OVER, E.HANDLED, E.WITHDRAWN},
    E.HANDED_OVER: {E.WITHDRAWN},
}, anonymous=True)  # fmt: skip

REQUEST_FLOW = REQUESTS.graph
PLAN_FLOW = PLANS.graph
VISIT_FLOW = VISITS.graph
TRIP_FLOW = TRIPS.graph

MOVABLE = (VisitStatus.DUE, VisitStatus.PLANNED)
OPEN_VISIT = (VisitStatus.DUE, VisitStatus.PLANNED, VisitStatus.STARTED)


def _move(flow: Workflow, actor: Actor, pk: Any, to: str, reason: str, fields: dict) -> Any:
    """Lock the row and move it from the state it holds now (not the caller's copy, which may
    be older); an illegal move is a Conflict (409), an unknown state InvalidInput."""
    with transaction.atomic():
        obj = flow.model._default_manager.select_for_update(of=("self",)).order_by().get(pk=pk)
        flow.move(actor, obj, to, reason=reason, changes=fields)
        return obj


def move_request(
    actor: Actor, req: HomecareRequest, to: str, reason: str = "", **fields: Any
) -> HomecareRequest:
    return _move(REQUESTS, actor, req.pk, to, reason, fields)


def move_plan(actor: Actor, plan: CarePlan, to: str, reason: str = "", **fields: Any) -> CarePlan:
    return _move(PLANS, actor, plan.pk, to, reason, fields)


def move_visit(actor: Actor, visit: Visit, to: str, reason: str = "", **fields: Any) -> Visit:
    fields.setdefault("status_reason", clip(reason, Visit, "status_reason"))
    return _move(VISITS, actor, visit.pk, to, reason, fields)


def move_trip(
    actor: Actor, trip: TransportTrip, to: str, reason: str = "", **fields: Any
) -> TransportTrip:
    fields.setdefault("status_reason", clip(reason, TransportTrip, "status_reason"))
    return _move(TRIPS, actor, trip.pk, to, reason, fields)


def _set_active(model: type[Model], pk: int, active: bool, already: str) -> None:
    """Compare-and-set of `is_active`: of two presses at once one wins, the other conflicts."""
    changed = model.objects.filter(pk=pk, is_active=not active).update(
        is_active=active, updated_at=timezone.now()
    )
    if not changed:
        raise Conflict(already, field="is_active")


def _cancel_open_visits(actor: Actor, plan: CarePlan, reason: str) -> int:
    """Cancel the plan's visits that have not started (any day), so no plan routes them.
    A visit another writer started meanwhile keeps going."""
    moved = VISITS.move_many(
        actor, Visit.objects.filter(care_plan=plan, status__in=MOVABLE), VisitStatus.CANCELLED,
        reason=reason,
        changes={"status_reason": clip(reason, Visit, "status_reason")},
    )  # fmt: skip
    return len(moved)


def _release_visits(actor: Actor, visits: QuerySet[Visit], reason: str) -> int:
    """Planned visits (of `visits`) back to `due` without worker or times: the next plan of
    their day places them again. Started visits keep going."""
    moved = VISITS.move_many(
        actor, visits.filter(status=VisitStatus.PLANNED), VisitStatus.DUE, reason=reason,
        changes={
            "status_reason": clip(reason, Visit, "status_reason"), "worker": None,
            "sequence": None, "planned_arrival": None, "planned_start": None,
            "planned_end": None,
        },
    )  # fmt: skip
    return len(moved)
