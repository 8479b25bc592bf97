"""The dispatcher console's actions besides sending a unit (JSON API, mounted under
/api/v1/emergency/ beside `api.router`): re-triage with a reason, hand over to an agency by
choice, end an incident with a reason from the list, and the ranked hospital options."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sigap.core.auth import operator_auth

from . import console_selectors
from .api import HospitalRec, IncidentOut, _actor, _incident, _out
from .services import console as console_services

router = Router(tags=["emergency"])


class RetriageIn(Schema):
    triage: Literal["merah", "kuning", "hijau", "hitam"]
    reason: str = Field(..., max_length=200, description="Why the colour changes (audited)")


class AgencyIn(Schema):
    kind: Literal["police", "fire", "pmi", "bpbd"]
    reason: str = Field("", max_length=200)
    ambulance_needed: bool = Field(
        True, description="False: a waiting incident leaves the ambulance queue (handed over)"
    )


class EndIn(Schema):
    reason: str = Field(..., max_length=40, description="A code from GET close-reasons")
    note: str = Field("", max_length=200)


class CloseReasonOut(Schema):
    code: str
    label: str
    ends_as: str


class HospitalOption(HospitalRec):
    rank: int
    why: str


@router.post(
    "incidents/{ref}/retriage",
    response=IncidentOut,
    auth=operator_auth,
    summary="Change the triage colour with a reason",
)
def retriage(request: HttpRequest, ref: str, body: RetriageIn):
    inc = _incident(request, ref)
    console_services.retriage(_actor(request), inc, triage=body.triage, reason=body.reason)
    return _out(inc)


@router.post(
    "incidents/{ref}/agency",
    response=IncidentOut,
    auth=operator_auth,
    summary="Hand the matter to police, fire, PMI or BPBD (signed webhook where there is one)",
)
def hand_to_agency(request: HttpRequest, ref: str, body: AgencyIn):
    inc = _incident(request, ref)
    console_services.hand_to_agency(
        _actor(request),
        inc,
        kind=body.kind,
        reason=body.reason,
        ambulance_needed=body.ambulance_needed,
    )
    return _out(inc)


@router.post(
    "incidents/{ref}/end",
    response=IncidentOut,
    auth=operator_auth,
    summary="Close or cancel with a reason from the list",
)
def end(request: HttpRequest, ref: str, body: EndIn):
    inc = _incident(request, ref)
    console_services.end_incident(_actor(request), inc, reason=body.reason, note=body.note)
    return _out(inc)


class ChoiceOut(Schema):
    code: str
    label: str


class ChoicesOut(Schema):
    triage: list[ChoiceOut]
    agencies: list[ChoiceOut]
    close_reasons: list[CloseReasonOut]


@router.get(
    "incidents/{ref}/choices",
    response=ChoicesOut,
    auth=operator_auth,
    summary="What the console's forms offer: triage colours, agencies, reasons to end it now",
)
def choices(request: HttpRequest, ref: str):
    return console_selectors.console_choices(_incident(request, ref))


@router.get(
    "incidents/{ref}/hospital-options",
    response=list[HospitalOption],
    auth=operator_auth,
    summary="Hospitals ranked by free beds of the needed class, then travel time, with why",
)
def hospital_options(request: HttpRequest, ref: str, n: int = 5):
    return console_selectors.hospital_options(_incident(request, ref), n=max(1, min(n, 20)))
