"""The dispatcher console's actions: re-triage with a reason, hand-over to an agency by choice,
closing or cancelling with a reason from the list, adding and swapping units, the ranked
hospital options with their why, and no second hand-off once the patient is handed."""

import json

import pytest
from django.test import Client

from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from sigap.emergency import console_selectors, selectors, services
from sigap.emergency.models import Agency, Assignment, Incident, IncidentAgency, Unit
from sigap.emergency.services import console as console_services
from tests.emergency.conftest import actor

pytestmark = pytest.mark.django_db
BASE = "/api/v1/emergency/"


@pytest.fixture
def disp(users):
    return actor(users["dispatcher"])


@pytest.fixture
def police(area):
    ep = WebhookEndpoint.objects.create(name="polres", url="http://127.0.0.1:9/", secret="s3")
    return Agency.objects.create(area_code="3374", kind="police", name="Polrestabes", webhook=ep)


# --- re-triage ------------------------------------------------------------------------------


def test_retriage_changes_colour_audits_reason_and_resorts_queue(users, call, disp):
    first = call(triage="hijau")
    second = call(triage="kuning", caller_phone="0811")
    assert [i.pk for i in selectors.active_incidents("3374")] == [second.pk, first.pk]
    console_services.retriage(disp, first, triage="merah", reason="pasien tidak sadar")
    assert Incident.objects.get(pk=first.pk).triage == "merah"
    assert [i.pk for i in selectors.active_incidents("3374")] == [first.pk, second.pk]
    event = AuditEvent.objects.filter(action="emergency.incident.triage").latest("id")
    assert event.before["triage"] == "hijau"
    assert event.after["triage"] == "merah" and event.after["reason"] == "pasien tidak sadar"


@pytest.mark.parametrize(
    "triage, reason, field",
    [("merah", "tidak sadar", "triage"), ("ungu", "x y z", "triage"), ("kuning", "  ", "reason")],
)
def test_retriage_refusals_write_nothing(users, call, disp, triage, reason, field):
    inc = call(triage="merah")
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as err:
        console_services.retriage(disp, inc, triage=triage, reason=reason)
    assert err.value.field == field
    assert Incident.objects.get(pk=inc.pk).triage == "merah"
    assert AuditEvent.objects.count() == before


def test_retriage_of_a_closed_incident_or_by_another_area_is_refused(users, call, disp):
    inc = call()
    with pytest.raises(Forbidden):
        console_services.retriage(
            actor(users["other_disp"]), inc, triage="hijau", reason="salah warna"
        )
    console_services.end_incident(disp, inc, reason="false_call")
    with pytest.raises(Conflict) as err:
        console_services.retriage(disp, inc, triage="hijau", reason="salah warna")
    assert err.value.code == "illegal_transition"


# --- hand-over to an agency ---------------------------------------------------------------


def test_hand_to_police_by_choice_sends_one_signed_webhook(users, call, disp, police):
    inc = call(category="medical")
    assert not inc.agency_requests.exists()
    out = console_services.hand_to_agency(disp, inc, kind="police", reason="perkelahian")
    assert out.created == 1
    req = IncidentAgency.objects.get(incident=inc)
    assert req.agency == police and req.status == "sent"
    assert WebhookDelivery.objects.filter(event="incident.handover").count() == 1
    assert Incident.objects.get(pk=inc.pk).agencies_needed == ["police"]
    assert AuditEvent.objects.filter(action="emergency.incident.agency_handover").count() == 1
    # the same request again: the request already made, no second call to the agency
    again = console_services.hand_to_agency(disp, inc, kind="police")
    assert again.created == 0 and [r.pk for r in again.requests] == [req.pk]
    assert WebhookDelivery.objects.count() == 1
    assert AuditEvent.objects.filter(action="emergency.incident.agency_handover").count() == 1
    assert Incident.objects.get(pk=inc.pk).status == "open"  # the ambulance is still needed


def test_hand_over_without_ambulance_leaves_the_ambulance_queue(users, call, disp, police):
    inc = call()
    console_services.hand_to_agency(disp, inc, kind="police", ambulance_needed=False)
    assert Incident.objects.get(pk=inc.pk).status == "handed_over"


