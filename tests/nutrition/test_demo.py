"""The nutrition demo: synthetic, labelled, deterministic and idempotent."""

import pytest

from sigap.facilities.models import Facility
from sigap.nutrition import demo
from sigap.nutrition.models import Birth, Child, Death, DeathReview, GrowthMonthly, Measurement
from sigap.regions.models import Region

pytestmark = pytest.mark.django_db


def test_demo_builds_once(facilities):
    area = Region.objects.get(code="3374")
    lines = demo.build(area, lambda _m: None)
    assert any("/gizi/" in line for line in lines)
    children = Child.objects.count()
    # Brumbungan had no posyandu: a synthetic one is created; each posyandu gets children
    assert Facility.objects.filter(kind_id="posyandu", village_id="3374011002").count() == 1
    assert children == 3 * demo.CHILDREN_PER_POSYANDU
    assert not Child.objects.filter(is_synthetic=False).exists()
    assert Measurement.objects.count() > children * 5
    assert GrowthMonthly.objects.exists() and Birth.objects.filter(is_synthetic=True).exists()
    assert DeathReview.objects.count() == Death.objects.count() > 0
    demo.build(area, lambda _m: None)
    assert Child.objects.count() == children
