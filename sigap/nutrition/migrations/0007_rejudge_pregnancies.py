"""Existing pregnancies judged by the KSPR rule (any one risk factor is high-risk; before,
one of a few factors alone or two of the others were needed). A pregnancy that becomes
high-risk and has not ended is queued for the home-care hand-off (the retry sweep sends it)."""

from django.db import migrations


def rejudge(apps, schema_editor):
    Pregnancy = apps.get_model("nutrition", "Pregnancy")
    for p in Pregnancy.objects.filter(high_risk=False).iterator(chunk_size=2000):
        if not p.risk_factors:
            continue
        p.high_risk = True
        fields = ["high_risk"]
        if p.ended_on is None and not p.homecare_status:
            p.homecare_status = "pending_handoff"
            p.homecare_note = "Dinilai ulang dengan KSPR: risiko tinggi."
            fields += ["homecare_status", "homecare_note"]
        p.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [("nutrition", "0006_anc_record")]

    operations = [migrations.RunPython(rejudge, migrations.RunPython.noop)]
