"""The all-roles authorisation matrix over HTTP (issue 17, "tests that stay").

Every operation of the JSON API (the OpenAPI schema) and every HTML page of the URL conf is
called through Django's test client as a user of each of the seven roles and as the public
(no session), in a world of two tenants (`tests.test_all_or_nothing.build_world` twice: Kota
Semarang with RS/Puskesmas "Sapu", Kota Magelang with RS/Puskesmas "Tidar"). The callers all
belong to the first tenant. `API_POLICY` and `PAGE_POLICY` below are the access policy as
data: who may call what on their own tenant's records, and how everyone else is refused.

Beyond the declared cells, two rules hold for every operation and page that takes a record's
id in its path:

- another tenant's record is refused to every role but admin (a Puskesmas does not read
  another Puskesmas' referral, child or visit; a hospital does not edit another's beds);
- the refusal for another tenant's record is the answer for an id that does not exist (same
  status, same `{code, message, field}`), so that an id never tells whether a record exists
  (issue 17, Low: "403 vs 404 reveals whether a case exists").

A route or operation without an entry fails `test_every_route_has_a_declared_policy`: nobody
adds an endpoint without deciding who may use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from tests.referrals.conftest import NIK
from tests.test_all_or_nothing import (
    ROUTES,
    SCHEMA,
    UNKNOWN_UUID,
    Tenant,
    World,
    build_world,
    plausible,
    plausible_json,
)

pytestmark = pytest.mark.django_db

HOME = Tenant()  # the callers' tenant (Kota Semarang)
OTHER = Tenant(
    area="3371",
    area_name="Kota Magelang",
    villages=(
        ("3371011001", "Magelang Selatan", "Jurangombo Utara", -7.4900, 110.2150),
        ("3371021001", "Magelang Utara", "Kramat Utara", -7.4550, 110.2200),
    ),
    label="tidar",
    kodeppk="3371R888",
    kemenkes="3371888",
    pkm_kemenkes="P3371010888",
)

ROLES = ("admin", "analyst", "hospital_operator", "puskesmas_staff", "psc_call_taker",
         "dispatcher", "ambulance_crew", "public")  # fmt: skip
ANON = "anonymous"  # no session
CALLERS = (*ROLES, ANON)

# --- the policy ---------------------------------------------------------------------------------

OK = "ok"  # past the access checks: 2xx/3xx, or a 4xx about the input or the record's state
LOGIN = "login"  # a page redirects to the login form


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]  # roles that may (admin passes every check unless listed in deny)
    refused: int | str = 403  # what the other roles get
    anon: int | str = 401  # what a caller without a session gets
    cells: tuple = ()  # (role, outcome) cells that differ from the above
    absent: str = ""  # why the world holds no such record: who may gets 404

    def expected(self, caller: str) -> int | str:
        for role, outcome in self.cells:
            if role == caller:
                return outcome
        if caller == ANON:
            return self.anon
        if caller in self.allow:
            return 404 if self.absent else OK
        return self.refused


def allow(
    *roles: str,
    refused: int | str = 403,
    anon: int | str = 401,
    absent: str = "",
    sees: tuple[str, ...] = (),
    **cells,
) -> Rule:
    """`roles` (and admin) may; the others are refused with `refused`. `sees`: roles that
    may read the record but not do this to it (403 after the lookup); `cells`: a role whose
    answer differs otherwise."""
    cells.update(dict.fromkeys(sees, 403))
    return Rule(frozenset({"admin", *roles}), refused, anon, tuple(cells.items()), absent)


def page(*roles: str, refused: int | str = 403, absent: str = "", **cells) -> Rule:
    return allow(*roles, refused=refused, anon=LOGIN, absent=absent, **cells)


ANYONE = Rule(frozenset(CALLERS), anon=OK)  # public: no personal data, rate-limited writes
SIGNED_IN = allow(*ROLES)
NO_WEBHOOK = "no webhook registered (registering one resolves the URL's host)"
NO_ESC = "no escalation (no danger sign recorded)"
NO_SCENARIO = "no siting scenario saved in the world"
HOSP, PKM, ANALYST = "hospital_operator", "puskesmas_staff", "analyst"
PSC, DISP, CREW = "psc_call_taker", "dispatcher", "ambulance_crew"
OFFICE = (ANALYST,)
EMERGENCY = (PSC, DISP)

# fmt: off
API_POLICY: dict[str, Rule] = {
    # beds: the public board; a hospital operator keeps its own hospital's rooms
    "GET public/beds": ANYONE,
    "GET public/bed-classes": ANYONE,
    "GET public/beds/export": ANYONE,
    "GET beds/facilities/{facility_ref}/rooms": allow(HOSP),
    "PUT beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}": allow(HOSP),
    "PATCH beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}": allow(HOSP),
    "DELETE beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}": allow(HOSP),
    "GET beds/facilities/{facility_ref}/history": allow(HOSP),
    # reference data: public
    "GET facilities/": ANYONE,
    "GET facilities/{facility_id}": ANYONE,
    "GET regions/kelurahan": ANYONE,
    "GET regions/": ANYONE,
    "GET regions/{code}": ANYONE,
    "GET regions/{code}/children": ANYONE,
    # emergency: the PSC 119 console (call-takers and dispatchers of the area)
    "GET emergency/triage/questions": ANYONE,
    "GET emergency/place": allow(*EMERGENCY),
    "GET emergency/incidents/repeats": allow(*EMERGENCY),
    "POST emergency/incidents": allow(*EMERGENCY),
    "GET emergency/incidents/{ref}": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/calls": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/triage": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/close": allow(DISP),
    "GET emergency/units/recommend": allow(*EMERGENCY),
    "GET emergency/incidents/{ref}/units": allow(*EMERGENCY),
    "GET emergency/incidents/{ref}/hospitals": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/assign": allow(DISP),
    "POST emergency/incidents/{ref}/handoff": allow(DISP),
    "GET emergency/console": allow(*EMERGENCY),
    # the console's actions (console_api): call-takers and dispatchers of the area
    "POST emergency/incidents/{ref}/retriage": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/agency": allow(*EMERGENCY),
    "POST emergency/incidents/{ref}/end": allow(*EMERGENCY),
    "GET emergency/incidents/{ref}/choices": allow(*EMERGENCY),
    "GET emergency/incidents/{ref}/hospital-options": allow(*EMERGENCY),
    # an assignment or a unit: its crew or a dispatcher of its area; anyone else 404
    "POST emergency/assignments/{ref}/cancel": allow(DISP, CREW, refused=404),
    "POST emergency/assignments/{ref}/reassign": allow(DISP, refused=404, sees=(CREW,)),
    "POST emergency/units/{ref}/status": allow(DISP, CREW, refused=404),
    "POST emergency/units/{ref}/position": allow(DISP, CREW, refused=404),
    "GET emergency/units/{ref}/job": allow(DISP, CREW, refused=404),
    "POST emergency/assignments/{ref}/accept": allow(DISP, CREW, refused=404),
    "POST emergency/units/{ref}/vitals": allow(DISP, CREW, refused=404),
    # the receiving hospital acknowledges an ambulance's patient
    "POST emergency/handoffs/{ref}/{action}": allow(HOSP, refused=404),
    "GET emergency/handoffs/{ref}": allow(HOSP, refused=404),
    # signed by a partner agency, no session (tests/emergency); the callers hold no agency key
    "POST emergency/partner/agencies/{ref}/status": Rule(frozenset(), 404, 404),
    "POST emergency/sos": ANYONE,
    # referrals: the sending Puskesmas, the receiving hospital, the health office
    "GET referrals/icd10": SIGNED_IN,
    "GET referrals/recommend": SIGNED_IN,
    "GET referrals/inbox": allow(HOSP),
    # sent from the caller's own facility (the body's sender is the Puskesmas)
    "POST referrals/referrals": allow(PKM),
    "GET referrals/referrals/{ref}": allow(ANALYST, HOSP, PKM, refused=404),
    "POST referrals/referrals/{ref}/answer": allow(HOSP, refused=404, sees=(ANALYST, PKM)),
    "POST referrals/referrals/{ref}/arrival": allow(HOSP, refused=404, sees=(ANALYST, PKM)),
    "POST referrals/referrals/{ref}/close": allow(HOSP, refused=404, sees=(ANALYST, PKM)),
    "POST referrals/referrals/{ref}/cancel": allow(ANALYST, PKM, refused=404, sees=(HOSP,)),
    "POST referrals/referrals/{ref}/redirect": allow(ANALYST, PKM, refused=404, sees=(HOSP,)),
    "PUT referrals/webhook": allow(HOSP),
    "GET referrals/webhook": allow(HOSP, absent=NO_WEBHOOK),
    "DELETE referrals/webhook": allow(HOSP, absent=NO_WEBHOOK),
    # home care: the public asks; the Puskesmas plans and its workers record
    "POST homecare/requests": ANYONE,
    "GET homecare/puskesmas/{pk}/requests": allow(PKM),
    "POST homecare/puskesmas/{pk}/plan": allow(PKM),
    "GET homecare/puskesmas/{pk}/plan": allow(PKM),
    "POST homecare/visits/{visit_id}/record": allow(PKM, refused=404),
    "GET homecare/visits/{visit_id}/record": allow(PKM, refused=404),
    # only the worker who recorded the visit corrects it (an admin neither)
    "POST homecare/visits/{visit_id}/record/correction": allow(PKM, refused=404, admin=403),
    "POST homecare/escalations/{escalation_id}/withdraw": allow(PKM, refused=404, absent=NO_ESC),
    # JKN coverage: the office; staff who enrol patients look a NIK up
    "POST coverage/lookup": allow(ANALYST, HOSP, PKM),
    "POST coverage/public/check": ANYONE,
    "GET coverage/report": allow(*OFFICE),
    "GET coverage/trend": allow(*OFFICE),
    "GET coverage/breakdown": allow(*OFFICE),
    "POST coverage/flags": allow(ANALYST, HOSP, PKM, PSC, DISP, CREW),
    "GET coverage/uninsured/export": allow(*OFFICE),
    # the health office's situation page: aggregates of the caller's area
    "GET monitoring/situation": allow(*OFFICE),
    # access and siting: the office's planning figures (no personal data, but not public)
    "GET access/kelurahan": allow(*OFFICE),
    "POST access/population": allow(*OFFICE),
    "GET access/scenarios": allow(*OFFICE),
    "POST access/scenarios": allow(*OFFICE),
    "GET access/scenarios/compare": allow(*OFFICE, absent=NO_SCENARIO),
    "GET access/scenarios/{public_id}": allow(*OFFICE, absent=NO_SCENARIO),
    # nutrition and mother/child health: the Puskesmas records, the office reads
    "POST nutrition/zscores": ANYONE,
    "GET nutrition/children": allow(ANALYST, PKM),
    "POST nutrition/children": allow(PKM),
    "POST nutrition/children/{child_id}/measurements": allow(PKM, sees=(ANALYST,)),
    "GET nutrition/children/{child_id}/measurements": allow(ANALYST, PKM),
    "PUT nutrition/measurements/{measurement_id}": allow(PKM),
    "DELETE nutrition/measurements/{measurement_id}": allow(PKM),
    "GET nutrition/dashboard": allow(ANALYST, PKM),
    "GET nutrition/quality": allow(ANALYST, PKM),
    "GET nutrition/cases": allow(ANALYST, PKM),
    "POST nutrition/cases/{case_id}/take": allow(PKM),
    "POST nutrition/cases/{case_id}/actions": allow(PKM),
    "POST nutrition/cases/{case_id}/status": allow(PKM),
    "GET nutrition/mortality": allow(ANALYST, PKM),
    "POST nutrition/pregnancies": allow(PKM),
    "POST nutrition/births": allow(PKM),
    "POST nutrition/deaths": allow(PKM),
    "GET nutrition/reviews": allow(ANALYST, PKM),
    "POST nutrition/reviews/{review_id}/status": allow(ANALYST, PKM),
}

# Pages by URL name. A page's anonymous caller is sent to the login form unless it is public.
PUBLIC_PAGE = Rule(frozenset(CALLERS), anon=OK)
PAGE_POLICY: dict[str, Rule] = {
    "home": PUBLIC_PAGE,  # sends each role to its start page
    "notifications": page(*ROLES),
    "beds:board": PUBLIC_PAGE,
    "beds:operator": page(HOSP),
    "beds:office": page(*OFFICE),
    "emergency:home": page(*ROLES),  # sends each role on to its console
    "emergency:intake": page(*EMERGENCY),
    "emergency:console": page(*EMERGENCY),
    "emergency:crew": page(DISP, CREW),
    "emergency:coverage": page(ANALYST, *EMERGENCY),
    "emergency:report": page(ANALYST, DISP),
    "emergency:incoming": page(HOSP),
    "emergency:sos": PUBLIC_PAGE,
    "referrals:home": page(*ROLES, public=403),
    "referrals:send": page(HOSP, PKM, PSC, DISP, CREW),
    "referrals:inbox": page(HOSP),
    "referrals:settings": page(HOSP, PKM),
    "referrals:detail": page(ANALYST, HOSP, PKM, refused=404),
    "referrals:office": page(*OFFICE),
    "referrals:fairness": page(*OFFICE),
    "homecare:request_form": PUBLIC_PAGE,
    "homecare:resident_cancel": PUBLIC_PAGE,
    "homecare:inbox": page(PKM),
    "homecare:staff_request": page(PKM),
    "homecare:request": page(PKM, refused=404),
    "homecare:eligibility": page(PKM, refused=404),
    "homecare:care_plan": page(PKM, refused=404),
    "homecare:manage_request": page(PKM, refused=404),
    "homecare:close_escalation": page(PKM, refused=404, absent=NO_ESC),
    "homecare:roster": page(PKM),
    "homecare:worker": page(PKM, refused=404),
    "homecare:plan": page(PKM),
    "homecare:route_sheet": page(PKM),
    "homecare:my_visits": page(*ROLES),  # a worker's own visits: empty for anyone else
    "homecare:visit": page(PKM, refused=404),
    "homecare:transport": page(PKM),
    "homecare:fleet": page(PKM),
    "coverage:check": PUBLIC_PAGE,
    "coverage:dashboard": page(*OFFICE),
    "coverage:imports": page(*OFFICE),
    "coverage:snapshot": page(*OFFICE, absent="no membership import in the world"),
    "coverage:uninsured": page(*OFFICE),
    "coverage:quota": page(*OFFICE),
    "coverage:run": page(*OFFICE, absent="no quota run in the world"),
    "coverage:workers": page(*OFFICE),
    "monitoring:situation": page(*OFFICE),
    "access:map": page(*OFFICE),
    "access:export": page(*OFFICE),
    "access:population": page(*OFFICE),
    "access:plan": page(*OFFICE),
    "access:compare": page(*OFFICE),
    "access:compare_export": page(*OFFICE),
    "access:scenario": page(*OFFICE, absent=NO_SCENARIO),
    "monitoring:report": page(*OFFICE),
    "monitoring:monthly_pdf": page(*OFFICE),
    "nutrition:dashboard": page(ANALYST, PKM),
    "nutrition:export": page(ANALYST, PKM),
    "nutrition:entry": page(PKM),
    "nutrition:measurement": page(PKM),
    "nutrition:quality": page(ANALYST, PKM),
    "nutrition:import": page(PKM),
    "nutrition:import_rejections": page(PKM, absent="no import with rejections"),
    "nutrition:cases": page(ANALYST, PKM),
    "nutrition:case": page(ANALYST, PKM),
    "nutrition:mch": page(ANALYST, PKM),
    "nutrition:pregnancy_new": page(PKM),
    "nutrition:reviews": page(ANALYST, PKM),
    "nutrition:review": page(ANALYST, PKM),
}
# fmt: on

# Routes outside the matrix, with why.
NOT_IN_MATRIX = {
    "set_language": "Django's language switch: a cookie, no data",
    "login": "the login form (tests/core/test_sessions_logins.py)",
    "logout": "POST only, ends the caller's own session",
    "api-root": "django-ninja's API root, no operation",
    "openapi-json": "the OpenAPI document, public by design",
    "openapi-view": "the API docs page, public by design",
    "healthz": "liveness probe: no data (tests/core/test_ops.py)",
    "readyz": "readiness probe: names of checks only (tests/core/test_ops.py)",
    "metrics": "Prometheus scrape: bearer token or allow-listed address (tests/core/test_ops.py)",
    "fhir:metadata": "FHIR CapabilityStatement, public by design (tests/fhir)",
    "fhir:search": "FHIR search: public types open, personal ones by API key, scoped (tests/fhir)",
    "fhir:read": "FHIR read: public types open, personal ones by API key and scope (tests/fhir)",
    "fhir:not_served": "FHIR OperationOutcome for a type SIGAP does not serve (tests/fhir)",
}
# The compat front doors authenticate with the protocols' own signed headers, not with a
# session or a role: tests/beds/test_aplicare.py, test_sirs.py, tests/referrals/test_sisrute.py.
COMPAT_PREFIXES = ("^aplicaresws/", "^fo/", "^sisrute/")

# Path parameters whose records are public or shared between tenants: another tenant's id is
# not refused (facilities and regions are public reference data).
SHARED_PARAMS = {"facility_id", "code"}
# Path parameters whose existence is public (every facility is listed by the public
# /api/v1/facilities/): refusing another tenant's with 403 reveals nothing.
PUBLIC_EXISTENCE = {
    "facility_ref": "a hospital's id or kodeppk (facilities are public)",
    "pk": "a Puskesmas' id (facilities are public)",
}

# Known differences between "another tenant's record" and "no such record" still to fix; each
# is an xfail(strict=True), so the fix turns it into a failure until the entry is dropped.
KNOWN_DIFFERENCES: dict[str, str] = {}

# --- the two tenants ----------------------------------------------------------------------------


def add_records(w: World, t: Tenant) -> None:
    """What the base world lacks: an incident with its unit sent and a hand-over to the
    hospital, a planned home visit and its worker, a measurement that opens a case."""
    from sigap.core.services import Actor
    from sigap.emergency import selectors as em_selectors
    from sigap.emergency import services as em
    from sigap.homecare import services as hc
    from sigap.homecare.models import TargetGroup, Visit
    from sigap.nutrition import services as nu
    from sigap.nutrition.models import Child, DeathReview, NutritionCase

    em.villages.reset()
    unit = em.save_unit(
        Actor.system("test"),
        em.UnitInput(
            code=f"AMB-{t.label}", name=f"Ambulans {t.label}", kind="gawat_darurat",
            base_kind="village", base_village=t.kel, area_code=t.area,
            latitude=t.lat, longitude=t.lon,
        ),
    )  # fmt: skip
    unit.crew.add(w.users["ambulance_crew"])
    em_selectors.reset_unit_index()
    dispatcher = Actor(w.users["dispatcher"], "web")
    inc = em.create_incident(
        Actor(w.users["psc_call_taker"], "web"),
        em.IncidentInput(latitude=t.lat, longitude=t.lon, caller_phone="081234567890",
                         category="medical", triage="merah"),
    )  # fmt: skip
    asg = em.assign_unit(dispatcher, inc, unit)
    handoff = em.create_handoff(dispatcher, inc, w.hospital, summary="Sesak napas")

    staff = Actor(w.users["puskesmas_staff"], "web")
    req = hc.create_request(
        Actor(user=None, channel="web"),
        hc.RequestInput(
            nik=f"{t.kel[:6]}4501800003", name="Ibu Warsini", phone="081234567890",
            address="Jl. Uji 3", village_code=t.kel, need="Pasca stroke, tidak bisa berjalan",
        ),
    )  # fmt: skip
    group = TargetGroup.objects.order_by("sort").first()
    hc.decide_eligibility(
        staff, req, target_group=group.code, answers={c: True for c in group.checklist}
    )
    day = date.today() + timedelta(days=1)
    plan = hc.create_care_plan(
        staff, req,
        hc.CarePlanInput(frequency_days=7, skill="nurse", visit_minutes=45,
                         preferred_start=time(8), preferred_end=time(14), priority=1,
                         start_date=day),
    )  # fmt: skip
    worker = hc.create_worker(
        staff, w.puskesmas, hc.WorkerInput("Ners Uji", ["nurse"], time(8), time(15))
    )
    hc.plan_facility(staff, w.puskesmas, day, seconds=0.3)
    visit = Visit.objects.get(care_plan=plan)
    hc.record_visit(staff, visit, hc.RecordInput(outcome="stable", notes="Baik"))

    kid = Child.objects.get(public_id=w.ids["child_id"])
    severe = nu.MeasurementInput(measured_on=date.today(), weight_kg=6.0, length_cm=76)
    m = nu.record_measurement(staff, kid, severe)
    case = NutritionCase.objects.filter(child=kid).first()
    death = nu.register_death(
        staff,
        nu.DeathInput(
            kind="infant",
            died_on=date.today(),
            kelurahan_code=t.kel,
            birth_date=date.today() - timedelta(days=30),
        ),
    )
    review = DeathReview.objects.get(death=death)
    w.ids.update(
        incident=str(inc.public_id), unit=str(unit.public_id), unit_code=unit.code,
        assignment=str(asg.public_id), handoff=str(handoff.public_id),
        request=str(req.public_id), visit_id=str(visit.public_id),
        worker=str(worker.public_id), measurement_id=str(m.public_id),
        case_id=str(case.public_id) if case else UNKNOWN_UUID, day=day.isoformat(),
        review_id=str(review.public_id),
    )  # fmt: skip


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """Both tenants, built once inside a transaction rolled back when the module ends (as
    test_all_or_nothing's world); every request below runs in a savepoint rolled back."""
    from sigap.beds import selectors as bed_selectors
    from sigap.emergency import selectors as em_selectors
    from sigap.emergency import services as em
    from tests.conftest import ensure_reference_data

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_reference_data()
            home, other = build_world(HOME), build_world(OTHER)
            add_records(home, HOME)
            add_records(other, OTHER)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield home, other
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        bed_selectors.reset_snapshot()
        em_selectors.reset_unit_index()
        em.villages.reset()


# --- requests -----------------------------------------------------------------------------------

# Which record a path's {ref} names.
REF_KIND = [("/referrals/", "ref"), ("/incidents/", "incident"), ("/assignments/", "assignment"),
            ("/units/", "unit"), ("/handoffs/", "handoff")]  # fmt: skip
UNKNOWN = {"pk": "999999", "code": "9999", "kodekelas": "KL3", "koderuang": "R1",
           "action": "acknowledge"}  # fmt: skip


def path_ids(path: str, w: World | None) -> dict[str, str]:
    """The path parameters of an operation: the records of `w`, or ids that do not exist."""
    names = re.findall(r"{(\w+)}", path)
    out = {}
    for name in names:
        if w is None:
            out[name] = UNKNOWN.get(name, UNKNOWN_UUID)
        elif name == "ref":
            kind = next((k for part, k in REF_KIND if part in path), "")
            out[name] = w.ids.get(kind, UNKNOWN_UUID)
        elif name == "action":
            out[name] = "acknowledge"
        elif name == "code":
            out[name] = w.hospital.village_id[:4]
        else:
            out[name] = w.ids.get(name, UNKNOWN_UUID)
    return out


def bodies(w: World, t: Tenant) -> dict[str, dict]:
    """Valid input where the schema's plausible values are not enough: a caller who may not
    use an operation must be refused for who they are, not for a malformed body."""
    today = date.today().isoformat()
    month = date.today().strftime("%Y-%m")
    born = (date.today() - timedelta(days=30)).isoformat()
    hospital, pkm = str(w.hospital.public_id), str(w.puskesmas.public_id)
    measure = {"measured_on": today, "weight_kg": 9.6, "length_cm": 76.5}
    record = {"outcome": "stable", "notes": "Baik"}
    return {
        "PUT beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}":
            {"namaruang": "Ruang R1", "kapasitas": 20, "tersedia": 4},
        "PATCH beds/facilities/{facility_ref}/rooms/{kodekelas}/{koderuang}":
            {"tersedia": 4},
        "POST emergency/incidents": {
            "latitude": t.lat, "longitude": t.lon, "caller_phone": "081234567891",
            "category": "medical", "triage": "kuning",
        },
        "POST emergency/incidents/{ref}/assign": {"unit": w.ids["unit_code"]},
        "POST emergency/assignments/{ref}/reassign":
            {"unit": w.ids["unit_code"], "reason": "uji"},
        "POST emergency/incidents/{ref}/handoff": {"hospital": hospital},
        "POST emergency/units/{ref}/vitals": {"pulse": 96, "note": "sadar, nyeri dada"},
        "POST referrals/referrals": {
            "sender": pkm, "receiver": hospital, "kind": 2, "urgency": "emergency",
            "payer": "jkn_pbi", "patient_name": "Siti Contoh", "patient_nik": NIK,
            "diagnosis": "J18.9", "reason": "SP", "service": "icu", "bed_class": "ICU",
        },
        "POST referrals/referrals/{ref}/answer": {"accept": True},
        "POST referrals/referrals/{ref}/redirect": {"receiver": hospital},
        "PUT referrals/webhook": {"facility": hospital, "url": "https://example.org/h"},
        "POST homecare/visits/{visit_id}/record": record,
        "POST homecare/visits/{visit_id}/record/correction": {**record, "reason": "uji"},
        "POST coverage/flags": {"nik": NIK, "reason": "pregnant"},
        "POST coverage/public/check": {"nik": NIK, "card_number": "0001234567890"},
        "POST nutrition/children": {
            "name": "Anak Baru", "sex": "P", "kelurahan_code": t.kel,
            "birth_date": (date.today() - timedelta(days=300)).isoformat(),
        },
        "POST nutrition/children/{child_id}/measurements": measure,
        "PUT nutrition/measurements/{measurement_id}": measure,
        "POST nutrition/pregnancies":
            {"mother_nik": NIK, "mother_name": "Siti Contoh", "kelurahan_code": t.kel},
        "POST nutrition/deaths":
            {"kind": "infant", "died_on": today, "kelurahan_code": t.kel, "birth_date": born},
        "?GET coverage/breakdown": {"by": "segment"},
        "?GET emergency/place": {"lat": t.lat, "lon": t.lon},
        "?GET emergency/units/recommend": {"lat": t.lat, "lon": t.lon},
        "?GET nutrition/dashboard": {"month": month},
        "?GET nutrition/quality": {"month": month},
        "?GET nutrition/mortality": {"year": date.today().year},
        "?GET referrals/recommend": {"lat": t.lat, "lon": t.lon, "payer": "jkn_pbi"},
        "?GET referrals/webhook": {"facility": hospital},
        "?DELETE referrals/webhook": {"facility": hospital},
        "?DELETE nutrition/measurements/{measurement_id}": {"reason": "salah ukur"},
        "?GET homecare/puskesmas/{pk}/plan": {"date": w.ids["day"]},
    }  # fmt: skip


API = "/api/v1/"  # the policy's keys name an operation by its method and path below API
OPERATIONS = {
    f"{method.upper()} {path.removeprefix(API)}": op
    for path, item in SCHEMA["paths"].items()
    for method, op in item.items()
}


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: int | str
    body: tuple = ()  # (code, message, field) of an error, or the redirect's target

    def __str__(self) -> str:
        return f"{self.status} {self.body}" if self.body else str(self.status)


def answer(resp) -> Answer:
    status = resp.status_code
    body: tuple = ()
    if resp.get("Content-Type", "").startswith("application/json") and status >= 400:
        data = json.loads(resp.content)
        if isinstance(data, dict):
            body = (data.get("code"), data.get("message"), data.get("field"))
    if status in (301, 302):
        location = resp["Location"]
        body = ("redirect", location.split("?")[0])
        return Answer(status, LOGIN if location.startswith("/masuk/") else OK, body)
    if status in (401, 403, 404):
        return Answer(status, status, body)
    return Answer(status, OK, body)


def send(client: Client, method: str, url: str, body=None) -> Answer:
    """One request in a savepoint that is rolled back: no call sees another's writes."""
    cache.clear()  # rate limits would answer 429 before the access check
    with transaction.atomic():
        data = "" if body is None else json.dumps(body)
        resp = getattr(client, method.lower())(url, data=data, content_type="application/json")
        transaction.set_rollback(True)
    return answer(resp)


def clients(world: World) -> dict[str, Client]:
    out = {ANON: Client()}
    for role in ROLES:
        out[role] = Client()
        out[role].force_login(world.users[role])
    return out


def api_call(key: str, client: Client, home: World, target: World | None) -> Answer:
    method, path = key.split(" ", 1)
    op = OPERATIONS[key]
    extra = bodies(home, HOME)
    url = API + path
    for name, value in path_ids(path, target).items():
        url = url.replace("{" + name + "}", value)
    query = {p["name"]: plausible(p["name"]) for p in op.get("parameters", [])
             if p["in"] == "query" and p.get("required")}  # fmt: skip
    query.update(extra.get("?" + key, {}))
    if query:
        url += "?" + urlencode(query)
    body = extra.get(key)
    if body is None:
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        body = plausible_json(SCHEMA, schema["schema"]) if schema else None
    return send(client, method, url, body)


def _marked(keys, known: dict) -> list:
    return [
        pytest.param(k, id=k, marks=[pytest.mark.xfail(strict=True, reason=known[k])])
        if k in known
        else pytest.param(k, id=k)
        for k in keys
    ]


def _check(rule: Rule, caller: str, got: Answer, label: str, failures: list) -> None:
    want = rule.expected(caller)
    if got.outcome != want:
        failures.append(f"{label} as {caller}: expected {want}, got {got}")


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(set(API_POLICY) & set(OPERATIONS)))
def test_api_operation_follows_the_policy(worlds, key):
    """Each caller's answer on their own tenant's records is the declared one, and another
    tenant's record is refused to everyone but admin."""
    home, other = worlds
    rule = API_POLICY[key]
    path = key.split(" ", 1)[1]
    params = set(re.findall(r"{(\w+)}", path))
    tenant_bound = bool(params - SHARED_PARAMS - NOT_RECORDS)
    failures: list[str] = []
    for caller, client in clients(home).items():
        _check(rule, caller, api_call(key, client, home, home), key, failures)
        if tenant_bound and caller not in ("admin", ANON):
            got = api_call(key, client, home, other)
            if got.outcome == OK:
                failures.append(f"{key} as {caller}: another tenant's record answered {got}")
    assert not failures, "\n".join(failures)


