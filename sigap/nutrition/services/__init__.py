"""Nutrition and maternal/child health operations: the only code that writes this app's data.

Children and measurements (z-scores computed and stored at write time, the monthly counts
rebuilt for the touched cells), severe cases with their actions and hand-off to home care,
pregnancies, births, deaths and death reviews. Every state machine has one transition table
and one function that moves it.

One module per stage; this package re-exports their public names, so callers keep writing
`services.X`. A test that replaces a name must do so on the module that owns it (e.g.
`services.handoff.homecare_api`): replacing it here does not reach the code that uses it.
"""

from ._input import _today as _today  # private, but importer.py dates its rows with it
from .access import (
    READ_ROLES,
    TRUSTED_CHANNELS,
    can_access_kelurahan,
    catchment_codes,
    mask_nik_encoded,
    posyandu_for,
    require_kelurahan,
    require_reader,
    require_recorder,
    scope_filter,
    trusted,
)
from .births import BirthInput, register_birth, register_births_bulk
from .cases import (
    ACTIONS,
    CASES,
    add_action,
    get_case,
    move_action,
    move_case,
    take_case,
)
from .children import ChildInput, create_children_bulk, get_child, register_child, validate_child
from .deaths import DELAYS, REVIEWS, DeathInput, get_review, move_review, register_death
from .growth import FALTERING_MAX_GAP_DAYS, POSITION_CODES
from .growth import _refresh_series as _refresh_series  # private; tests/nutrition call it
from .handoff import HandOff, homecare_api
from .handoff_retry import retry_handoffs
from .measurements import (
    MUAC_MIN_AGE_DAYS,
    SEVERE_MUAC_CM,
    MeasurementInput,
    correct_measurement,
    delete_measurement,
    get_measurement,
    record_measurement,
    register_and_measure,
    validate_measurement,
)
from .measurements_bulk import BulkRow, insert_measurements, record_measurements_bulk
from .monthly import (
    MONTHLY_AGGREGATES,
    Cell,
    month_start,
    rebuild_growth_monthly,
    recount_months,
    refresh_growth_monthly,
)
from .pregnancies import (
    AGE_OLD,
    AGE_YOUNG,
    CHECKLIST_RISKS,
    DIASTOLIC_HIGH,
    HB_ANAEMIA,
    HEIGHT_SHORT_CM,
    INTERVAL_LONG_YEARS,
    INTERVAL_SHORT_YEARS,
    MEASURED_RISKS,
    MUAC_KEK_CM,
    PARITY_MANY,
    RISK_FACTORS,
    SYSTOLIC_HIGH,
    AncRecord,
    PregnancyInput,
    is_high_risk,
    measured_risks,
    pregnancy_risks,
    register_pregnancy,
    risk_reasons,
)

__all__ = [
    "READ_ROLES",
    "TRUSTED_CHANNELS",
    "can_access_kelurahan",
    "catchment_codes",
    "mask_nik_encoded",
    "posyandu_for",
    "require_kelurahan",
    "require_reader",
    "require_recorder",
    "scope_filter",
    "trusted",
    "ChildInput",
    "create_children_bulk",
    "get_child",
    "register_child",
    "validate_child",
    "FALTERING_MAX_GAP_DAYS",
    "POSITION_CODES",
    "MONTHLY_AGGREGATES",
    "Cell",
    "month_start",
    "rebuild_growth_monthly",
    "recount_months",
    "refresh_growth_monthly",
    "MUAC_MIN_AGE_DAYS",
    "SEVERE_MUAC_CM",
    "correct_measurement",
    "delete_measurement",
    "get_measurement",
    "MeasurementInput",
    "record_measurement",
    "register_and_measure",
    "validate_measurement",
    "BulkRow",
    "insert_measurements",
    "record_measurements_bulk",
    "ACTIONS",
    "CASES",
    "add_action",
    "get_case",
    "move_action",
    "move_case",
    "take_case",
    "HandOff",
    "homecare_api",
    "retry_handoffs",
    "AGE_OLD",
    "AGE_YOUNG",
    "CHECKLIST_RISKS",
    "DIASTOLIC_HIGH",
    "HB_ANAEMIA",
    "HEIGHT_SHORT_CM",
    "INTERVAL_LONG_YEARS",
    "INTERVAL_SHORT_YEARS",
    "MEASURED_RISKS",
    "MUAC_KEK_CM",
    "PARITY_MANY",
    "RISK_FACTORS",
    "SYSTOLIC_HIGH",
    "AncRecord",
    "is_high_risk",
    "measured_risks",
    "pregnancy_risks",
    "PregnancyInput",
    "register_pregnancy",
    "risk_reasons",
    "BirthInput",
    "register_birth",
    "register_births_bulk",
    "DELAYS",
    "REVIEWS",
    "DeathInput",
    "get_review",
    "move_review",
    "register_death",
]
