"""Reference data: home-care target groups (Layanan Homecare) and their eligibility checklists."""

from django.db import migrations

TARGET_GROUPS = [
    (
        "lansia_imobil", "Lansia tidak mampu bergerak", "nurse", 10,
        "Warga lanjut usia yang tidak dapat datang ke Puskesmas.",
        ["Usia 60 tahun atau lebih", "Tidak dapat berjalan ke Puskesmas tanpa bantuan",
         "Tidak ada pendamping yang dapat mengantar secara rutin"],
    ),
    (
        "disabilitas_fisik", "Penyandang disabilitas fisik", "nurse", 20,
        "Penyandang disabilitas fisik yang menghambat kunjungan ke fasilitas.",
        ["Disabilitas fisik menetap", "Tidak dapat menggunakan transportasi umum",
         "Membutuhkan perawatan atau pemantauan berkala"],
    ),
    (
        "kronis_imobil", "Penderita penyakit kronis yang tidak mampu bergerak", "nurse", 30,
        "Penyakit kronis (stroke, kanker, gagal jantung, dll.) dengan keterbatasan gerak.",
        ["Diagnosis penyakit kronis oleh dokter", "Terbaring atau keterbatasan gerak berat",
         "Membutuhkan tindakan atau pemantauan di rumah"],
    ),
    (
        "gizi_buruk", "Balita gizi buruk", "nutritionist", 40,
        "Balita dengan gizi buruk (BB/TB < -3 SD) yang perlu pendampingan di rumah.",
        ["Usia di bawah 5 tahun", "BB/TB di bawah -3 SD atau LiLA < 11,5 cm",
         "Perlu pemantauan asupan dan pemberian makanan tambahan"],
    ),
    (
        "bumil_risti", "Ibu hamil risiko tinggi", "midwife", 50,
        "Kehamilan risiko tinggi yang perlu pemantauan bidan di rumah.",
        ["Sedang hamil", "Faktor risiko tinggi (usia, hipertensi, riwayat obstetri, dll.)",
         "Sulit datang ke Puskesmas secara rutin"],
    ),
]  # fmt: skip


def load(apps, schema_editor):
    TargetGroup = apps.get_model("homecare", "TargetGroup")
    for code, name, skill, sort, description, checklist in TARGET_GROUPS:
        TargetGroup.objects.update_or_create(
            code=code,
            defaults={"name": name, "skill": skill, "sort": sort,
                      "description": description, "checklist": checklist},
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("homecare", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
