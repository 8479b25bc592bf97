"""The public SOS (issue 12, issue 17 Low and Medium): one press = one incident, a triage
suggested from the note and the questions, a kelurahan instead of the phone's position,
junk refused with a clear 4xx; non-UUID references and NUL characters answer 4xx."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from sigap.core.models import AuditEvent
from sigap.emergency import reference
from sigap.emergency.models import Incident, IncidentCall

pytestmark = pytest.mark.django_db
BASE = "/api/v1/emergency/"
MIROTO = {"latitude": -6.981, "longitude": 110.413}


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def post(c, path, body, **headers):
    return c.post(BASE + path, json.dumps(body), content_type="application/json", **headers)


def sos(body, c=None, **headers):
    return post(c or Client(), "sos", {"phone": "081234567890", **body}, **headers)


def test_the_same_press_twice_is_one_incident(area):
    body = {**MIROTO, "idempotency_key": "a1b2c3d4e5f60718"}
    first = sos(body)
    assert first.status_code == 201, first.content
    again = sos(body)
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert Incident.objects.count() == 1 and IncidentCall.objects.count() == 1
    assert AuditEvent.objects.filter(action="emergency.incident.create").count() == 1
    # the header works as well as the body field
    h = sos(MIROTO, HTTP_IDEMPOTENCY_KEY="hdr-key-000001")
    assert h.status_code == 201
    assert sos(MIROTO, HTTP_IDEMPOTENCY_KEY="hdr-key-000001").json()["number"] == h.json()["number"]
    assert Incident.objects.count() == 2


def test_replays_do_not_use_up_the_limit(area):
    body = {**MIROTO, "idempotency_key": "press-once-0001"}
    for _ in range(12):
        assert sos(body).status_code in (200, 201)
    assert Incident.objects.count() == 1


def test_a_key_reused_with_another_phone_is_refused(area):
    body = {**MIROTO, "idempotency_key": "shared-key-0001"}
    assert sos(body).status_code == 201
    r = sos({**body, "phone": "085600001111"})
    assert r.status_code == 422 and r.json()["code"] == "idempotency_mismatch"
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("key", ["short", "bad key with spaces", "x" * 65, "ünï-cödé-key"])
def test_malformed_keys_are_refused(area, key):
    r = sos({**MIROTO, "idempotency_key": key})
    assert r.status_code == 422 and r.json()["field"] == "idempotency_key"
    assert Incident.objects.count() == 0


def test_without_a_key_two_presses_are_two_requests(area):
    # a client that sends no key gets no de-duplication (the page always sends one)
    assert sos(MIROTO).status_code == 201 and sos(MIROTO).status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(
    "note,answers,triage,victims",
    [
        ("2 orang luka berat", {}, "merah", 2),
        ("dua korban terjepit motor", {}, "merah", 2),
        ("ibu pingsan di dapur", {}, "merah", 1),
        ("anak kejang", {}, "kuning", 1),
        ("kaki patah jatuh dari tangga", {}, "kuning", 1),
        ("luka ringan, lecet", {}, "hijau", 1),
        ("", {}, "hijau", 1),
        ("", {"tidak_napas": True}, "merah", 1),
        ("tangan luka ringan", {"perdarahan": True}, "merah", 1),
        ("7 orang keracunan makanan", {}, "kuning", 7),
        ("8 orang di lokasi", {}, "kuning", 8),
    ],
)
def test_triage_is_suggested_from_the_note_and_the_questions(area, note, answers, triage, victims):
    r = sos({**MIROTO, "note": note, "answers": answers})
    assert r.status_code == 201, r.content
    assert r.json()["triage"] == triage
    inc = Incident.objects.get()
    assert (inc.triage, inc.victims) == (triage, victims)


def test_text_rules_table():
    t = reference.triage_from_text("Tabrakan, 2 orang luka berat, satu tidak sadar")
    assert t.colour == "merah" and t.victims == 2
    assert t.reasons[0] in ("tidak sadar", "luka berat")
    assert reference.triage_from_text("").colour == "hijau"
    assert reference.triage_from_text("ada 600 orang").victims is None  # past the range
    # never suggests hitam, whatever the text
    assert reference.triage_from_text("korban meninggal").colour != "hitam"


def test_call_intake_uses_the_notes_when_no_colour_is_chosen(users, call):
    inc = call(triage="", notes="2 orang luka berat")
    assert inc.triage == "merah"
    # a colour the call-taker chose stays
    assert call(triage="hijau", notes="2 orang luka berat").triage == "hijau"


def test_without_position_the_chosen_kelurahan_and_call_back_number_go(area):
    r = sos({"village_code": "3374021001", "note": "sesak"})
    assert r.status_code == 201, r.content
    inc = Incident.objects.get()
    assert inc.village_id == "3374021001" and inc.caller_phone == "081234567890"
    assert (inc.latitude, inc.longitude) == (-6.958, 110.421)
    assert inc.area_code == "3374" and inc.source == "sos"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "location"),
        ({"village_code": "9999999999"}, "village_code"),
        ({"village_code": "33740\x0021001"}, "village_code"),
        ({"latitude": -6.98}, "latitude"),
        ({"latitude": -6.98, "longitude": False}, "longitude"),
        ({"latitude": True, "longitude": 110.41}, "latitude"),
        ({"latitude": "-6.98", "longitude": 110.41}, "latitude"),
        ({**MIROTO, "phone": "00000"}, "phone"),
        ({**MIROTO, "phone": "0000000000"}, "phone"),
        ({**MIROTO, "phone": "0811111111"}, "phone"),
        ({**MIROTO, "phone": "12345"}, "phone"),
        ({**MIROTO, "phone": "+1 555 0100 200"}, "phone"),
        ({**MIROTO, "phone": "0812\x00345678"}, "phone"),
        ({**MIROTO, "phone": 81234567890}, "phone"),
        ({**MIROTO, "note": "a\x00b"}, "notes"),
    ],
)
def test_junk_is_refused_with_a_clear_4xx_and_nothing_written(area, body, field):
    payload = {"phone": "081234567890", **body}
    r = post(Client(), "sos", payload)
    assert r.status_code == 422, r.content
    err = r.json()
    assert set(err) == {"code", "message", "field"} and err["field"] == field, err
    assert Incident.objects.count() == 0 and AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    "phone", ["081234567890", "+62 812-3456-7890", "024 8311234", "6281234567"]
)
def test_real_numbers_are_accepted(area, phone):
    assert sos({**MIROTO, "phone": phone}).status_code == 201


# --- non-UUID references (issue 17 Medium) ---------------------------------------------

REF_OPERATIONS = [
    ("get", "incidents/{ref}", None),
    ("post", "incidents/{ref}/calls", {"phone": "0812345678"}),
    ("post", "incidents/{ref}/triage", {"triage": "merah"}),
    ("post", "incidents/{ref}/close", {}),
    ("get", "incidents/{ref}/units", None),
    ("get", "incidents/{ref}/hospitals", None),
    ("post", "incidents/{ref}/assign", {"unit": "AMB-1"}),
    (
        "post",
        "incidents/{ref}/handoff",
        {"hospital": "00000000-0000-0000-0000-000000000000"},
    ),
    ("post", "assignments/{ref}/cancel", {}),
    ("post", "assignments/{ref}/reassign", {"unit": "AMB-1"}),
    ("post", "handoffs/{ref}/acknowledge", None),
]
BAD_REFS = ["not-a-uuid", "1", "GD000000-ZZZZZZ", "x" * 300, "%00", "1' or '1'='1"]


@pytest.mark.parametrize("role", ["dispatcher", "psc", "crew", "public", None])
def test_non_uuid_references_answer_404_or_422_in_sigaps_shape(users, call, role):
    call()
    c = Client()
    if role:
        c.force_login(users[role])
    for method, path, body in REF_OPERATIONS:
        for ref in BAD_REFS:
            url = BASE + path.format(ref=ref)
            if method == "get":
                r = c.get(url)
            else:
                r = c.post(url, json.dumps(body or {}), content_type="application/json")
            assert r.status_code in (401, 404, 422), (path, ref, role, r.status_code)
            if role is not None:
                assert r.status_code in (404, 422), (path, ref, role, r.status_code)
            err = r.json()
            assert set(err) == {"code", "message", "field"}, (path, ref, err)


def test_partner_status_with_a_non_uuid_agency(area):
    r = Client().post(BASE + "partner/agencies/nope/status", "{}", content_type="application/json")
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "field"}


def test_number_references_still_work(users, call):
    inc = call()
    c = Client()
    c.force_login(users["dispatcher"])
    assert c.get(BASE + f"incidents/{inc.number}").json()["id"] == str(inc.public_id)
    assert c.get(BASE + f"incidents/{inc.public_id}").json()["number"] == inc.number
