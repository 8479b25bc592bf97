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