NOT_RECORDS = {"kodekelas", "koderuang", "action"}  # a room's codes, a verb


def _with_ids(keys) -> list[str]:
    skip = SHARED_PARAMS | set(PUBLIC_EXISTENCE) | NOT_RECORDS
    return [k for k in keys if set(re.findall(r"{(\w+)}", k)) - skip]


@pytest.mark.parametrize("key", _marked(_with_ids(sorted(API_POLICY)), KNOWN_DIFFERENCES))
def test_api_another_tenants_record_answers_like_no_record(worlds, key):
    home, other = worlds
    differences = []
    for caller, client in clients(home).items():
        if caller == "admin":
            continue
        theirs = api_call(key, client, home, other)
        unknown = api_call(key, client, home, None)
        if theirs != unknown:
            differences.append(f"{caller}: another tenant's {theirs} / no such record {unknown}")
    assert not differences, f"{key}\n" + "\n".join(differences)


# pages -------------------------------------------------------------------------------------------

# Which record a page's id names (the others have none in the world: an unknown id).
PAGE_IDS = {
    "referrals:detail": "ref",
    "homecare:request": "request",
    "homecare:eligibility": "request",
    "homecare:care_plan": "request",
    "homecare:manage_request": "request",
    "homecare:worker": "worker",
    "homecare:visit": "visit_id",
    "nutrition:measurement": "measurement_id",
    "nutrition:case": "case_id",
    "nutrition:review": "review_id",
}
# Pages that only take a POST (an action on the record): the matrix posts an empty form.
POST_ONLY = {"homecare:staff_request", "homecare:eligibility", "homecare:care_plan",
             "homecare:manage_request", "homecare:close_escalation"}  # fmt: skip