def test_hand_over_refused_without_agency_or_unknown_kind(users, call, disp):
    inc = call()
    with pytest.raises(InvalidInput) as err:
        console_services.hand_to_agency(disp, inc, kind="fire")
    assert err.value.code == "no_agency"
    with pytest.raises(InvalidInput):
        console_services.hand_to_agency(disp, inc, kind="psc119")
    assert not IncidentAgency.objects.exists()
    assert Incident.objects.get(pk=inc.pk).agencies_needed == []


# --- close / cancel with a reason ------------------------------------------------------------


def test_cancel_with_reason_releases_unit_and_stores_label(users, call, disp, make_unit):
    inc = call()
    unit = make_unit("GD-1")
    services.assign_unit(disp, inc, unit)
    console_services.end_incident(disp, inc, reason="false_call", note="anak bermain telepon")
    inc.refresh_from_db()
    assert inc.status == "cancelled"
    assert inc.close_reason == "Panggilan palsu/iseng: anak bermain telepon"
    assert Unit.objects.get(pk=unit.pk).status == "available"
    assert not Assignment.objects.filter(status="active").exists()
    with pytest.raises(Conflict):  # the same request twice
        console_services.end_incident(disp, inc, reason="false_call")


def test_close_on_scene_keeps_its_reason(users, call, disp, make_unit):
    inc = call()
    unit = make_unit("GD-1")
    services.assign_unit(disp, inc, unit)
    services.crew_status(disp, Unit.objects.get(pk=unit.pk), "on_scene")
    codes = [c for c, _label, _to in console_services.close_reasons("on_scene")]
    assert "treated_on_scene" in codes and "false_call" not in codes
    with pytest.raises(Conflict) as err:  # cancelling once the unit is there: close instead
        console_services.end_incident(disp, inc, reason="false_call")
    assert err.value.code == "illegal_transition"
    assert Incident.objects.get(pk=inc.pk).status == "on_scene"
    console_services.end_incident(disp, inc, reason="treated_on_scene")
    inc.refresh_from_db()
    assert inc.status == "closed" and inc.close_reason.startswith("Ditangani di lokasi")
    assert Unit.objects.get(pk=unit.pk).status == "returning"


def test_end_refuses_free_codes(users, call, disp):
    inc = call()
    for bad in ("", "closed", "salah sambung"):
        with pytest.raises(InvalidInput):
            console_services.end_incident(disp, inc, reason=bad)
    assert Incident.objects.get(pk=inc.pk).status == "open"


# --- units ------------------------------------------------------------------------------------


def test_add_and_swap_units(users, call, disp, make_unit):
    inc = call()
    a, b, c = make_unit("GD-A"), make_unit("GD-B"), make_unit("GD-C")
    services.assign_unit(disp, inc, a)
    second = services.assign_unit(disp, inc, b)  # a second unit for the same incident
    swapped = services.reassign(disp, second, Unit.objects.get(pk=c.pk))
    assert swapped.unit_id == c.pk
    assert {u.code: u.status for u in Unit.objects.all()} == {
        "GD-A": "dispatched",
        "GD-B": "available",
        "GD-C": "dispatched",
    }
    # a swap to a unit someone else took: 409, the old assignment stays
    other = call(caller_phone="0899")
    services.assign_unit(actor(users["dispatcher2"]), other, Unit.objects.get(pk=b.pk))
    with pytest.raises(Conflict) as err:
        services.reassign(disp, swapped, Unit.objects.get(pk=b.pk))
    assert err.value.code == "unit_taken"
    assert Assignment.objects.get(pk=swapped.pk).status == "active"
    assert Unit.objects.get(pk=c.pk).status == "dispatched"


# --- hospitals --------------------------------------------------------------------------------


