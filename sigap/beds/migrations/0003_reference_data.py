"""Reference data: Aplicare kodekelas, SIRS Online id_tt and their mapping."""

from django.db import migrations

# code, Aplicare name, display name, is_aplicare, critical care, public filter
CLASSES = [
    ("VVP", "VVIP", "VVIP", True, False, True),
    ("VIP", "VIP", "VIP", True, False, True),
    ("UTM", "UTAMA", "Utama", True, False, True),
    ("KL1", "KELAS I", "Kelas I", True, False, True),
    ("KL2", "KELAS II", "Kelas II", True, False, True),
    ("KL3", "KELAS III", "Kelas III", True, False, True),
    ("KRS", "KRIS JKN", "KRIS JKN", False, False, True),
    ("HCU", "HCU", "HCU", True, True, True),
    ("ICU", "ICU", "ICU", True, True, True),
    ("ICC", "ICCU", "ICCU", True, True, True),
    ("NIC", "NICU", "NICU", True, True, True),
    ("PIC", "PICU", "PICU", True, True, True),
    ("PRN", "PERINATOLOGI", "Perinatologi", False, False, True),
    ("ISO", "RUANG ISOLASI", "Ruang isolasi", True, False, True),
    ("SAL", "RUANG BERSALIN", "Ruang bersalin", True, False, True),
    ("IGD", "IGD", "IGD", True, False, False),
    ("UGD", "UGD", "UGD", True, False, False),
    ("NON", "-", "Tanpa kelas", True, False, False),
]

# id_tt, name, SIGAP class, with ventilator
SIRS_TYPES = [
    (1, "VVIP", "VVP", False),
    (2, "VIP", "VIP", False),
    (3, "Kelas I", "KL1", False),
    (4, "Kelas II", "KL2", False),
    (5, "Kelas III", "KL3", False),
    (6, "ICU tanpa ventilator", "ICU", False),
    (7, "HCU", "HCU", False),
    (8, "ICCU", "ICC", False),
    (10, "NICU tanpa ventilator", "NIC", False),
    (11, "PICU tanpa ventilator", "PIC", False),
    (12, "Isolasi", "ISO", False),
    (14, "Perinatologi", "PRN", False),
    (36, "VK (ruang bersalin)", "SAL", False),
    (38, "ICU dengan ventilator", "ICU", True),
    (39, "NICU dengan ventilator", "NIC", True),
    (40, "PICU dengan ventilator", "PIC", True),
    (52, "KRIS JKN", "KRS", False),
]


def load(apps, schema_editor):
    BedClass = apps.get_model("beds", "BedClass")
    SirsBedType = apps.get_model("beds", "SirsBedType")
    BoardState = apps.get_model("beds", "BoardState")
    for sort, (code, apl, name, is_apl, critical, public) in enumerate(CLASSES):
        BedClass.objects.update_or_create(
            code=code,
            defaults={
                "aplicare_name": apl,
                "name": name,
                "sort": sort,
                "is_aplicare": is_apl,
                "is_critical_care": critical,
                "is_public_filter": public,
            },
        )
    for id_tt, name, cls, vent in SIRS_TYPES:
        SirsBedType.objects.update_or_create(
            id_tt=id_tt, defaults={"name": name, "bed_class_id": cls, "with_ventilator": vent}
        )
    BoardState.objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("beds", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
