"""Existing measurements: mark each child's last measurement of every month as the counted
one, then rebuild the monthly counts from those only (a child weighed twice in a month
counted twice before). The aggregates are frozen here as they stood at this migration."""

from django.db import migrations
from django.db.models import Count, Exists, OuterRef, Q


def count_children_once(apps, schema_editor):
    Measurement = apps.get_model("nutrition", "Measurement")
    GrowthMonthly = apps.get_model("nutrition", "GrowthMonthly")
    later = Measurement.objects.filter(
        child_id=OuterRef("child_id"),
        month=OuterRef("month"),
        measured_on__gt=OuterRef("measured_on"),
    )
    Measurement.objects.update(counts_in_month=~Exists(later))
    ok = Q(implausible=False)
    rows = (
        Measurement.objects.filter(counts_in_month=True)
        .values("month", "kelurahan_code", "posyandu_id")
        .annotate(
            measured=Count("id"),
            haz_n=Count("id", filter=ok & Q(haz_class__gt=0)),
            stunted=Count("id", filter=ok & Q(haz_class__in=[1, 2])),
            severely_stunted=Count("id", filter=ok & Q(haz_class=1)),
            whz_n=Count("id", filter=ok & Q(whz_class__gt=0)),
            wasted=Count("id", filter=ok & Q(whz_class__in=[1, 2])),
            severely_wasted=Count("id", filter=ok & Q(whz_class=1)),
            overweight=Count("id", filter=ok & Q(whz_class__in=[5, 6])),
            waz_n=Count("id", filter=ok & Q(waz_class__gt=0)),
            underweight=Count("id", filter=ok & Q(waz_class__in=[1, 2])),
            severely_underweight=Count("id", filter=ok & Q(waz_class=1)),
            faltering=Count("id", filter=Q(faltering=True)),
            gain_n=Count("id", filter=Q(weight_gain_g__isnull=False)),
        )
        .order_by()
    )
    GrowthMonthly.objects.all().delete()
    GrowthMonthly.objects.bulk_create([GrowthMonthly(**r) for r in rows], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("nutrition", "0002_counts_in_month")]

    operations = [migrations.RunPython(count_children_once, migrations.RunPython.noop)]
