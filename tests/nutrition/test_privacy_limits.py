"""Issue 17 (Medium) for nutrition: masked NIKs that cannot be rebuilt from the fields shown
beside them, search by full NIK only, and limits on the public z-score calculator."""

import json
from datetime import date

import pytest
from django.test import Client

from sigap.nutrition import api as nutrition_api
from sigap.nutrition import services
from sigap.nutrition.models import Child

from .conftest import client_for

pytestmark = pytest.mark.django_db

NIK = "3374015204240003"  # Semarang Tengah, a girl born 12-04-2024 (day + 40), serial 0003


def test_masked_nik_hides_the_digits_the_other_fields_encode():
    assert services.mask_nik_encoded(NIK) == "3374xxxxxxxxxxxx"
    assert services.mask_nik_encoded("") == ""
    assert services.mask_nik_encoded("123") == "xxx"


def test_children_api_answer_cannot_rebuild_the_nik(staff, make_child):
    make_child(name="Sari", sex="P", birth_date=date(2024, 4, 12), nik=NIK)
    c = client_for(staff)
    [hit] = c.get("/api/v1/nutrition/children?q=sar").json()
    assert hit["birth_date"] == "2024-04-12" and hit["sex"] == "P"
    assert hit["kelurahan"] == "3374011001"
    # kelurahan, birth date and sex give digits 1-12; none of the serial may be shown
    assert hit["nik"] == "3374xxxxxxxxxxxx"
    assert not any(d in hit["nik"][4:] for d in "0123456789")
    # the audit trail masks the same way
    from sigap.core.models import AuditEvent

    snapshot = AuditEvent.objects.get(action="child.create").after
    assert snapshot["nik"] == "3374xxxxxxxxxxxx"


def test_children_api_searches_by_the_full_nik_only(staff, make_child):
    child = make_child(name="Sari", sex="P", birth_date=date(2024, 4, 12), nik=NIK)
    c = client_for(staff)
    for prefix in (NIK[:3], NIK[:6], NIK[:12], NIK[:15]):
        r = c.get(f"/api/v1/nutrition/children?q={prefix}")
        assert r.status_code == 422 and r.json()["field"] == "q", prefix
    r = c.get(f"/api/v1/nutrition/children?q={NIK}")
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [str(child.public_id)]
    assert c.get("/api/v1/nutrition/children?q=3374015204240004").json() == []
    assert Child.objects.count() == 1


ROW = {"sex": "L", "age_days": 731, "weight_kg": 11.5, "length_cm": 85.0, "measured": "L"}


def _zscores(c, n, **extra):
    return c.post(
        "/api/v1/nutrition/zscores",
        json.dumps({"rows": [ROW] * n}),
        content_type="application/json",
        **extra,
    )


def test_zscores_rows_per_call_are_capped(db):
    c = Client()
    cap = nutrition_api.MAX_ZSCORE_ROWS
    assert _zscores(c, cap).status_code == 200
    r = _zscores(c, cap + 1)
    assert r.status_code == 422 and r.json()["code"] == "invalid"
    assert _zscores(c, 10_000).status_code == 422


def test_zscores_calls_are_rate_limited_per_client(db, monkeypatch):
    monkeypatch.setattr(nutrition_api, "ZSCORE_CALLS_PER_MINUTE", 3)
    c = Client()
    assert [_zscores(c, 1).status_code for _ in range(3)] == [200, 200, 200]
    r = _zscores(c, 1)
    assert r.status_code == 429 and r.json()["code"] == "too_many_requests"
    # another client is not slowed down by the first
    assert _zscores(c, 1, REMOTE_ADDR="10.9.8.7").status_code == 200
