"""The transition tables of the three workflows (incident, unit, hand-off) and what a unit's
move means for its assignment and incident. Only the `move_*` functions read them to write a
status; pages and selectors read them to offer the allowed moves."""

from __future__ import annotations

from sigap.core.models import Role

from ..models import Handoff, Incident, Unit

S = Unit.Status
I = Incident.Status  # noqa: E741 - short alias used in the transition tables
H = Handoff.Status

CALL_ROLES = (Role.PSC_CALL_TAKER, Role.DISPATCHER)
DISPATCH_ROLES = (Role.DISPATCHER,)

INCIDENT_TRANSITIONS: dict[str, set[str]] = {
    I.OPEN: {I.DISPATCHED, I.HANDED_OVER, I.CLOSED, I.CANCELLED},
    I.DISPATCHED: {I.ON_SCENE, I.OPEN, I.CLOSED, I.CANCELLED},
    I.ON_SCENE: {I.TRANSPORTING, I.CLOSED},
    I.TRANSPORTING: {I.AT_HOSPITAL, I.CLOSED},
    I.AT_HOSPITAL: {I.CLOSED},
    I.HANDED_OVER: {I.DISPATCHED, I.OPEN, I.CLOSED},
    I.CLOSED: set(),
    I.CANCELLED: set(),
}
ACTIVE_INCIDENT = [I.OPEN, I.DISPATCHED, I.ON_SCENE, I.TRANSPORTING, I.AT_HOSPITAL, I.HANDED_OVER]

# available -> dispatched -> en route -> on scene -> transporting -> at hospital -> returning
# -> available; out of service; cancel (dispatched/en route -> available).
UNIT_TRANSITIONS: dict[str, set[str]] = {
    S.AVAILABLE: {S.DISPATCHED, S.OUT_OF_SERVICE},
    S.DISPATCHED: {S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE},
    S.EN_ROUTE: {S.ON_SCENE, S.AVAILABLE},
    S.ON_SCENE: {S.TRANSPORTING, S.RETURNING},
    S.TRANSPORTING: {S.AT_HOSPITAL},
    S.AT_HOSPITAL: {S.RETURNING},
    S.RETURNING: {S.AVAILABLE, S.OUT_OF_SERVICE},
    S.OUT_OF_SERVICE: {S.AVAILABLE},
}
# statuses in which a unit works for an incident (has an active assignment)
ON_JOB = {S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE, S.TRANSPORTING, S.AT_HOSPITAL}
# unit status -> the incident status it moves the incident to (when behind it)
UNIT_DRIVES_INCIDENT = {
    S.ON_SCENE: I.ON_SCENE,
    S.TRANSPORTING: I.TRANSPORTING,
    S.AT_HOSPITAL: I.AT_HOSPITAL,
}
# unit status -> assignment phase time field
ASSIGNMENT_TIME = {
    S.EN_ROUTE: "en_route_at",
    S.ON_SCENE: "on_scene_at",
    S.TRANSPORTING: "transport_at",
    S.AT_HOSPITAL: "hospital_at",
}
INCIDENT_TIME = {
    I.DISPATCHED: "dispatched_at",
    I.ON_SCENE: "on_scene_at",
    I.TRANSPORTING: "transport_at",
    I.AT_HOSPITAL: "hospital_at",
    I.CLOSED: "closed_at",
    I.CANCELLED: "closed_at",
    I.HANDED_OVER: None,
    I.OPEN: None,
}

HANDOFF_TRANSITIONS: dict[str, set[str]] = {
    H.PENDING: {H.ACKNOWLEDGED, H.ARRIVED, H.CANCELLED, H.REJECTED},
    H.ACKNOWLEDGED: {H.ARRIVED, H.CANCELLED, H.REJECTED},
    H.ARRIVED: set(),
    H.CANCELLED: set(),
    H.REJECTED: set(),
}
