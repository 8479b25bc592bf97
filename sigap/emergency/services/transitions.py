"""The emergency workflows (core.workflow): incident, unit, hand-off, assignment and agency
request, and what a unit's move means for its assignment and incident. Only the `move_*`
functions (and the assignment/agency services) move a status through them; pages and
selectors read `next_states` to offer the allowed moves."""

from __future__ import annotations

from sigap.core.models import Role
from sigap.core.workflow import Workflow

from ..models import Assignment, Handoff, Incident, IncidentAgency, Unit

S = Unit.Status
I = Incident.Status  # noqa: E741 - short alias used in the transition tables
H = Handoff.Status
A = Assignment.Status
G = IncidentAgency.Status

CALL_ROLES = (Role.PSC_CALL_TAKER, Role.DISPATCHER)
DISPATCH_ROLES = (Role.DISPATCHER,)

INCIDENTS = Workflow.of(
    "emergency.incident",
    Incident,
    {
        I.OPEN: {I.DISPATCHED, I.HANDED_OVER, I.CLOSED, I.CANCELLED},
        I.DISPATCHED: {I.ON_SCENE, I.OPEN, I.CLOSED, I.CANCELLED},
        I.ON_SCENE: {I.TRANSPORTING, I.CLOSED},
        I.TRANSPORTING: {I.AT_HOSPITAL, I.CLOSED},
        I.AT_HOSPITAL: {I.CLOSED},
        I.HANDED_OVER: {I.DISPATCHED, I.OPEN, I.CLOSED},
        I.CLOSED: set(),
        I.CANCELLED: set(),
    },
)
ACTIVE_INCIDENT = [I.OPEN, I.DISPATCHED, I.ON_SCENE, I.TRANSPORTING, I.AT_HOSPITAL, I.HANDED_OVER]

# available -> dispatched -> en route -> on scene -> transporting -> at hospital -> returning
# -> available; out of service; cancel (dispatched/en route -> available).
UNITS = Workflow.of(
    "emergency.unit",
    Unit,
    {
        S.AVAILABLE: {S.DISPATCHED, S.OUT_OF_SERVICE},
        S.DISPATCHED: {S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE},
        S.EN_ROUTE: {S.ON_SCENE, S.AVAILABLE},
        S.ON_SCENE: {S.TRANSPORTING, S.RETURNING},
        S.TRANSPORTING: {S.AT_HOSPITAL},
        S.AT_HOSPITAL: {S.RETURNING},
        S.RETURNING: {S.AVAILABLE, S.OUT_OF_SERVICE},
        S.OUT_OF_SERVICE: {S.AVAILABLE},
    },
)
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

HANDOFFS = Workflow.of(
    "emergency.handoff",
    Handoff,
    {
        H.PENDING: {H.ACKNOWLEDGED, H.ARRIVED, H.CANCELLED, H.REJECTED},
        H.ACKNOWLEDGED: {H.ARRIVED, H.CANCELLED, H.REJECTED},
        H.ARRIVED: set(),
        H.CANCELLED: set(),
        H.REJECTED: set(),
    },
)

# an assignment ends once: completed (the unit returns) or cancelled (called off)
ASSIGNMENTS = Workflow.of(
    "emergency.assignment", Assignment, {A.ACTIVE: {A.COMPLETED, A.CANCELLED}}
)

# an agency request is sent (or has no channel) and then acknowledged; the agency may report
# again (on scene, done...), which keeps it acknowledged with a new partner status
AGENCY_REQUESTS = Workflow.of(
    "emergency.agency",
    IncidentAgency,
    {
        G.REQUESTED: {G.SENT, G.NO_CHANNEL, G.ACKNOWLEDGED},
        G.SENT: {G.ACKNOWLEDGED},
        G.NO_CHANNEL: {G.ACKNOWLEDGED},
        G.ACKNOWLEDGED: {G.ACKNOWLEDGED},
    },
)

# the tables, as before, for readers that iterate them (state -> allowed next states)
INCIDENT_TRANSITIONS = INCIDENTS.graph
UNIT_TRANSITIONS = UNITS.graph
HANDOFF_TRANSITIONS = HANDOFFS.graph
