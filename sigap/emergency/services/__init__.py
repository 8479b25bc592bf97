"""Emergency operations: the only code that writes incidents, units, assignments, agency
requests and hand-offs. Pages, the JSON API, the partner API, the demo and the simulator all
come through here.

Five workflows (core.workflow tables in `transitions`), each moved by one function:
incidents (`INCIDENTS`, `incidents.move_incident`), units (`UNITS`, `units.move_unit`),
hand-offs (`HANDOFFS`, `handoffs.move_handoff`), assignments (`ASSIGNMENTS`, ended by
`units`) and agency requests (`AGENCY_REQUESTS`, in `agencies`). Taking a unit is a
compare-and-set on its status, so of two dispatchers assigning the same ambulance at the same
moment exactly one succeeds.

The modules, in the order a call goes: `places` (area settings, villages), `intake`
(validating and placing a call), `incidents`, `agencies` (police, fire, PMI), `units`
(ambulances and their assignments), `handoffs` (to a hospital, as an emergency referral) and
`from_homecare` (danger signs from a home visit). Callers use the names below, from this
package.
"""

# Actor and Unit are not defined here; callers (tests, the demo) reach them through here
from sigap.core.services import Actor

from ..models import Unit
from ._text import PHONE_RE
from .agencies import agency_status, handover_payload, request_agencies
from .crew import (
    VitalsInput,
    accept_assignment,
    check_crew_vitals,
    clean_client_key,
    record_vitals,
)
from .from_homecare import HOMECARE_SIGN_ANSWERS, create_from_homecare, withdraw_from_homecare
from .handoffs import (
    REFERRAL_MOVES_HANDOFF,
    create_handoff,
    follow_referral,
    hospital_handoff_action,
    move_handoff,
)
from .incidents import (
    NUMBER_RE,
    add_call,
    close_incident,
    create_incident,
    incident_snapshot,
    move_incident,
    submit_sos,
    update_triage,
)
from .intake import (
    CALLBACK_RE,
    IncidentInput,
    callback_phone,
    find_repeats,
    place_call,
    validate_incident,
)
from .places import area_settings, is_rural, nearest_village, target_minutes, villages
from .transitions import (
    ACTIVE_INCIDENT,
    AGENCY_REQUESTS,
    ASSIGNMENT_TIME,
    ASSIGNMENTS,
    CALL_ROLES,
    DISPATCH_ROLES,
    HANDOFF_TRANSITIONS,
    HANDOFFS,
    INCIDENT_TIME,
    INCIDENT_TRANSITIONS,
    INCIDENTS,
    ON_JOB,
    UNIT_DRIVES_INCIDENT,
    UNIT_TRANSITIONS,
    UNITS,
    H,
    I,
    S,
)
from .units import (
    UnitInput,
    assign_unit,
    cancel_assignment,
    crew_status,
    move_unit,
    reassign,
    require_unit_actor,
    save_unit,
    unit_snapshot,
    update_position,
)

__all__ = [
    # transitions
    "ACTIVE_INCIDENT",
    "AGENCY_REQUESTS",
    "ASSIGNMENTS",
    "HANDOFFS",
    "INCIDENTS",
    "UNITS",
    "ASSIGNMENT_TIME",
    "CALL_ROLES",
    "DISPATCH_ROLES",
    "HANDOFF_TRANSITIONS",
    "INCIDENT_TIME",
    "INCIDENT_TRANSITIONS",
    "ON_JOB",
    "UNIT_DRIVES_INCIDENT",
    "UNIT_TRANSITIONS",
    "H",
    "I",
    "S",
    # places
    "area_settings",
    "is_rural",
    "nearest_village",
    "target_minutes",
    "villages",
    # intake
    "CALLBACK_RE",
    "PHONE_RE",
    "IncidentInput",
    "callback_phone",
    "find_repeats",
    "place_call",
    "validate_incident",
    # incidents
    "NUMBER_RE",
    "add_call",
    "close_incident",
    "create_incident",
    "incident_snapshot",
    "move_incident",
    "submit_sos",
    "update_triage",
    # home care
    "HOMECARE_SIGN_ANSWERS",
    "create_from_homecare",
    "withdraw_from_homecare",
    # agencies
    "agency_status",
    "handover_payload",
    "request_agencies",
    # units
    "UnitInput",
    "assign_unit",
    "cancel_assignment",
    "crew_status",
    "move_unit",
    "reassign",
    "require_unit_actor",
    "save_unit",
    "unit_snapshot",
    "update_position",
    # crew phone
    "VitalsInput",
    "accept_assignment",
    "check_crew_vitals",
    "clean_client_key",
    "record_vitals",
    # hand-offs
    "REFERRAL_MOVES_HANDOFF",
    "create_handoff",
    "follow_referral",
    "hospital_handoff_action",
    "move_handoff",
    # re-exported for callers
    "Actor",
    "Unit",
]
