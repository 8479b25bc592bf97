"""Every nutrition/KIA page form and write endpoint writes everything or nothing (issue 12):
invalid input answers 4xx and leaves every table as it was - no child, no measurement, no
case, no pregnancy, no audit record. The demo's symptom: a new child entered on /gizi/ukur/
with an implausible weight was refused, yet created, once per retry."""

import json
from datetime import date

import pytest

from sigap.core.errors import InvalidInput
from sigap.core.models import AuditEvent
from sigap.nutrition import services
from sigap.nutrition.models import Child, Measurement, NutritionCase

from .conftest import client_for, counts

pytestmark = pytest.mark.django_db


NEW_CHILD = {
    "measured_on": "2026-01-10",
    "nik": "3374010101240001",
    "name": "Anak Uji",
    "sex": "L",
    "birth_date": "2024-01-10",
    "weight": "11,5",
    "length": "85",
    "position": "L",
}


@pytest.mark.parametrize(
    "bad",
    [
        {"weight": "95"},  # implausible weight
        {"length": "20"},  # implausible length
        {"weight": "inf"},
        {"length": "nan"},
        {"muac": "99"},
        {"measured_on": "2099-01-01"},  # in the future
        {"measured_on": "2023-01-01"},  # before birth
        {"measured_on": "bukan-tanggal"},
        {"weight": "", "length": ""},  # nothing measured
        {"position": "X"},
    ],
)
def test_a_refused_entry_creates_no_child(staff, facilities, bad):
    c = client_for(staff)
    form = {**NEW_CHILD, "posyandu": str(facilities["pos1"].public_id), **bad}
    before = counts()
    for _attempt in range(3):  # every retry is refused the same way and writes nothing
        r = c.post("/gizi/ukur/", form)
        assert r.status_code == 422, r.content[:300]
        assert counts() == before
    assert not Child.objects.filter(name="Anak Uji").exists()
    # the form keeps what was typed
    assert 'value="Anak Uji"' in r.content.decode()


def test_a_refused_entry_for_a_new_child_without_nik_creates_nothing(staff, facilities):
    c = client_for(staff)
    before = counts()
    form = {**NEW_CHILD, "nik": "", "weight": "60", "posyandu": str(facilities["pos1"].public_id)}
    assert c.post("/gizi/ukur/", form).status_code == 422
    assert counts() == before


def test_the_accepted_entry_then_writes_child_measurement_and_audit_once(staff, facilities):
    c = client_for(staff)
    form = {**NEW_CHILD, "posyandu": str(facilities["pos1"].public_id)}
    assert c.post("/gizi/ukur/", {**form, "weight": "95"}).status_code == 422
    assert c.post("/gizi/ukur/", form).status_code == 302
    assert Child.objects.count() == 1 and Measurement.objects.count() == 1
    assert AuditEvent.objects.filter(action="child.create").count() == 1
    assert AuditEvent.objects.filter(action="measurement.create").count() == 1


def test_register_and_measure_refuses_before_writing(staff_actor, facilities):
    before = counts()
    child = services.ChildInput(
        name="Anak Uji", sex="L", birth_date=date(2024, 1, 10), kelurahan_code="3374011001",
        posyandu=facilities["pos1"],
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        services.register_and_measure(
            staff_actor, child, services.MeasurementInput(date(2026, 1, 10), 95.0, 85.0, "L")
        )
    assert counts() == before


def test_pregnancy_form_refuses_non_numbers_with_4xx(staff, facilities):
    c = client_for(staff)
    form = {
        "mother_nik": "3374015501950002",
        "mother_name": "Ibu Uji",
        "kelurahan_code": "3374011001",
        "last_period": "2026-06-01",
        "gravida": "2",
        "parity": "1",
    }
    before = counts()
    for field, value in [
        ("gravida", "inf"),
        ("gravida", "-inf"),
        ("gravida", "nan"),
        ("gravida", "1e400"),
        ("parity", "inf"),
        ("systolic_mmhg", "inf"),
        ("hb_g_dl", "nan"),
        ("gravida", "2.5"),
        ("gravida", "99"),
    ]:
        r = c.post("/kia/ibu-hamil/baru/", {**form, field: value})
        assert r.status_code == 422, (field, value, r.status_code)
        assert counts() == before
    assert c.post("/kia/ibu-hamil/baru/", form).status_code == 302


def _json(c, method, url, body=None):
    return getattr(c, method)(url, json.dumps(body or {}), content_type="application/json")


def test_every_nutrition_write_endpoint_refuses_without_writing(staff, make_child, staff_actor):
    child = make_child()
    severe = services.record_measurement(
        staff_actor, child, services.MeasurementInput(date(2026, 1, 10), 8.0, 85.0, "L")
    )
    case = NutritionCase.objects.get()
    c = client_for(staff)
    api = "/api/v1/nutrition"
    cases = [
        ("post", f"{api}/children", {"name": "X", "sex": "L", "birth_date": "2099-01-01",
                                     "kelurahan_code": "3374011001"}),
        ("post", f"{api}/children", {"name": "X", "sex": "L", "birth_date": "2024-01-01",
                                     "kelurahan_code": "3374011001", "birth_weight_kg": 50}),
        ("post", f"{api}/children", {"name": "X", "sex": "L", "birth_date": "2024-01-01",
                                     "kelurahan_code": "3374011001", "nik": "123"}),
        ("post", f"{api}/children/{child.public_id}/measurements",
         {"measured_on": "2026-02-01", "weight_kg": 95}),
        ("post", f"{api}/children/{child.public_id}/measurements",
         {"measured_on": "2026-02-01", "weight_kg": 1e308}),
        ("put", f"{api}/measurements/{severe.public_id}",
         {"measured_on": "2026-01-10", "weight_kg": 95}),
        ("post", f"{api}/cases/{case.public_id}/status", {"to": "recovered"}),
        ("post", f"{api}/cases/{case.public_id}/status", {"to": "closed", "reason": ""}),
        ("post", f"{api}/pregnancies", {"mother_nik": "3374015501950002", "mother_name": "I",
                                        "kelurahan_code": "3374011001", "gravida": 2,
                                        "parity": 5}),
        ("post", f"{api}/pregnancies", {"mother_nik": "3374015501950002", "mother_name": "I",
                                        "kelurahan_code": "3374011001",
                                        "systolic_mmhg": 80, "diastolic_mmhg": 120}),
        ("post", f"{api}/births", {"born_on": "2099-01-01", "outcome": "live",
                                   "kelurahan_code": "3374011001"}),
        ("post", f"{api}/deaths", {"kind": "infant", "died_on": "2026-01-01",
                                   "kelurahan_code": "3374011001"}),
        ("post", f"{api}/deaths", {"kind": "maternal", "died_on": "2026-01-01",
                                   "kelurahan_code": "3374011001", "timing": "postpartum",
                                   "cause_icd10": "ZZZ.9"}),
    ]  # fmt: skip
    before = counts()
    for method, url, body in cases:
        for _attempt in range(2):
            r = _json(c, method, url, body)
            assert 400 <= r.status_code < 500, (url, body, r.status_code, r.content[:200])
            assert set(r.json()) >= {"code", "message"} or "detail" in r.json()
            assert counts() == before, (url, body)
    r = c.delete(f"{api}/measurements/{severe.public_id}")  # no reason
    assert r.status_code == 422 and counts() == before
