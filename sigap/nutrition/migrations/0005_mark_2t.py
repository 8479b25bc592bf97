"""Existing measurements: flag 2T (no gain at this weighing and at the one before), and count
it in the monthly rows from the counted measurements."""

from django.db import migrations
from django.db.models import Count


def mark_2t(apps, schema_editor):
    Measurement = apps.get_model("nutrition", "Measurement")
    GrowthMonthly = apps.get_model("nutrition", "GrowthMonthly")
    weighed = (
        Measurement.objects.filter(weight_kg__isnull=False)
        .order_by("child_id", "measured_on")
        .values_list("id", "child_id", "faltering")
    )
    ids, prev = [], None
    # a T always has a previous weighing (the one its gain is taken from): the row before
    for mid, child_id, faltering in weighed.iterator(chunk_size=5000):
        if faltering and prev is not None and prev[0] == child_id and prev[1]:
            ids.append(mid)
        prev = (child_id, faltering)
    for start in range(0, len(ids), 900):
        Measurement.objects.filter(id__in=ids[start : start + 900]).update(faltering_2t=True)
    cells = (
        Measurement.objects.filter(counts_in_month=True, faltering_2t=True)
        .values("month", "kelurahan_code", "posyandu_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for c in cells:
        GrowthMonthly.objects.filter(
            month=c["month"], kelurahan_code=c["kelurahan_code"], posyandu_id=c["posyandu_id"]
        ).update(faltering_2t=c["n"])


class Migration(migrations.Migration):
    dependencies = [("nutrition", "0004_faltering_2t")]

    operations = [migrations.RunPython(mark_2t, migrations.RunPython.noop)]
