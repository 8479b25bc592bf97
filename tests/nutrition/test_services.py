"""Nutrition services: children, measurements (z-scores at write time, monthly counts,
faltering), severe cases and actions, pregnancies, births, deaths and reviews."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.nutrition import classification as cls
from sigap.nutrition import selectors, services
from sigap.nutrition import zscores as zs
from sigap.nutrition.models import (
    CaseAction,
    DeathReview,
    GrowthMonthly,
    Measurement,
    NutritionCase,
)
from sigap.nutrition.services import handoff

pytestmark = pytest.mark.django_db
M = services.MeasurementInput


def test_register_child_validates_and_scopes(make_child, other_staff, facilities):
    child = make_child(nik="3374015001240001", mother_nik="3374015501950002")
    assert child.nik == "3374015001240001" and child.kelurahan_id == "3374011001"
    assert AuditEvent.objects.filter(action="child.create").count() == 1
    with pytest.raises(InvalidInput) as e:
        make_child(nik="123")
    assert e.value.field == "nik"
    with pytest.raises(InvalidInput) as e:
        make_child(sex="X")
    assert e.value.field == "sex"
    # staff of another Puskesmas cannot register a child in Miroto
    with pytest.raises(Forbidden):
        make_child(actor=Actor(user=other_staff, channel="test"))
    # same NIK again updates the child instead of duplicating it
    again = make_child(name="Nama Baru", nik="3374015001240001")
    assert again.pk == child.pk and again.name == "Nama Baru"


def test_measurement_stores_zscores_classes_and_monthly_counts(make_child, staff_actor):
    child = make_child(sex="L", birth_date=date(2024, 1, 10))
    m = services.record_measurement(staff_actor, child, M(date(2026, 1, 10), 11.5, 85.0, "L"))
    expected = zs.compute_one(zs.BOY, m.age_days, 11.5, 85.0, zs.LYING)
    assert m.age_days == 731
    assert m.haz == pytest.approx(expected["haz"], abs=1e-4)
    assert m.whz == pytest.approx(expected["whz"], abs=1e-4)
    assert m.haz_class == cls.classify_haz([expected["haz"]])[0]
    assert m.month == date(2026, 1, 1) and m.kelurahan_code == "3374011001"
    cell = GrowthMonthly.objects.get(month=date(2026, 1, 1))
    assert cell.measured == 1 and cell.haz_n == 1 and cell.posyandu_id == child.posyandu_id
    # the same day again replaces the measurement
    services.record_measurement(staff_actor, child, M(date(2026, 1, 10), 9.0, 80.0, "L"))
    assert Measurement.objects.filter(child=child).count() == 1
    cell = GrowthMonthly.objects.get(month=date(2026, 1, 1))
    assert cell.measured == 1 and cell.stunted == 1  # 80 cm lying -> 79.3 at 731 days


def test_bad_measurements_write_nothing(make_child, staff_actor):
    child = make_child(birth_date=date(2024, 1, 10))
    for data, field in [
        (M(date(2023, 12, 1), 5.0, 60.0, "L"), "measured_on"),
        (M(date(2026, 1, 10), None, None, "L"), "weight_kg"),
        (M(date(2026, 1, 10), 99.0, 80.0, "L"), "weight_kg"),
        (M(date(2026, 1, 10), 10.0, 80.0, "X"), "position"),
        (M(date(2035, 1, 1), 10.0, 80.0, "L"), "measured_on"),
    ]:
        with pytest.raises(InvalidInput) as e:
            services.record_measurement(staff_actor, child, data)
        assert e.value.field == field
    assert not Measurement.objects.exists() and not GrowthMonthly.objects.exists()


def test_faltering_when_weight_does_not_go_up(make_child, staff_actor):
    child = make_child(birth_date=date(2025, 1, 1))
    services.record_measurement(staff_actor, child, M(date(2025, 6, 1), 7.0, 65.0, "L"))
    second = services.record_measurement(staff_actor, child, M(date(2025, 7, 1), 7.0, 66.0, "L"))
    assert second.weight_gain_g == 0 and second.faltering
    third = services.record_measurement(staff_actor, child, M(date(2025, 8, 1), 7.4, 67.0, "L"))
    assert third.weight_gain_g == 400 and not third.faltering
    # a late entry between two visits recomputes the next one
    services.record_measurement(staff_actor, child, M(date(2025, 7, 20), 7.6, 66.5, "L"))
    third.refresh_from_db()
    assert third.weight_gain_g == -200 and third.faltering
    assert GrowthMonthly.objects.get(month=date(2025, 8, 1)).faltering == 1


def test_severe_wasting_opens_one_case(make_child, staff_actor):
    child = make_child(birth_date=date(2025, 1, 1))
    services.record_measurement(staff_actor, child, M(date(2025, 10, 1), 6.0, 72.0, "L"))
    case = NutritionCase.objects.get(child=child)
    assert case.kind == "severe_wasting" and case.status == "open"
    services.record_measurement(staff_actor, child, M(date(2025, 11, 1), 6.1, 73.0, "L"))
    assert NutritionCase.objects.filter(child=child).count() == 1
    # oedema also opens a case (another child)
    other = make_child(birth_date=date(2025, 1, 1))
    m = services.record_measurement(
        staff_actor, other, M(date(2025, 10, 1), 9.0, 72.0, "L", oedema=True)
    )
    assert m.whz is None and m.whz_class == cls.WHZ_SEVERE
    assert NutritionCase.objects.filter(child=other).exists()


def severe_case(make_child, staff_actor):
    child = make_child(birth_date=date(2025, 1, 1), nik="3374010101250001")
    services.record_measurement(staff_actor, child, M(date(2025, 10, 1), 6.0, 72.0, "L"))
    return NutritionCase.objects.get(child=child)


def test_case_actions_and_state_machine(make_child, staff_actor, staff, monkeypatch):
    monkeypatch.setattr(handoff, "homecare_api", lambda: None)
    case = severe_case(make_child, staff_actor)
    action = services.add_action(staff_actor, case, "homecare", note="kunjungan rumah")
    assert action.status == CaseAction.Status.PENDING_HANDOFF and action.owner == staff
    case.refresh_from_db()
    assert case.status == "acting" and case.owner == staff
    food = services.add_action(staff_actor, case, "food", note="PMT 90 hari")
    assert food.status == CaseAction.Status.REQUESTED
    services.move_action(staff_actor, food, CaseAction.Status.DONE)
    # an illegal move is a Conflict (409) in every app (core.workflow)
    with pytest.raises(Conflict):
        services.move_action(staff_actor, food, CaseAction.Status.REQUESTED)
    with pytest.raises(Conflict):
        services.move_case(staff_actor, case, "open")
    with pytest.raises(InvalidInput):  # closing needs a reason
        services.move_case(staff_actor, case, "closed")
    with pytest.raises(Conflict):
        services.move_case(staff_actor, case, "recovered", expected="open")
    services.move_case(staff_actor, case, "recovered", reason="BB/TB normal")
    with pytest.raises(InvalidInput):
        services.add_action(staff_actor, case, "food")
    assert AuditEvent.objects.filter(action="case.status").count() == 2


def fake_homecare(calls: list, ref: str = "hc-1"):
    """A stand-in with home care's signature: create_request(actor, RequestInput, *, source,
    source_ref)."""

    def create_request(actor, data, *, source, source_ref):
        calls.append((data, source, source_ref))
        return SimpleNamespace(public_id=ref)

    return lambda: (create_request, SimpleNamespace)


def test_homecare_handoff_when_the_capability_exists(make_child, staff_actor, monkeypatch):
    calls = []
    monkeypatch.setattr(handoff, "homecare_api", fake_homecare(calls))
    case = severe_case(make_child, staff_actor)
    action = services.add_action(staff_actor, case, "homecare", note="cek")
    assert action.status == CaseAction.Status.REQUESTED and action.external_ref == "hc-1"
    data, source, ref = calls[0]
    assert data.nik == "3374010101250001" and data.village_code == "3374011001"
    assert data.target_group == "gizi_buruk" and source == "nutrition"
    assert ref == str(case.public_id)


def test_handoff_to_the_real_homecare_service(make_child, staff_actor):
    """With sigap.homecare present: a request is created; without a phone number it waits."""
    if services.homecare_api() is None:
        pytest.skip("home care capability not present")
    from sigap.homecare.models import HomecareRequest

    case = severe_case(make_child, staff_actor)
    action = services.add_action(staff_actor, case, "homecare", note="kunjungan")
    assert action.status == CaseAction.Status.PENDING_HANDOFF and action.handoff_note
    child = case.child
    child.phone, child.address = "0812-3456-7890", "Jl. Uji 1"
    child.save()
    assert services.retry_handoffs() == 1
    action.refresh_from_db()
    assert action.status == CaseAction.Status.REQUESTED
    req = HomecareRequest.objects.get(source="nutrition", source_ref=str(case.public_id))
    assert str(req.public_id) == action.external_ref


def test_pending_handoffs_are_retried(make_child, staff_actor, monkeypatch):
    monkeypatch.setattr(handoff, "homecare_api", lambda: None)
    case = severe_case(make_child, staff_actor)
    action = services.add_action(staff_actor, case, "homecare")
    assert action.handoff_note == "Layanan home care belum tersedia."
    assert services.retry_handoffs() == 0
    monkeypatch.setattr(handoff, "homecare_api", fake_homecare([], "hc-9"))
    assert services.retry_handoffs() == 1
    action.refresh_from_db()
    assert action.status == CaseAction.Status.REQUESTED and action.external_ref == "hc-9"


def test_take_case_is_compare_and_set(make_child, staff_actor, make_user, facilities):
    from sigap.facilities.models import FacilityOperator

    case = severe_case(make_child, staff_actor)
    colleague = make_user("kader-2", "puskesmas_staff", area_code="3374")
    FacilityOperator.objects.create(user=colleague, facility=facilities["pkm1"])
    services.take_case(Actor(user=colleague, channel="test"), case)
    with pytest.raises(Conflict):
        services.take_case(staff_actor, case)
    assert services.take_case(Actor(user=colleague, channel="test"), case).owner == colleague


def test_pregnancy_high_risk_hands_off(staff_actor, monkeypatch, facilities):
    monkeypatch.setattr(handoff, "homecare_api", lambda: None)
    data = services.PregnancyInput(
        mother_nik="3374015501950002",
        mother_name="Ibu Uji",
        kelurahan_code="3374011001",
        risk_factors=["hypertension"],
        last_period=date(2026, 5, 1),
    )
    p = services.register_pregnancy(staff_actor, data)
    assert p.high_risk and p.homecare_status == "pending_handoff"
    assert p.expected_delivery == date(2027, 2, 5)
    low = services.register_pregnancy(
        staff_actor, services.PregnancyInput(**{**data.__dict__, "risk_factors": []})
    )
    assert not low.high_risk and low.homecare_status == ""  # no factor recorded
    with pytest.raises(InvalidInput) as e:
        services.register_pregnancy(
            staff_actor,
            services.PregnancyInput(**{**data.__dict__, "mother_nik": "3374011501950002"}),
        )
    assert e.value.field == "mother_nik"  # a man's NIK (day < 40)


def test_deaths_get_reviews_and_the_review_state_machine(staff_actor, analyst_actor):
    d = services.register_death(
        staff_actor,
        services.DeathInput(
            kind="infant",
            died_on=date(2026, 3, 10),
            birth_date=date(2026, 3, 1),
            kelurahan_code="3374011001",
            cause_icd10="P22.0",
            cause="sindrom gawat napas",
        ),
    )
    assert d.age_days == 9 and d.neonatal
    review = d.review
    assert review.status == DeathReview.Status.PENDING
    with pytest.raises(InvalidInput):
        services.move_review(staff_actor, review, "reviewed")  # findings needed
    with pytest.raises(Conflict):  # not from pending: an illegal move, 409 in every app
        services.move_review(staff_actor, review, "closed")
    services.move_review(
        staff_actor, review, "reviewed", findings="rujukan terlambat", avoidable=True, delays=["2"]
    )
    with pytest.raises(Forbidden):
        services.move_review(staff_actor, review, "closed")
    closed = services.move_review(analyst_actor, review, "closed")
    assert closed.status == "closed" and closed.closed_by == analyst_actor.user
    with pytest.raises(InvalidInput):
        services.register_death(
            staff_actor,
            services.DeathInput(
                kind="maternal", died_on=date(2026, 3, 10), kelurahan_code="3374011001"
            ),
        )
    with pytest.raises(InvalidInput) as e:
        services.register_death(
            staff_actor,
            services.DeathInput(
                kind="maternal",
                died_on=date(2026, 3, 10),
                kelurahan_code="3374011001",
                timing="postpartum",
                cause_icd10="ZZZ",
            ),
        )
    assert e.value.field == "cause_icd10"


def test_mortality_rates_with_exact_intervals(staff_actor, analyst):
    for i in range(400):
        services.register_birth(
            staff_actor,
            services.BirthInput(
                born_on=date(2025, 1 + i % 12, 1), outcome="live", kelurahan_code="3374011001"
            ),
        )
    services.register_birth(
        staff_actor,
        services.BirthInput(born_on=date(2025, 2, 1), outcome="still", kelurahan_code="3374011001"),
    )
    services.register_death(
        staff_actor,
        services.DeathInput(
            kind="maternal",
            died_on=date(2025, 5, 1),
            kelurahan_code="3374011001",
            timing="postpartum",
            cause_icd10="O72.1",
        ),
    )
    services.register_death(
        staff_actor,
        services.DeathInput(
            kind="maternal",
            died_on=date(2025, 6, 1),
            kelurahan_code="3374011001",
            timing="pregnancy",
            accidental=True,
        ),
    )
    for age in (3, 40):
        services.register_death(
            staff_actor,
            services.DeathInput(
                kind="infant",
                died_on=date(2025, 8, 1 + age % 20),
                kelurahan_code="3374011001",
                birth_date=date(2025, 8, 1 + age % 20) - timedelta(days=age),
            ),
        )
    report = selectors.mortality(analyst, year=2025, level="kecamatan", area="3374")
    row = report["rows"][0]
    assert (row["live"], row["still"], row["maternal"], row["infant"], row["neonatal"]) == (
        400,
        1,
        1,
        2,
        1,
    )
    assert row["aki"]["rate"] == 250.0
    # exact Poisson interval of 1 event: 0.0253 .. 5.5716, per 400 live births x 100,000
    assert row["aki"]["low"] == pytest.approx(0.025318 / 400 * 1e5, abs=0.1)
    assert row["aki"]["high"] == pytest.approx(5.571643 / 400 * 1e5, abs=0.1)
    assert row["akb"]["rate"] == 5.0
    low, high = selectors.binomial_ci(2, 400)
    assert row["akb"]["low"] == pytest.approx(low * 1000, abs=0.05)
    assert row["akb"]["high"] == pytest.approx(high * 1000, abs=0.05)
    assert 0 < row["akb"]["low"] < 5 < row["akb"]["high"]


def test_dashboard_prevalence_and_bands(
    make_child, staff_actor, analyst, staff, other_staff, settings
):
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 4  # exactly the four children below
    # 4 boys at Posyandu Melati in Jan 2026: 1 stunted, 1 severely wasted
    specs = [(11.5, 85.0), (11.5, 85.0), (11.0, 78.0), (8.0, 85.0)]
    for w, length in specs:
        child = make_child(birth_date=date(2024, 1, 10))
        services.record_measurement(staff_actor, child, M(date(2026, 1, 10), w, length, "L"))
    dash = selectors.dashboard(analyst, month=date(2026, 1, 1), level="posyandu", area="3374")
    unit = dash.units[0]
    assert unit["name"] == "Posyandu Melati" and unit["measured"] == 4
    assert unit["stunted"] == 1 and unit["stunting"] == 25.0
    assert unit["stunting_band"] == "high"
    assert dash.totals["severely_wasted"] == 1 and dash.totals["wasting_band"] == "very_high"
    assert dash.trend["measured"][-1] == 4 and len(dash.trend["stunting"]) == 12
    assert dash.map_points[0]["name"] == "Miroto"
    kec = selectors.dashboard(analyst, month=date(2026, 1, 1), level="kecamatan", area="3374")
    assert kec.units[0]["name"] == "Semarang Tengah"
    # staff of another Puskesmas sees none of it
    empty = selectors.dashboard(other_staff, month=date(2026, 1, 1), area="3374")
    assert empty.totals["measured"] == 0


def test_bands():
    assert [selectors.band("stunting", p) for p in (2.4, 2.5, 9.9, 10, 20, 29.9, 30)] == [
        "very_low",
        "low",
        "low",
        "medium",
        "high",
        "high",
        "very_high",
    ]
    assert [selectors.band("wasting", p) for p in (2.4, 4.9, 5, 14.9, 15)] == [
        "very_low",
        "low",
        "medium",
        "high",
        "very_high",
    ]
