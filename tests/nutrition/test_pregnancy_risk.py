"""High-risk pregnancy by the KSPR risk factors the ANC register records: first-visit values
(age from the NIK, parity, last birth, height, LiLA, Hb, blood pressure) and the checklist.
Any one factor is high-risk and becomes a home-care request; the reasons are on the page."""

import importlib
import json
from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from sigap.core.errors import InvalidInput
from sigap.nutrition import services
from sigap.nutrition.models import Pregnancy
from sigap.nutrition.services import handoff

pytestmark = pytest.mark.django_db
LMP = date(2026, 3, 1)
NIK_31 = "3374015501950002"  # woman born 1995-01-15: 31 at the LMP
NIK_18 = "3374015003080001"  # born 2008-03-10: 17 at the LMP
NIK_35 = "3374016002910002"  # born 1991-02-20: 35 at the LMP


def data(**kw) -> services.PregnancyInput:
    base = {
        "mother_nik": NIK_31,
        "mother_name": "Ibu Uji",
        "kelurahan_code": "3374011001",
        "risk_factors": [],
        "last_period": LMP,
        "gravida": 2,
        "parity": 1,
        "last_birth_date": date(2022, 5, 1),
        "height_cm": 156.0,
        "muac_cm": 26.0,
        "hb_g_dl": 12.5,
        "systolic_mmhg": 115,
        "diastolic_mmhg": 75,
    }
    return services.PregnancyInput(**{**base, **kw})


@pytest.fixture
def no_homecare(monkeypatch):
    monkeypatch.setattr(handoff, "homecare_api", lambda: None)


@pytest.mark.parametrize(
    ("change", "factor", "shown"),
    [
        ({"mother_nik": NIK_18}, "age_under_20", "17 tahun"),
        ({"mother_nik": NIK_35}, "age_over_35", "35 tahun"),
        ({"gravida": 5, "parity": 4}, "parity_4plus", "4 persalinan"),
        ({"last_birth_date": date(2024, 3, 2)}, "short_interval", "02-03-2024"),
        ({"last_birth_date": date(2016, 2, 28)}, "long_interval", "28-02-2016"),
        ({"height_cm": 145.0}, "short_stature", "145 cm"),
        ({"muac_cm": 23.4}, "kek", "LiLA 23,4 cm"),
        ({"hb_g_dl": 10.9}, "anaemia", "Hb 10,9 g/dL"),
        ({"systolic_mmhg": 140, "diastolic_mmhg": 85}, "hypertension", "140/85 mmHg"),
        ({"systolic_mmhg": 130, "diastolic_mmhg": 90}, "hypertension", "130/90 mmHg"),
    ],
)
def test_each_recorded_value_gives_its_factor(staff_actor, no_homecare, change, factor, shown):
    p = services.register_pregnancy(staff_actor, data(**change))
    assert p.risk_factors == [factor] and p.high_risk
    assert p.homecare_status == "pending_handoff"
    (reason,) = services.risk_reasons(p)
    assert reason.startswith(str(services.RISK_FACTORS[factor])) and reason.endswith(shown)


@pytest.mark.parametrize(
    "change",
    [
        {"height_cm": 145.1},
        {"muac_cm": 23.5},
        {"hb_g_dl": 11.0},
        {"systolic_mmhg": 139, "diastolic_mmhg": 89},
        {"last_birth_date": date(2024, 3, 1)},  # exactly two years
        {"last_birth_date": date(2016, 3, 1)},  # exactly ten years
        {"gravida": 4, "parity": 3},
    ],
)
def test_just_inside_the_limits_is_not_a_factor(staff_actor, no_homecare, change):
    p = services.register_pregnancy(staff_actor, data(**change))
    assert p.risk_factors == [] and not p.high_risk and p.homecare_status == ""


def test_checklist_items_and_contradictions(staff_actor, no_homecare):
    p = services.register_pregnancy(staff_actor, data(risk_factors=["previous_caesarean"]))
    assert p.high_risk and p.risk_factors == ["previous_caesarean"]
    assert services.risk_reasons(p) == ["riwayat operasi sesar"]
    # several: each listed, measured ones with their value
    p = services.register_pregnancy(
        staff_actor, data(risk_factors=["twins", "malpresentation"], hb_g_dl=9.8)
    )
    assert p.risk_factors == ["anaemia", "malpresentation", "twins"]
    assert services.risk_reasons(p)[0] == "anemia (Hb < 11 g/dL): Hb 9,8 g/dL"
    # a known hypertension without a reading today is kept as ticked
    p = services.register_pregnancy(
        staff_actor,
        data(risk_factors=["hypertension"], systolic_mmhg=None, diastolic_mmhg=None),
    )
    assert p.risk_factors == ["hypertension"] and p.high_risk
    before = Pregnancy.objects.count()
    for change, field in [
        ({"risk_factors": ["anaemia"]}, "risk_factors"),  # Hb 12.5 says otherwise
        ({"risk_factors": ["age_over_35"]}, "risk_factors"),  # the NIK says 31
        ({"risk_factors": ["unknown"]}, "risk_factors"),
        ({"gravida": 2, "parity": 2}, "parity"),
        ({"parity": 0}, "parity"),  # a last birth with no births
        ({"diastolic_mmhg": 120}, "diastolic_mmhg"),
        ({"diastolic_mmhg": None}, "diastolic_mmhg"),
        ({"hb_g_dl": 40.0}, "hb_g_dl"),
        ({"last_period": date(2035, 1, 1)}, "last_period"),
    ]:
        with pytest.raises(InvalidInput) as e:
            services.register_pregnancy(staff_actor, data(**change))
        assert e.value.field == field, change
    assert Pregnancy.objects.count() == before


