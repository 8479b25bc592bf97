"""Home-care operations: the only code that writes the homecare tables.

One module per workflow or stage; this package re-exports their public names, so callers
keep using `from sigap.homecare import services` and `services.X`.

- flows:       the workflows (`core.workflow.Workflow`) and the one function that moves each
               (REQUESTS/`move_request`, PLANS/`move_plan`, VISITS/`move_visit`,
               TRIPS/`move_trip`, ESCALATIONS); REQUEST_FLOW etc. are their tables
- access:      who may act; audit of reads of personal data
- signs:       danger signs, their labels and the confirm step
- intake:      requests (public, staff, other capabilities), eligibility, cancellation
- care_plans:  care plans
- roster:      workers, shifts, leave
- day_plans:   the daily plan of visits and the visit's own moves
- records:     visit records and their correction
- escalations: hand-over of danger signs to referrals / PSC 119, withdrawal, closing
- transport, fleet: Jemput Sakit Antar Sehat trips, schedule, vehicles and drivers
- _input, _local_time: input cleaning and Puskesmas-local time shared by the modules

A value a function reads at call time (`day_plans.PLANNER_SECONDS`) is not re-exported: a
test changes it in its own module, where the patch reaches the code.
"""

from __future__ import annotations

from ._input import (
    PHONE_RE,
)
from .access import (
    is_worker_of,
    require_staff,
    require_worker_or_staff,
)
from .care_plans import (
    PLAN_EDITABLE,
    CarePlanChange,
    CarePlanInput,
    create_care_plan,
    end_care_plan,
    pause_care_plan,
    resume_care_plan,
    update_care_plan,
)
from .day_plans import (
    NIGHTLY_PLAN_HOUR,
    add_urgent_visit,
    cancel_visit,
    ensure_due_visits,
    get_visit,
    miss_visit,
    plan_day,
    plan_facility,
    plan_tomorrow_if_due,
    start_visit,
)
from .escalations import (
    LIVE_ESCALATION,
    close_escalation,
    escalation_target,
    hand_over_escalation,
    handover_of,
    is_author,
    retry_hand_over,
    stale_escalations,
    withdraw_escalation,
)
from .fleet import (
    FLEET_OPEN_TRIPS,
    PLATE_RE,
    DriverInput,
    VehicleInput,
    save_driver,
    save_vehicle,
    set_fleet_active,
)
from .flows import (
    ESCALATIONS,
    MOVABLE,
    OPEN_VISIT,
    PLAN_FLOW,
    PLANS,
    REQUEST_FLOW,
    REQUESTS,
    TRIP_FLOW,
    TRIPS,
    VISIT_FLOW,
    VISITS,
    move_plan,
    move_request,
    move_trip,
    move_visit,
)
from .intake import (
    DUPLICATE_HOURS,
    PUBLIC_REQUEST_LIMIT,
    RESIDENT_CANCELLABLE,
    RequestInput,
    cancel_request,
    cancel_request_by_resident,
    coverage_status,
    create_request,
    decide_eligibility,
    decline_request,
    public_request_limit,
    puskesmas_for,
)
from .records import (
    CORRECTION_HOURS,
    RECORD_FIELDS,
    VITAL_DECIMALS,
    VITAL_RANGES,
    RecordInput,
    can_correct,
    check_vitals,
    correct_visit_record,
    correction_deadline,
    danger_from_vitals,
    record_signs,
    record_visit,
)
from .roster import (
    WorkerInput,
    add_leave,
    create_worker,
    set_worker_active,
    update_worker,
    workers_available,
)
from .signs import (
    DANGER_SIGNS,
    EMERGENCY_SIGNS,
    SIGN_LABELS,
    VITAL_SIGNS,
    DangerUnconfirmed,
    escalation_kind,
    sign_labels,
)
from .transport import (
    DROPOFF_SERVICE_S,
    PICKUP_SERVICE_S,
    TripInput,
    create_trip,
    schedule_transport,
    trip_windows,
)

__all__ = [
    "VISITS",
    "TRIPS",
    "REQUESTS",
    "PLANS",
    "ESCALATIONS",
    "CORRECTION_HOURS",
    "CarePlanChange",
    "CarePlanInput",
    "DANGER_SIGNS",
    "DROPOFF_SERVICE_S",
    "DUPLICATE_HOURS",
    "DangerUnconfirmed",
    "DriverInput",
    "EMERGENCY_SIGNS",
    "FLEET_OPEN_TRIPS",
    "LIVE_ESCALATION",
    "MOVABLE",
    "NIGHTLY_PLAN_HOUR",
    "OPEN_VISIT",
    "PHONE_RE",
    "PICKUP_SERVICE_S",
    "PLAN_EDITABLE",
    "PLAN_FLOW",
    "PLATE_RE",
    "PUBLIC_REQUEST_LIMIT",
    "RECORD_FIELDS",
    "REQUEST_FLOW",
    "RESIDENT_CANCELLABLE",
    "RecordInput",
    "RequestInput",
    "SIGN_LABELS",
    "TRIP_FLOW",
    "TripInput",
    "VISIT_FLOW",
    "VITAL_DECIMALS",
    "VITAL_RANGES",
    "VITAL_SIGNS",
    "VehicleInput",
    "WorkerInput",
    "add_leave",
    "add_urgent_visit",
    "can_correct",
    "cancel_request",
    "cancel_request_by_resident",
    "cancel_visit",
    "check_vitals",
    "close_escalation",
    "correct_visit_record",
    "correction_deadline",
    "coverage_status",
    "create_care_plan",
    "create_request",
    "create_trip",
    "create_worker",
    "danger_from_vitals",
    "decide_eligibility",
    "decline_request",
    "end_care_plan",
    "ensure_due_visits",
    "escalation_kind",
    "escalation_target",
    "get_visit",
    "hand_over_escalation",
    "handover_of",
    "is_author",
    "is_worker_of",
    "miss_visit",
    "move_plan",
    "move_request",
    "move_trip",
    "move_visit",
    "pause_care_plan",
    "plan_day",
    "plan_facility",
    "plan_tomorrow_if_due",
    "public_request_limit",
    "puskesmas_for",
    "record_signs",
    "record_visit",
    "require_staff",
    "require_worker_or_staff",
    "resume_care_plan",
    "retry_hand_over",
    "save_driver",
    "save_vehicle",
    "schedule_transport",
    "set_fleet_active",
    "set_worker_active",
    "sign_labels",
    "stale_escalations",
    "start_visit",
    "trip_windows",
    "update_care_plan",
    "update_worker",
    "withdraw_escalation",
    "workers_available",
]
