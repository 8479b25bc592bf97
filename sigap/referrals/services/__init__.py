"""Referral operations: the only code that writes referrals. Every channel (pages, JSON API,
SISRUTE-compatible endpoints, emergency hand-off, demo, simulator) comes through here.

One transition table (`REFERRALS`, a core.workflow `Workflow` by action; `TRANSITIONS` is its
action map) and one function that moves a referral (`_move`, through `REFERRALS.move`): a
compare-and-set on the current status, so two answers to the same referral at the same
moment give exactly one winner; the loser gets a Conflict and writes nothing.

The payer is used for one thing only: the room class of a held bed (`room_class_for`).
Deadlines, recommendations and escalation never look at it.

Callers import this package (`from sigap.referrals import services`); the modules are:

| module | holds |
|---|---|
| `rules` | transition table, roles, trusted channels, deadlines, room class |
| `inputs` | `ReferralInput` and `clean_input` (everything checked before a write) |
| `access` | who may see and act on a referral; download audit |
| `workflow` | `_move` (the status compare-and-set), answers and their daily statistics |
| `operations` | send, answer, arrival, back-referral, cancel, redirect, update, reminder |
| `escalation` | the overdue sweep and the next-hospital proposal |
| `handoffs` | referrals handed over by emergency and home care (docs/contracts.md) |
| `state` | `referral_state` / `state_of`: the typed view other capabilities read |
| `holds` | the referral's bed hold (through the beds capability) |
| `notifications` | in-app notifications and the emergency SMS page |
| `facility_webhooks` | per-facility SIMRS webhooks |
| `credentials` | SISRUTE credentials |
| `_fields` | text/number field checks and clipping to a column's length |

A test that patches a name must patch the module that uses it (e.g.
`services.operations.push_event`), not this package: the modules import each other's names.
"""

from .access import audit_download, can_view, is_office, require_view
from .credentials import issue_sisrute_credential, set_sisrute_password
from .escalation import escalate_overdue, tried_facility_ids
from .facility_webhooks import (
    WEBHOOK_EVENT_NAMES,
    WEBHOOK_EVENTS,
    on_referral_moved,
    push_event,
    register_webhook,
    remove_webhook,
)
from .handoffs import (
    HOMECARE_SIGNS,
    create_emergency_referral,
    create_from_homecare,
    homecare_page_url,
    withdraw_from_homecare,
)
from .inputs import (
    HANDOVER_ONLY,
    STAFF_IDS,
    ReferralInput,
    clean_input,
    find_facility,
    input_fields,
)
from .operations import (
    AUDITED,
    UPDATABLE,
    answer_referral,
    cancel_referral,
    close_referral,
    record_arrival,
    redirect_referral,
    renotify,
    send_referral,
    update_referral,
)
from .rules import (
    ACTIVE_STATUSES,
    DEFAULT_ANSWER_MINUTES,
    DEFAULT_ARRIVAL_HOURS,
    JKN_CLASSES,
    OFFICE_ROLES,
    OPEN_STATUSES,
    PBI_CLASS,
    REFERRALS,
    SENDER_ROLES,
    TRANSITIONS,
    TRUSTED_CHANNELS,
    UNIT_ROLES,
    WARD_CLASSES,
    answer_minutes,
    arrival_hours,
    room_class_for,
)
from .state import ReferralState, referral_state, state_of

# public name of the facilities a referral has already been sent to (the detail page
# ranks the untried hospitals)

__all__ = [
    "ACTIVE_STATUSES",
    "AUDITED",
    "DEFAULT_ANSWER_MINUTES",
    "DEFAULT_ARRIVAL_HOURS",
    "HANDOVER_ONLY",
    "HOMECARE_SIGNS",
    "JKN_CLASSES",
    "OFFICE_ROLES",
    "OPEN_STATUSES",
    "PBI_CLASS",
    "REFERRALS",
    "SENDER_ROLES",
    "STAFF_IDS",
    "TRANSITIONS",
    "TRUSTED_CHANNELS",
    "UNIT_ROLES",
    "UPDATABLE",
    "WARD_CLASSES",
    "WEBHOOK_EVENTS",
    "WEBHOOK_EVENT_NAMES",
    "ReferralInput",
    "ReferralState",
    "answer_minutes",
    "answer_referral",
    "arrival_hours",
    "audit_download",
    "can_view",
    "cancel_referral",
    "clean_input",
    "close_referral",
    "create_emergency_referral",
    "create_from_homecare",
    "escalate_overdue",
    "find_facility",
    "homecare_page_url",
    "input_fields",
    "is_office",
    "issue_sisrute_credential",
    "on_referral_moved",
    "push_event",
    "record_arrival",
    "redirect_referral",
    "referral_state",
    "register_webhook",
    "remove_webhook",
    "renotify",
    "require_view",
    "room_class_for",
    "send_referral",
    "set_sisrute_password",
    "state_of",
    "tried_facility_ids",
    "update_referral",
    "withdraw_from_homecare",
]
