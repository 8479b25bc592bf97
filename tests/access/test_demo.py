"""The access demo: synthetic population for every kelurahan of the area, summing to the
city's figure, uploaded once (a second build changes nothing)."""

import pytest

from sigap.access import demo
from sigap.access.models import PopulationUpload
from sigap.regions.models import Region


@pytest.mark.django_db
def test_demo_population_is_exact_and_idempotent(facilities):
    area = Region.objects.get(code="3374")
    rows = demo.synthetic_population(area)
    assert len(rows) == 4 and sum(p for _c, p in rows) == 40_000
    lines = demo.build(area, lambda m: None)
    assert lines and "/akses/" in lines[0]
    demo.build(area, lambda m: None)
    up = PopulationUpload.objects.get()
    assert up.is_synthetic and up.total_population == 40_000


@pytest.mark.django_db
def test_demo_of_an_area_without_kelurahan(db):
    area = Region.objects.create(code="99", level=1, name="Kosong")
    assert demo.build(area, lambda m: None) == []


@pytest.mark.django_db
def test_demo_saves_plans_once(facilities):
    from sigap.access.models import Scenario

    area = Region.objects.get(code="3374")
    logged = []
    lines = demo.build(area, logged.append)
    # the tiny area has one Pustu: "upgrade 3" is skipped with a reason, the others saved
    assert "/akses/rencana/" in lines[-1]
    names = set(Scenario.objects.values_list("name", flat=True))
    assert names == {"Apa adanya", "Bangun 2 Puskesmas baru"}
    assert any("skipped" in m for m in logged)
    assert all(s.is_synthetic and s.status == "done" for s in Scenario.objects.all())
    demo.build(area, logged.append)
    assert Scenario.objects.count() == 2
