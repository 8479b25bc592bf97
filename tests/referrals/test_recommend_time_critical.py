"""The recommendation for time-critical conditions ranks by travel time to a capable hospital
with a free bed of the class; every ranked hospital carries a reason people read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sigap.beds import selectors as bed_selectors
from sigap.beds import services as bed_services
from sigap.core.services import Actor
from sigap.referrals import selectors
from sigap.referrals.models import ReferralDailyStat
from sigap.referrals.time_critical import condition_for
from tests.referrals.conftest import room

pytestmark = pytest.mark.django_db

ORIGIN = (-6.98, 110.41)


@pytest.fixture
def stroke_area(make_hospital):
    """Near: ~5 min, ICU 2 free, stroke unit, but slow and often refusing in the past.
    Far: ~60 min, ICU 5 free, stroke unit, answers fast and always accepts.
    Close: nearest of all, ICU 3 free, no stroke unit. Full: near, stroke unit, ICU full."""
    actor = Actor.system("test")
    near = make_hospital("RS Dekat", lat=-6.995, lon=110.41)
    far = make_hospital("RS Jauh", lat=-7.33, lon=110.41)
    close = make_hospital("RS Sebelah", lat=-6.982, lon=110.41)
    full = make_hospital("RS Penuh", lat=-6.99, lon=110.41)
    for h in (near, far, full):
        h.services.add("igd", "icu", "stroke")
    close.services.add("igd", "icu")
    bed_services.upsert_room(actor, near, room("ICU1", "ICU", 4, 2), source="api")
    bed_services.upsert_room(actor, far, room("ICU1", "ICU", 8, 5), source="api")
    bed_services.upsert_room(actor, close, room("ICU1", "ICU", 4, 3), source="api")
    bed_services.upsert_room(actor, full, room("ICU1", "ICU", 4, 0), source="api")
    day = timezone.localdate() - timedelta(days=1)
    ReferralDailyStat.objects.create(
        facility=near, day=day, offers=40, accepted=4, answered=40, answer_seconds=40 * 3600
    )
    ReferralDailyStat.objects.create(
        facility=far, day=day, offers=40, accepted=40, answered=40, answer_seconds=40 * 60
    )
    bed_selectors.reset_snapshot()
    selectors.reset_caches()
    return {"near": near, "far": far, "close": close, "full": full}


def names(rows):
    return [r["name"] for r in rows]


def test_stroke_goes_to_the_5_minute_hospital_with_a_free_icu_before_the_60_minute_one(
    stroke_area,
):
    rows = selectors.recommend(
        lat=ORIGIN[0], lon=ORIGIN[1], bed_class="ICU", diagnosis="I63.9", urgency="emergency"
    )
    by_name = {r["name"]: r for r in rows}
    assert by_name["RS Dekat"]["travel_minutes"] <= 10
    assert by_name["RS Jauh"]["travel_minutes"] >= 45
    # capable with a bed by minutes, then capable and full, then not capable
    assert names(rows) == ["RS Dekat", "RS Jauh", "RS Penuh", "RS Sebelah"]
    assert rows[0]["time_critical"] == "stroke"
    assert "ICU kosong 2" in rows[0]["reason"]
    assert "menit" in rows[0]["reason"]
    assert "layanan Stroke unit" in rows[0]["reason"]
    assert "ICU penuh" in by_name["RS Penuh"]["reason"]
    assert "tanpa layanan Stroke unit" in by_name["RS Sebelah"]["reason"]


def test_the_same_stroke_as_an_elective_referral_weighs_history_and_beds(stroke_area):
    rows = selectors.recommend(
        lat=ORIGIN[0], lon=ORIGIN[1], bed_class="ICU", diagnosis="I63.9", urgency="elective"
    )
    # the near hospital's refusals and slow answers cost more than the drive
    assert names(rows).index("RS Jauh") < names(rows).index("RS Dekat")
    assert rows[0]["time_critical"] is None
    assert all(r["reason"] for r in rows)
    assert any("rujukan" in r["reason"] for r in rows)


def test_a_diagnosis_that_is_not_time_critical_keeps_the_delay_score(stroke_area):
    plain = selectors.recommend(lat=ORIGIN[0], lon=ORIGIN[1], bed_class="ICU")
    pneumonia = selectors.recommend(
        lat=ORIGIN[0], lon=ORIGIN[1], bed_class="ICU", diagnosis="J18.9", urgency="emergency"
    )
    assert names(plain) == names(pneumonia)
    assert names(plain)[-1] == "RS Penuh"  # no free bed: last


def test_without_a_bed_class_the_capable_nearest_is_first(stroke_area):
    rows = selectors.recommend(lat=ORIGIN[0], lon=ORIGIN[1], diagnosis="I64", urgency="")
    assert names(rows)[0] == "RS Penuh"  # nearest with a stroke unit; no class was asked
    assert names(rows)[-1] == "RS Sebelah"
    assert "kosong" not in rows[0]["reason"]


def test_excluding_every_hospital_gives_an_empty_list(stroke_area):
    every = {h.pk for h in stroke_area.values()}
    assert selectors.recommend(lat=ORIGIN[0], lon=ORIGIN[1], diagnosis="I63", exclude=every) == []


@pytest.mark.parametrize(
    "code,key",
    [
        ("I63.9", "stroke"),
        ("i64", "stroke"),
        ("I21.0", "acs"),
        ("S06.5", "major_trauma"),
        ("O72.1", "obstetric_haemorrhage"),
        ("A41.9", "sepsis"),
        ("J18.9", None),
        ("I20.9", None),  # stable angina is not on the list
        ("", None),
        ("I6", None),
        ("ZZZ", None),
    ],
)
def test_time_critical_reference_data(code, key):
    found = condition_for(code)
    assert (found.key if found else None) == key


def test_api_answers_with_reasons_and_refuses_an_unknown_urgency(stroke_area, client, make_user):
    user = make_user("pkm-rec", "puskesmas_staff", area_code="3374")
    client.force_login(user)
    url = "/api/v1/referrals/recommend"
    base = {"lat": ORIGIN[0], "lon": ORIGIN[1], "bed_class": "ICU", "diagnosis": "I63.9"}
    resp = client.get(url, {**base, "urgency": "emergency"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body[0]["name"] == "RS Dekat" and "ICU kosong 2" in body[0]["reason"]
    assert client.get(url, {**base, "urgency": "segera"}).status_code == 422
