"""e-PPGBM import: CSV and XLSX with e-PPGBM's column names, a rejection report, scope."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from sigap.core.services import Actor
from sigap.nutrition.importer import ImportFileError, import_eppgbm
from sigap.nutrition.models import Child, GrowthMonthly, Measurement, NutritionCase

pytestmark = pytest.mark.django_db

HEADER = [
    "NIK",
    "Nama",
    "JK",
    "Tgl Lahir",
    "BB Lahir",
    "TB Lahir",
    "Nama Ortu",
    "Prov",
    "Kab/Kota",
    "Kec",
    "Puskesmas",
    "Desa/Kel",
    "Posyandu",
    "RT",
    "RW",
    "Alamat",
    "Usia Saat Ukur",
    "Tanggal Pengukuran",
    "Berat",
    "Tinggi",
    "Cara Ukur",
    "LiLA",
    "BB/U",
    "ZS BB/U",
    "TB/U",
    "ZS TB/U",
    "BB/TB",
    "ZS BB/TB",
]


def row(
    nik="3374010101240001",
    name="Budi",
    jk="L",
    lahir="10/01/2024",
    kel="Miroto",
    posyandu="Melati",
    tanggal="10/01/2026",
    berat="11,5",
    tinggi="85",
    cara="Terlentang",
    kec="Semarang Tengah",
):
    return [
        nik,
        name,
        jk,
        lahir,
        "3,1",
        "49",
        "Ibu Budi",
        "JAWA TENGAH",
        "KOTA SEMARANG",
        kec,
        "Miroto",
        kel,
        posyandu,
        "001",
        "002",
        "Jl. Uji",
        "2 Tahun - 0 Bulan",
        tanggal,
        berat,
        tinggi,
        cara,
        "",
        "Normal",
        "-0.5",
        "Normal",
        "-0.9",
        "Gizi Baik",
        "0.0",
    ]


def csv_bytes(rows, sep=";"):
    lines = [sep.join(HEADER)] + [sep.join(r) for r in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def test_csv_import_with_rejection_report(staff_actor, facilities):
    rows = [
        row(),
        row(
            nik="3374010202240002",
            name="Sari",
            jk="P",
            tanggal="15/01/2026",
            berat="6,0",
            tinggi="72",
            lahir="01/01/2025",
        ),
        row(nik="3374010303240003", kel="Tidak Ada"),
        row(nik="3374010404240004", tanggal="31/02/2026"),
        row(nik="3374010505240005", berat="abc"),
        row(nik="3374010606240006", cara="Duduk"),
        row(nik="3374010707240007", kel="Pudakpayung", kec="Banyumanik"),  # other Puskesmas
        row(nik="123", name="NIK salah"),
        row(nik="3374010808240008", berat="", tinggi=""),
        row(nik="3374010909240009", posyandu="Tidak Terdaftar"),
    ]
    report = import_eppgbm(staff_actor, csv_bytes(rows), "eppgbm.csv")
    assert report.rows == 10 and report.accepted == 3
    got = {(r.row, r.column) for r in report.rejected}
    assert got == {
        (4, "Desa/Kel"),
        (5, "Tanggal Pengukuran"),
        (6, "Berat/Tinggi/LiLA"),
        (7, "Cara Ukur"),
        (8, "Desa/Kel"),
        (9, "NIK"),
        (10, "Berat"),
    }
    assert [w.row for w in report.warnings] == [11]
    assert "baris,kolom,alasan" in report.rejections_csv()
    budi = Child.objects.get(nik="3374010101240001")
    assert budi.posyandu == facilities["pos1"] and budi.birth_weight_kg == 3.1
    m = Measurement.objects.get(child=budi)
    assert m.source == "eppgbm" and m.position == "L" and m.age_days == 731 and m.haz is not None
    assert Child.objects.get(nik="3374010909240009").posyandu is None
    # Sari is severely wasted: a case is opened
    assert report.cases_opened == 1 and NutritionCase.objects.count() == 1
    assert GrowthMonthly.objects.filter(month=date(2026, 1, 1)).exists()
    # importing the same file again replaces, never duplicates
    again = import_eppgbm(staff_actor, csv_bytes(rows), "eppgbm.csv")
    assert again.children_created == 0 and again.measurements_replaced == 3
    assert Measurement.objects.count() == 3


def test_xlsx_import_with_title_lines(staff_actor, facilities):
    wb = Workbook()
    ws = wb.active
    ws.append(["Laporan e-PPGBM"])
    ws.append([])
    ws.append(HEADER)
    r = row()
    r[3] = date(2024, 1, 10)
    r[17] = date(2026, 1, 10)
    r[18] = 11.5
    r[19] = 85.0
    ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    report = import_eppgbm(staff_actor, buf, "export.xlsx")
    assert report.accepted == 1 and not report.rejected


def test_whole_file_problems_are_refused(staff_actor, facilities):
    with pytest.raises(ImportFileError):
        import_eppgbm(staff_actor, io.BytesIO(b"a;b\n1;2\n"), "x.csv")
    with pytest.raises(ImportFileError):
        import_eppgbm(staff_actor, io.BytesIO(b"%PDF"), "x.pdf")
    with pytest.raises(ImportFileError):
        import_eppgbm(staff_actor, io.BytesIO(b"not a zip"), "x.xlsx")
    assert not Child.objects.exists()


def test_import_command(staff, facilities, tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes([row()]).getvalue())
    call_command("growth", "import", str(path), "--user", staff.username)
    assert "1 accepted" in capsys.readouterr().out
    assert Measurement.objects.count() == 1


def test_analyst_cannot_import(analyst, facilities):
    from sigap.core.errors import Forbidden

    with pytest.raises(Forbidden):
        import_eppgbm(Actor(user=analyst, channel="test"), csv_bytes([row()]), "e.csv")
