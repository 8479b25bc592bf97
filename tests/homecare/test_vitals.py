"""Issue 12 "Vital signs": implausible values are refused at their field and write nothing;
a danger sign asks the nurse to confirm before a referral or an emergency is raised (a
confirm step on the page, an explicit `confirm_danger` flag in the API)."""

import math

import pytest

from sigap.core.errors import InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import Escalation, Visit, VisitRecord

from .conftest import client_as
from .test_services import DAY, _active_plan


@pytest.fixture
def visit(actor, roster, puskesmas):
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    return Visit.objects.get(care_plan=plan)


@pytest.fixture
def no_hand_over(monkeypatch):
    """Record what would be handed over instead of calling referrals / PSC 119."""
    from sigap.emergency import services as emergency_services
    from sigap.referrals import services as referral_services

    handed = []

    def take(actor, escalation):
        handed.append(escalation.kind)
        return None  # not taken: the escalation stays open

    monkeypatch.setattr(referral_services, "create_from_homecare", take, raising=False)
    monkeypatch.setattr(emergency_services, "create_from_homecare", take, raising=False)
    return handed


def _counts():
    """Rows a write would add (the page's read audit is not a write)."""
    writes = AuditEvent.objects.exclude(action__endswith=".read")
    return (VisitRecord.objects.count(), Escalation.objects.count(), writes.count(),
            tuple(Visit.objects.order_by("pk").values_list("status", flat=True)))  # fmt: skip


def _data(**kw):
    return services.RecordInput(**({"outcome": "stable"} | kw))


@pytest.mark.parametrize(
    "values,field",
    [
        ({"systolic": 80, "diastolic": 120}, "diastolic"),  # the issue's 80/120
        ({"systolic": 120, "diastolic": 120}, "diastolic"),  # equal is not a pressure
        ({"systolic": 49, "diastolic": 30}, "systolic"),
        ({"systolic": 261, "diastolic": 100}, "systolic"),
        ({"systolic": 120, "diastolic": 29}, "diastolic"),
        ({"systolic": 200, "diastolic": 161}, "diastolic"),
        ({"systolic": 120}, "diastolic"),  # one value without the other
        ({"diastolic": 80}, "systolic"),
        ({"pulse": 24}, "pulse"),
        ({"pulse": 251}, "pulse"),
        ({"respiration": 4}, "respiration"),
        ({"respiration": 71}, "respiration"),
        ({"temperature": 29.9}, "temperature"),
        ({"temperature": 43.1}, "temperature"),
        ({"temperature": 98.6}, "temperature"),  # Fahrenheit typed into a Celsius field
        ({"temperature": math.nan}, "temperature"),
        ({"temperature": math.inf}, "temperature"),
        ({"spo2": 49}, "spo2"),
        ({"spo2": 101}, "spo2"),
        ({"spo2": 97.5}, "spo2"),
        ({"weight_kg": 0.4}, "weight_kg"),
        ({"weight_kg": 300.01}, "weight_kg"),
    ],
)
def test_implausible_vital_signs_are_refused_at_their_field(values, field):
    with pytest.raises(InvalidInput) as exc:
        services.check_vitals(_data(**values))
    assert exc.value.field == field


@pytest.mark.parametrize(
    "values",
    [
        {"systolic": 50, "diastolic": 30}, {"systolic": 260, "diastolic": 160},
        {"systolic": 80, "diastolic": 79}, {"pulse": 25}, {"pulse": 250},
        {"respiration": 5}, {"respiration": 70}, {"temperature": 30}, {"temperature": 43},
        {"spo2": 50}, {"spo2": 100}, {"weight_kg": 0.5}, {"weight_kg": 300}, {},
    ],
)  # fmt: skip
def test_values_at_the_plausible_bounds_are_accepted(values):
    services.check_vitals(_data(**values))


def test_the_issue_80_over_120_writes_nothing_and_raises_nothing(roster, visit, no_hand_over):
    before = _counts()
    nurse = Actor(roster["nurse"].user, "web")
    with pytest.raises(InvalidInput) as exc:
        services.record_visit(nurse, visit, _data(systolic=80, diastolic=120), confirm_danger=True)
    assert exc.value.field == "diastolic" and "80" in exc.value.message
    assert _counts() == before and no_hand_over == []