def test_high_risk_becomes_a_homecare_request(staff_actor):
    if services.homecare_api() is None:
        pytest.skip("home care capability not present")
    from sigap.homecare.models import HomecareRequest

    p = services.register_pregnancy(
        staff_actor,
        data(muac_cm=22.0, phone="0812-3456-7890", address="Jl. Uji 2"),
    )
    assert p.homecare_status == "requested", p.homecare_note
    req = HomecareRequest.objects.get(source="maternal", source_ref=str(p.public_id))
    assert str(req.public_id) == p.homecare_ref
    assert "LiLA 22 cm" in req.need


def test_api_and_pages_show_the_reasons(staff, analyst, no_homecare):
    c = Client()
    c.force_login(staff)
    body = {"mother_nik": NIK_31, "mother_name": "Ibu Api", "kelurahan_code": "3374011001",
            "last_period": "2026-03-01", "gravida": 3, "parity": 2, "hb_g_dl": 10.2,
            "systolic_mmhg": 150, "diastolic_mmhg": 95,
            "risk_factors": ["previous_loss"]}  # fmt: skip
    r = c.post("/api/v1/nutrition/pregnancies", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["high_risk"] and out["risk_factors"] == ["anaemia", "hypertension", "previous_loss"]
    assert out["reasons"][1] == "hipertensi (tekanan darah ≥ 140/90 mmHg): 150/95 mmHg"
    bad = c.post("/api/v1/nutrition/pregnancies", json.dumps({**body, "parity": 3}),
                 content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "parity"
    # the register page: values and checklist in, reasons out
    form = {"mother_nik": "3374015003080001", "mother_name": "Ibu Muda",
            "kelurahan_code": "3374011001", "last_period": "2026-03-01", "gravida": "1",
            "parity": "0", "height_cm": "150", "muac_cm": "22,5", "hb_g_dl": "11,5",
            "systolic_mmhg": "110", "diastolic_mmhg": "70", "risk": ["bleeding"]}  # fmt: skip
    page = c.post("/kia/ibu-hamil/baru/", form, follow=True)
    text = page.content.decode()
    assert page.status_code == 200 and 'id="pregnancy-reasons"' in text
    assert "usia ibu &lt; 20 tahun: 17 tahun" in text and "LiLA 22,5 cm" in text
    assert "perdarahan dalam kehamilan ini" in text
    wrong = c.post("/kia/ibu-hamil/baru/", {**form, "diastolic_mmhg": "130"})
    assert wrong.status_code == 422 and 'id="form-error"' in wrong.content.decode()
    a = Client()
    a.force_login(analyst)
    assert a.get("/kia/ibu-hamil/baru/").status_code == 403
    mch = a.get("/kia/?tahun=2026").content.decode()
    assert "Hb 10,2 g/dL" in mch and "usia ibu &lt; 20 tahun: 17 tahun" in mch


def test_migration_rejudges_existing_pregnancies(staff_actor, no_homecare):
    p = services.register_pregnancy(staff_actor, data(muac_cm=22.0))
    ended = services.register_pregnancy(staff_actor, data(hb_g_dl=10.0))
    none = services.register_pregnancy(staff_actor, data())
    # as the old rule left them: one factor alone (KEK, anaemia) was not high-risk
    Pregnancy.objects.update(high_risk=False, homecare_status="", homecare_note="")
    Pregnancy.objects.filter(pk=ended.pk).update(ended_on=date(2026, 4, 1))
    migration = importlib.import_module("sigap.nutrition.migrations.0007_rejudge_pregnancies")
    migration.rejudge(apps, None)
    p.refresh_from_db()
    ended.refresh_from_db()
    none.refresh_from_db()
    assert p.high_risk and p.homecare_status == "pending_handoff"
    assert ended.high_risk and ended.homecare_status == ""
    assert not none.high_risk and none.homecare_status == ""
