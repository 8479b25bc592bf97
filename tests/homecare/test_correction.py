"""Issue 12: the author corrects a visit record (audited, before/after, within the window)
and withdraws an escalation raised in error, with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import CarePlan, Escalation, VisitRecord

from .conftest import client_as
from .test_vitals import _data, no_hand_over, visit  # noqa: F401 - fixtures


@pytest.fixture
def nurse(roster):
    return Actor(roster["nurse"].user, "web")


@pytest.fixture
def record(nurse, visit, no_hand_over):  # noqa: F811
    """The issue's record, as it would be typed with the pressures swapped but plausible:
    85/60 flagged as dangerous (systolic below 90), escalation open (nobody took it)."""
    return services.record_visit(
        nurse, visit, _data(systolic=85, diastolic=60, pulse=80), confirm_danger=True
    )


def test_author_corrects_a_typo_with_before_and_after(nurse, record):
    corrected = services.correct_visit_record(
        nurse, record, _data(systolic=125, diastolic=80, pulse=80), "salah ketik sistolik"
    )
    corrected.refresh_from_db()
    assert (corrected.systolic, corrected.diastolic, corrected.danger_signs) == (125, 80, [])
    audit = AuditEvent.objects.get(action="visit.correct")
    assert audit.before == {"systolic": 85, "diastolic": 60, "danger_signs": ["tekanan_darah"]}
    assert audit.after == {
        "systolic": 125, "diastolic": 80, "danger_signs": [], "reason": "salah ketik sistolik"
    }  # fmt: skip
    assert audit.actor == nurse.user
    # the escalation is not withdrawn silently: it is listed for withdrawal
    assert [e.pk for e in services.stale_escalations(corrected)] == [Escalation.objects.get().pk]
    # the same correction again changes nothing and writes no second audit record
    services.correct_visit_record(
        nurse, corrected, _data(systolic=125, diastolic=80, pulse=80), "salah ketik sistolik"
    )
    assert AuditEvent.objects.filter(action="visit.correct").count() == 1


def test_only_the_author_within_the_window_with_a_reason(nurse, record, staff):
    ok = _data(systolic=125, diastolic=80)
    with pytest.raises(Forbidden):
        services.correct_visit_record(Actor(staff, "web"), record, ok, "bukan saya")
    with pytest.raises(InvalidInput) as exc:
        services.correct_visit_record(nurse, record, ok, "  ")
    assert exc.value.field == "reason"
    with pytest.raises(InvalidInput) as exc:
        services.correct_visit_record(nurse, record, _data(systolic=80, diastolic=120), "x")
    assert exc.value.field == "diastolic"
    deadline = services.correction_deadline(record)
    assert deadline == record.created_at + timedelta(hours=24)
    with pytest.raises(Conflict):
        services.correct_visit_record(
            nurse, record, ok, "terlambat", now=deadline + timedelta(seconds=1)
        )
    assert VisitRecord.objects.get(pk=record.pk).systolic == 85  # nothing changed
    assert not AuditEvent.objects.filter(action="visit.correct").exists()
    services.correct_visit_record(nurse, record, ok, "tepat waktu", now=deadline)  # boundary
    assert VisitRecord.objects.get(pk=record.pk).systolic == 125


def test_window_is_a_setting(nurse, record, settings):
    settings.SIGAP_HOMECARE_CORRECTION_HOURS = 2
    late = record.created_at + timedelta(hours=2, seconds=1)
    assert not services.can_correct(nurse, record, late)
    assert services.can_correct(nurse, record, record.created_at + timedelta(hours=2))


def test_new_danger_in_a_correction_needs_confirmation_and_escalates_only_the_new(
    nurse,
    record,
    no_hand_over,  # noqa: F811
):
    data = _data(outcome="worse", systolic=85, diastolic=60, pulse=80, danger_signs=["kejang"])
    with pytest.raises(services.DangerUnconfirmed) as exc:
        services.correct_visit_record(nurse, record, data, "lupa centang kejang")
    assert exc.value.signs == ["kejang"] and exc.value.kind == "emergency"
    assert Escalation.objects.count() == 1 and VisitRecord.objects.get().outcome == "stable"
    services.correct_visit_record(nurse, record, data, "lupa centang kejang", confirm_danger=True)
    new = Escalation.objects.order_by("pk").last()
    assert (new.kind, new.reasons) == ("emergency", ["kejang"])
    assert no_hand_over == ["referral", "emergency"]


def test_death_is_not_corrected_here_and_next_visit_moves_the_plan(nurse, record, visit):  # noqa: F811
    with pytest.raises(Conflict):
        services.correct_visit_record(nurse, record, _data(outcome="died"), "x")
    later = visit.date + timedelta(days=3)
    services.correct_visit_record(
        nurse, record, _data(systolic=85, diastolic=60, pulse=80, next_visit=later), "kontrol"
    )
    assert CarePlan.objects.get(pk=visit.care_plan_id).next_due == later


def test_withdraw_an_open_escalation_with_a_reason(nurse, record, staff):
    esc = Escalation.objects.get()
    with pytest.raises(Forbidden):
        services.withdraw_escalation(Actor(staff, "web"), esc, "bukan pencatat")
    with pytest.raises(InvalidInput):
        services.withdraw_escalation(nurse, esc, "")
    assert Escalation.objects.get().status == "open"
    services.withdraw_escalation(nurse, esc, "tekanan darah salah ketik")
    esc.refresh_from_db()
    assert (esc.status, esc.status_reason) == ("withdrawn", "tekanan darah salah ketik")
    audit = AuditEvent.objects.get(action="escalation.withdrawn")
    assert audit.before == {"status": "open"} and audit.after["reason"] == esc.status_reason
    with pytest.raises(Conflict):  # twice: one withdrawal
        services.withdraw_escalation(nurse, esc, "lagi")
    assert AuditEvent.objects.filter(action="escalation.withdrawn").count() == 1
    # the Puskesmas inbox no longer lists it
    inbox = client_as(staff).get("/perawatan-rumah/puskesmas/").content.decode()
    assert str(esc.public_id) not in inbox


def test_api_correction_and_withdrawal(roster, record, visit, staff):  # noqa: F811
    c = client_as(roster["nurse"].user)
    url = f"/api/v1/homecare/visits/{visit.public_id}/record/correction"
    r = c.post(url, {"outcome": "stable", "systolic": 80, "diastolic": 120, "reason": "x"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "diastolic"
    r = c.post(url, {"outcome": "stable", "systolic": 125, "diastolic": 80, "pulse": 80,
                     "reason": "salah ketik"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["danger_signs"] == []
    r = client_as(staff).post(url, {"outcome": "stable", "reason": "bukan saya"},
                              content_type="application/json")  # fmt: skip
    assert r.status_code == 403
    esc = Escalation.objects.get()
    wurl = f"/api/v1/homecare/escalations/{esc.public_id}/withdraw"
    assert client_as(staff).post(wurl, {"reason": "x"}, content_type="application/json"
                                 ).status_code == 404  # fmt: skip
    r = c.post(wurl, {"reason": "salah ketik"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = c.post(wurl, {"reason": "salah ketik"}, content_type="application/json")
    assert r.status_code == 409
    got = c.get(f"/api/v1/homecare/visits/{visit.public_id}/record")
    assert got.status_code == 200 and got.json()["escalated"] is False
    assert AuditEvent.objects.filter(action="visitrecord.read", actor=roster["nurse"].user)


def test_pages_correct_and_withdraw(roster, record, visit, staff):  # noqa: F811
    c = client_as(roster["nurse"].user)
    url = f"/perawatan-rumah/kunjungan/{visit.public_id}/"
    page = c.get(url).content.decode()
    assert 'id="btn-correct"' in page and "withdraw-form" in page
    page = c.get(url + "?koreksi=1").content.decode()
    assert 'value="correct"' in page and 'name="systolic" inputmode="numeric" value="85"' in page
    r = c.post(url, {"action": "correct", "outcome": "stable", "systolic": "125",
                     "diastolic": "80", "pulse": "80", "reason": ""})  # fmt: skip
    assert r.status_code == 422 and 'id="error-reason"' in r.content.decode()
    r = c.post(url, {"action": "correct", "outcome": "stable", "systolic": "125",
                     "diastolic": "80", "pulse": "80", "reason": "salah ketik"})  # fmt: skip
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert 'id="stale-escalation"' in page and "Tekanan darah berbahaya" in page
    # another staff member sees no correction or withdrawal controls
    other = client_as(staff).get(url).content.decode()
    assert 'id="btn-correct"' not in other and "withdraw-form" not in other
    esc = Escalation.objects.get()
    r = c.post(url, {"action": "withdraw", "escalation": str(esc.public_id), "reason": "salah"})
    assert r.status_code == 302 and Escalation.objects.get().status == "withdrawn"
    r = c.post(url, {"action": "withdraw", "escalation": "bukan-uuid", "reason": "salah"})
    assert r.status_code == 302  # refused with a message, no 500


def test_correction_window_closed_hides_the_form(roster, record, visit):  # noqa: F811
    VisitRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(hours=25))
    c = client_as(roster["nurse"].user)
    url = f"/perawatan-rumah/kunjungan/{visit.public_id}/"
    assert 'id="btn-correct"' not in c.get(url).content.decode()
    r = c.post(url, {"action": "correct", "outcome": "stable", "reason": "terlambat"})
    assert r.status_code == 409 and VisitRecord.objects.get().systolic == 85


def _emergency(nurse, visit):  # noqa: F811
    services.record_visit(
        nurse, visit, _data(outcome="worse", danger_signs=["kejang"]), confirm_danger=True
    )
    esc = Escalation.objects.get()
    assert esc.status == "handed_over", esc.handed_to
    from sigap.emergency.models import Incident

    return esc, Incident.objects.get(public_id=esc.handed_to_id)


def test_author_withdraws_an_open_psc_incident(nurse, visit, staff):  # noqa: F811
    esc, incident = _emergency(nurse, visit)
    with pytest.raises(Forbidden):
        services.withdraw_escalation(Actor(staff, "web"), esc, "bukan saya")
    services.withdraw_escalation(nurse, esc, "kejang salah centang")
    incident.refresh_from_db()
    assert incident.status == "cancelled" and "kejang salah centang" in incident.close_reason
    assert Escalation.objects.get().status == "withdrawn"
    assert AuditEvent.objects.filter(action="emergency.incident.cancelled", actor=nurse.user)


def test_a_dispatched_incident_is_left_to_the_dispatcher(nurse, visit):  # noqa: F811
    esc, incident = _emergency(nurse, visit)
    type(incident).objects.filter(pk=incident.pk).update(status="dispatched")
    with pytest.raises(Conflict) as exc:
        services.withdraw_escalation(nurse, esc, "salah")
    assert incident.number in exc.value.message
    assert Escalation.objects.get().status == "handed_over"
    assert type(incident).objects.get().status == "dispatched"


def test_page_correction_adding_a_sign_confirms_and_escalates_it(roster, record, visit):  # noqa: F811
    c = client_as(roster["nurse"].user)
    url = f"/perawatan-rumah/kunjungan/{visit.public_id}/"
    form = {"action": "correct", "outcome": "worse", "systolic": "85", "diastolic": "60",
            "pulse": "80", "danger_signs": "kejang", "reason": "lupa centang"}  # fmt: skip
    page = c.post(url, form).content.decode()
    assert 'id="danger-confirm"' in page and "Kejang" in page
    assert 'name="confirmed_signs" value="kejang,tekanan_darah"' in page
    assert Escalation.objects.count() == 1
    r = c.post(url, form | {"confirm_danger": "1", "confirmed_signs": "kejang,tekanan_darah"})
    assert r.status_code == 302
    assert sorted(Escalation.objects.values_list("kind", flat=True)) == ["emergency", "referral"]
    assert VisitRecord.objects.get().danger_signs == ["kejang", "tekanan_darah"]