def test_danger_signs_wait_for_the_nurses_confirmation(roster, visit, no_hand_over):
    nurse = Actor(roster["nurse"].user, "web")
    data = _data(outcome="worse", systolic=185, diastolic=100)
    before = _counts()
    with pytest.raises(services.DangerUnconfirmed) as exc:
        services.record_visit(nurse, visit, data, confirm_danger=False)
    assert exc.value.status == 409 and exc.value.field == "confirm_danger"
    assert exc.value.signs == ["tekanan_darah"] and exc.value.kind == "referral"
    assert "Tekanan darah berbahaya" in exc.value.message
    assert _counts() == before and no_hand_over == []
    record = services.record_visit(nurse, visit, data, confirm_danger=True)
    assert record.danger_signs == ["tekanan_darah"] and no_hand_over == ["referral"]
    audit = AuditEvent.objects.get(action="visit.record")
    assert audit.after["danger_confirmed"] is True


def test_no_danger_sign_needs_no_confirmation(roster, visit, no_hand_over):
    nurse = Actor(roster["nurse"].user, "web")
    record = services.record_visit(
        nurse, visit, _data(systolic=120, diastolic=80, temperature=36.55), confirm_danger=False
    )
    assert record.escalations.count() == 0 and no_hand_over == []
    record.refresh_from_db()
    assert str(record.temperature) in ("36.6", "36.5")  # stored with one decimal


def test_api_refuses_implausible_values_and_asks_for_confirmation(roster, visit, no_hand_over):
    url = f"/api/v1/homecare/visits/{visit.public_id}/record"
    c = client_as(roster["nurse"].user)
    before = _counts()
    r = c.post(url, {"outcome": "stable", "systolic": 80, "diastolic": 120},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "diastolic"
    r = c.post(url, {"outcome": "stable", "systolic": 120, "diastolic": 80, "spo2": 88},
               content_type="application/json")  # fmt: skip
    body = r.json()
    assert r.status_code == 409 and body["code"] == "danger_unconfirmed"
    assert body["field"] == "confirm_danger" and "Saturasi oksigen rendah" in body["message"]
    assert _counts() == before and no_hand_over == []
    r = c.post(url, {"outcome": "worse", "systolic": 120, "diastolic": 80, "spo2": 88,
                     "confirm_danger": True}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    assert r.json()["escalated"] is True and no_hand_over == ["emergency"]
    assert r.json()["escalations"][0]["kind"] == "emergency"
    # the same confirmed request again: the visit is done, nothing new
    r = c.post(url, {"outcome": "worse", "spo2": 88, "confirm_danger": True},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and Escalation.objects.count() == 1


def test_page_refuses_at_the_field_and_keeps_the_input(roster, visit, no_hand_over):
    c = client_as(roster["nurse"].user)
    url = f"/perawatan-rumah/kunjungan/{visit.public_id}/"
    before = _counts()
    r = c.post(url, {"action": "record", "outcome": "stable", "systolic": "80",
                     "diastolic": "120", "notes": "Pusing"})  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 422 and 'id="error-diastolic"' in page
    assert 'name="systolic" inputmode="numeric" value="80"' in page and "Pusing" in page
    r = c.post(url, {"action": "record", "outcome": "stable", "pulse": "abc"})
    assert r.status_code == 422 and 'id="error-pulse"' in r.content.decode()
    assert _counts() == before


def test_page_confirm_step_before_escalating(roster, visit, no_hand_over):
    c = client_as(roster["nurse"].user)
    url = f"/perawatan-rumah/kunjungan/{visit.public_id}/"
    form = {"action": "record", "outcome": "worse", "systolic": "185", "diastolic": "100"}
    before = _counts()
    r = c.post(url, form)
    page = r.content.decode()
    assert r.status_code == 200 and 'id="danger-confirm"' in page
    assert "Tekanan darah berbahaya" in page and "rujukan dikirim ke rumah sakit" in page
    assert 'name="confirmed_signs" value="tekanan_darah"' in page
    assert _counts() == before and no_hand_over == []
    # confirming signs other than the ones shown (a sign ticked meanwhile) asks again
    r = c.post(url, form | {"danger_signs": "kejang", "confirm_danger": "1",
                            "confirmed_signs": "tekanan_darah"})  # fmt: skip
    assert 'id="danger-confirm"' in r.content.decode() and "Kejang" in r.content.decode()
    assert _counts() == before
    r = c.post(url, form | {"confirm_danger": "1", "confirmed_signs": "tekanan_darah"})
    assert r.status_code == 302
    record = VisitRecord.objects.get(visit=visit)
    assert record.danger_signs == ["tekanan_darah"] and no_hand_over == ["referral"]
