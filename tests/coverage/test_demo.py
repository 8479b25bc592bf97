"""The coverage demo: synthetic, through the import service, idempotent."""

import pytest

from sigap.coverage import demo
from sigap.coverage.models import QuotaRun, Resident, Snapshot, Worker

pytestmark = pytest.mark.django_db


def test_demo_builds_three_months_and_a_quota_run_and_is_idempotent(semarang, monkeypatch):
    from sigap.regions.models import Region

    monkeypatch.setattr(demo, "RESIDENTS", 2000)
    monkeypatch.setattr(demo, "DEMO_QUOTA", 20)
    area = Region.objects.get(code="3374")
    lines = demo.build(area, lambda m: None)
    assert "synthetic" in lines[0] and "/cek-jkn/" in lines[1]
    kinds = list(Snapshot.objects.values_list("kind", flat=True).order_by("period", "kind"))
    assert kinds.count("membership") == 3 and "population" in kinds and "welfare" in kinds
    run = QuotaRun.objects.get(program="jkn")
    assert run.selected == 20
    assert run.enrolments.filter(status="activated").count() == 10
    assert Worker.objects.count() > 0
    counts = (Snapshot.objects.count(), Resident.objects.count(), QuotaRun.objects.count())
    demo.build(area, lambda m: None)
    assert (Snapshot.objects.count(), Resident.objects.count(), QuotaRun.objects.count()) == counts
    assert set(Resident.objects.values_list("kelurahan_code", flat=True)) <= {
        r.code for r in Region.objects.filter(level=4)
    }