def page_call(name: str, client: Client, target: World | None) -> Answer:
    key = PAGE_IDS.get(name, "")

    def fill(_match) -> str:
        return target.ids.get(key, UNKNOWN_UUID) if target else UNKNOWN_UUID

    url = "/" + re.sub(r"<(?:\w+:)?\w+>", fill, ROUTES[name])
    cache.clear()
    with transaction.atomic():
        resp = client.post(url, {}) if name in POST_ONLY else client.get(url)
        transaction.set_rollback(True)
    return answer(resp)


PAGES = [n for n in ROUTES if n not in NOT_IN_MATRIX and not ROUTES[n].startswith(COMPAT_PREFIXES)]


@pytest.mark.parametrize("name", sorted(set(PAGE_POLICY) & set(PAGES)))
def test_page_follows_the_policy(worlds, name):
    home, other = worlds
    rule = PAGE_POLICY[name]
    with_id = "<" in ROUTES[name]
    failures: list[str] = []
    for caller, client in clients(home).items():
        _check(rule, caller, page_call(name, client, home), name, failures)
        if with_id and caller not in ("admin", ANON):
            got = page_call(name, client, other)
            if got.outcome == OK:
                failures.append(f"{name} as {caller}: another tenant's record answered {got}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "name", _marked([n for n in sorted(PAGE_IDS) if n in PAGES], KNOWN_DIFFERENCES)
)
def test_page_another_tenants_record_answers_like_no_record(worlds, name):
    home, other = worlds
    differences = []
    for caller, client in clients(home).items():
        if caller == "admin":
            continue
        theirs, unknown = page_call(name, client, other), page_call(name, client, None)
        if (theirs.status, theirs.body) != (unknown.status, unknown.body):
            differences.append(f"{caller}: another tenant's {theirs} / no such record {unknown}")
    assert not differences, f"{name}\n" + "\n".join(differences)


def test_every_route_has_a_declared_policy():
    """A new API operation or page fails here until its access is declared above."""
    assert set(OPERATIONS) - set(API_POLICY) == set(), "API operations without a policy"
    assert set(API_POLICY) - set(OPERATIONS) == set(), "policies of operations that are gone"
    assert set(PAGES) - set(PAGE_POLICY) == set(), "pages without a policy"
    assert set(PAGE_POLICY) - set(PAGES) == set(), "policies of pages that are gone"
    assert set(NOT_IN_MATRIX) <= set(ROUTES) | {"api-root", "openapi-json", "openapi-view"}
    for key in KNOWN_DIFFERENCES:
        assert key in API_POLICY or key in PAGE_IDS, key
