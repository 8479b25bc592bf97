"""Reference data: facility kinds (with SATUSEHAT jenis_sarana) and services."""

from django.db import migrations

KINDS = [
    ("rs", "Rumah Sakit", "104"),
    ("puskesmas", "Puskesmas", "102"),
    ("pustu", "Puskesmas Pembantu", ""),
    ("klinik", "Klinik", "103"),
    ("praktik", "Praktik Mandiri", "101"),
    ("posyandu", "Posyandu", ""),
]

SERVICES = [
    ("igd", "IGD 24 jam"),
    ("icu", "ICU"),
    ("hcu", "HCU"),
    ("iccu", "ICCU"),
    ("nicu", "NICU"),
    ("picu", "PICU"),
    ("obstetri", "Obstetri (PONEK)"),
    ("bersalin", "Persalinan"),
    ("isolasi", "Ruang isolasi"),
    ("bedah", "Bedah"),
    ("hemodialisa", "Hemodialisa"),
    ("stroke", "Stroke unit"),
    ("jantung", "Kateterisasi jantung"),
    ("trauma", "Trauma center"),
    ("psikiatri", "Psikiatri"),
    ("rawat_inap", "Rawat inap"),
    ("rawat_jalan", "Rawat jalan"),
    ("gizi", "Layanan gizi"),
    ("kia", "Kesehatan ibu dan anak"),
    ("ambulans", "Ambulans"),
]


def load(apps, schema_editor):
    FacilityKind = apps.get_model("facilities", "FacilityKind")
    Service = apps.get_model("facilities", "Service")
    for code, name, ss in KINDS:
        FacilityKind.objects.update_or_create(code=code, defaults={"name": name, "satusehat_code": ss})
    for sort, (code, name) in enumerate(SERVICES):
        Service.objects.update_or_create(code=code, defaults={"name": name, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
