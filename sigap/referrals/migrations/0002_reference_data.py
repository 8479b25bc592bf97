"""Reference data: referral reasons (SISRUTE `referensi/alasanrujukan`).

The official SISRUTE code list was not available offline; these codes are SIGAP's own and a
deployment may replace them (the API answers whatever the table holds)."""

from django.db import migrations

# code, name, needs free text
REASONS = [
    ("SP", "Membutuhkan pelayanan spesialistik/subspesialistik", False),
    ("SR", "Sarana/prasarana tidak tersedia", False),
    ("TM", "Tenaga medis/kesehatan tidak tersedia", False),
    ("TT", "Tempat tidur penuh", False),
    ("GD", "Kegawatdaruratan yang melebihi kemampuan fasilitas", False),
    ("PM", "Atas permintaan pasien/keluarga", False),
    ("LL", "Lainnya", True),
]


def load(apps, schema_editor):
    Reason = apps.get_model("referrals", "ReferralReason")
    for sort, (code, name, needs_text) in enumerate(REASONS):
        Reason.objects.update_or_create(
            code=code, defaults={"name": name, "sort": sort, "needs_text": needs_text}
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