def test_hospital_options_ranked_with_why(users, call, make_hospital):
    make_hospital("RS Dekat Penuh", lat=-6.982, lon=110.414, rooms=[("I", "ICU", 4, 0)])
    make_hospital("RS Sedang", lat=-7.00, lon=110.42, rooms=[("I", "ICU", 4, 1)])
    make_hospital("RS Jauh", lat=-7.08, lon=110.41, rooms=[("I", "ICU", 4, 3)])
    inc = call(triage="merah")
    options = console_selectors.hospital_options(inc)
    assert [h["name"] for h in options] == ["RS Sedang", "RS Jauh", "RS Dekat Penuh"]
    assert [h["rank"] for h in options] == [1, 2, 3]
    assert "1 TT ICU kosong" in options[0]["why"] and "tercepat" in options[0]["why"]
    assert "lebih lama" in options[1]["why"]
    assert "tidak ada TT ICU kosong" in options[2]["why"]


def test_hospital_options_empty_and_none_with_room(users, call, make_hospital):
    assert console_selectors.hospital_options(call()) == []
    make_hospital("RS Penuh", rooms=[("I", "ICU", 4, 0)])
    (only,) = console_selectors.hospital_options(call(caller_phone="0813"))
    assert only["why"].startswith("tidak ada TT ICU kosong;") and "di bawah" not in only["why"]


def test_no_second_handoff_once_the_patient_is_handed(users, call, disp, make_hospital):
    rs = make_hospital("RS Alfa", rooms=[("I", "ICU", 4, 1)])
    inc = call()
    h = services.create_handoff(disp, inc, rs)
    services.move_handoff(services.Actor.system(), h, "arrived")
    with pytest.raises(Conflict):
        services.create_handoff(disp, inc, rs)
    assert inc.handoffs.count() == 1


# --- API --------------------------------------------------------------------------------------


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c, path, body):
    return c.post(BASE + path, json.dumps(body), content_type="application/json")


def test_api_console_actions(users, call, police, make_hospital):
    make_hospital("RS Alfa", rooms=[("I", "ICU", 4, 1)])
    inc = call(triage="kuning")
    c = _client(users["dispatcher"])
    ref = str(inc.public_id)
    r = _post(c, f"incidents/{ref}/retriage", {"triage": "merah", "reason": "sesak napas"})
    assert r.status_code == 200 and r.json()["triage"] == "merah"
    r = _post(c, f"incidents/{ref}/retriage", {"triage": "merah", "reason": "sesak napas"})
    assert r.status_code == 422 and r.json()["field"] == "triage"
    r = _post(c, f"incidents/{ref}/agency", {"kind": "police"})
    assert r.status_code == 200 and r.json()["agencies"][0]["name"] == "Polrestabes"
    r = _post(c, f"incidents/{ref}/agency", {"kind": "fire"})
    assert r.status_code == 422 and r.json()["code"] == "no_agency"
    options = c.get(BASE + f"incidents/{ref}/hospital-options").json()
    assert options[0]["name"] == "RS Alfa" and options[0]["why"]
    choices = c.get(BASE + f"incidents/{ref}/choices").json()
    assert {"code": "false_call", "label": "Panggilan palsu/iseng", "ends_as": "cancelled"} in (
        choices["close_reasons"]
    )
    assert [a["code"] for a in choices["agencies"]] == ["police", "fire", "pmi", "bpbd"]
    assert choices["triage"][0] == {"code": "merah", "label": "Merah (segera)"}
    r = _post(c, f"incidents/{ref}/end", {"reason": "nonsense"})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = _post(c, f"incidents/{ref}/end", {"reason": "duplicate", "note": "sama dengan GD1"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = _post(c, f"incidents/{ref}/end", {"reason": "duplicate"})
    assert r.status_code == 409


def test_api_console_actions_refused_outside_area_and_role(users, call):
    inc = call()
    ref = str(inc.public_id)
    r = _post(
        _client(users["other_disp"]),
        f"incidents/{ref}/retriage",
        {"triage": "hijau", "reason": "x y"},
    )
    assert r.status_code == 404
    r = _post(_client(users["crew"]), f"incidents/{ref}/end", {"reason": "false_call"})
    assert r.status_code in (403, 404)
    assert Incident.objects.get(pk=inc.pk).status == "open"
