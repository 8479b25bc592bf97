"""Imports of the population, membership and welfare registers."""

import random
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sigap.core.errors import Forbidden, InvalidInput, SigapError
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.coverage import engine, selectors, services
from sigap.coverage.models import (
    CoverageStat,
    Membership,
    RejectedRow,
    Resident,
    Snapshot,
    WelfareEntry,
)
from sigap.regions.services import validate_nik

from .conftest import KEL_A, KEL_B, KEL_C, MEM_HEADER, POP_HEADER, TODAY, nik, person, write_csv

pytestmark = pytest.mark.django_db
MAY, JUNE = date(2026, 5, 1), date(2026, 6, 1)


def population_rows():
    ok = [
        person("337401", date(1980, 3, 4), 1, KEL_A),
        person("337401", date(1985, 7, 9), 2, KEL_A, female=True),
        person("337402", date(2026, 1, 2), 3, KEL_B),  # an infant
        person("337410", date(1950, 1, 1), 4, KEL_C, status="meninggal"),  # dead (Indonesian)
        person("337410", date(1960, 12, 31), 5, KEL_C, status="Hidup"),
    ]
    bad = [
        ["12345", *ok[0][1:]],  # too short
        [ok[0][0][:6] + "320280" + "0007", *ok[0][1:]],  # 32 February
        [ok[0][0][:12] + "0000", *ok[0][1:]],  # serial 0000
        list(ok[1]),  # duplicate of row 2
        person("337401", date(1990, 1, 1), 9, "3374999999"),  # unknown kelurahan
        person("337401", date(1990, 1, 1), 10, KEL_A, status="entah"),  # unknown status
    ]
    return ok + bad


def test_population_import_keeps_good_rows_and_reports_bad_ones(semarang, cli, tmp_path):
    path = write_csv(tmp_path / "penduduk.csv", POP_HEADER, population_rows())
    result = services.import_snapshot(cli, "population", path, MAY, today=TODAY)
    snap = result.snapshot
    assert result.created and result.applied
    assert (snap.rows_total, snap.rows_accepted, snap.rows_rejected) == (11, 5, 6)
    reasons = dict(RejectedRow.objects.values_list("row_number", "reason"))
    assert reasons == {6: "nik_format", 7: "nik_birth_date", 8: "nik_serial", 9: "duplicate",
                       10: "unknown_region", 11: "bad_value"}  # fmt: skip
    assert Resident.objects.count() == 5
    infant = Resident.objects.get(kelurahan_code=KEL_B)
    assert infant.birth_date == date(2026, 1, 2) and infant.kecamatan_code == "337402"
    assert Resident.objects.get(nik=nik("337410", date(1950, 1, 1), 4)).status == "dead"
    woman = Resident.objects.get(nik=nik("337401", date(1985, 7, 9), 2, True))
    assert (woman.sex, woman.family_card, woman.name) == ("P", "3374010101000001", "Warga 2")
    report = selectors.rejection_rows(snap)
    assert report[0][0] == 6 and len(report) == 6
    assert "xxxx" in report[3][1]  # NIKs masked in the report shown on pages
    assert AuditEvent.objects.filter(action="coverage.import").count() == 1


def test_same_snapshot_twice_changes_nothing(semarang, cli, tmp_path):
    path = write_csv(tmp_path / "penduduk.csv", POP_HEADER, population_rows())
    first = services.import_snapshot(cli, "population", path, MAY, today=TODAY)
    Resident.objects.filter(status="alive").update(name="diubah")  # would be overwritten
    again = services.import_snapshot(cli, "population", path, MAY, today=TODAY)
    assert not again.created and again.snapshot.pk == first.snapshot.pk
    assert Snapshot.objects.count() == 1 and RejectedRow.objects.count() == 6
    assert Resident.objects.filter(name="diubah").count() == 4
    assert AuditEvent.objects.filter(action="coverage.import").count() == 1


def _members(tmp_path, name, rows):
    return write_csv(tmp_path / name, MEM_HEADER, rows)


def test_membership_months_replace_and_make_a_trend(semarang, cli, tmp_path, settings):
    # small lists: the hold thresholds (tested in test_snapshot_guard.py) are opened here
    settings.SIGAP_COVERAGE_MIN_ACCEPTED_SHARE = 0
    settings.SIGAP_COVERAGE_MAX_REMOVED_SHARE = 1
    pop = population_rows()[:5]
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, pop),
                             MAY, today=TODAY)  # fmt: skip
    a, b, c, _dead, e = (r[0] for r in pop)
    may = _members(tmp_path, "m5.csv", [
        [a, "0001", "PBI APBN", "1", "", "P337401", "3"],
        [b, "0002", "ppu", "0", "menunggak", "P337401", "1"],
        [b, "0002", "PPU", "1", "", "P337401", "1"],  # duplicate: rejected, first row kept
        [e, "0005", "XYZ", "1", "", "", ""],  # unknown segment: rejected
    ])  # fmt: skip
    r5 = services.import_snapshot(cli, "membership", may, MAY, today=TODAY)
    assert (r5.snapshot.rows_accepted, r5.snapshot.rows_rejected) == (2, 2)
    assert not Membership.objects.get(nik=b).active
    june = _members(tmp_path, "m6.csv", [
        [b, "0002", "PPU", "ya", "", "P337401", "1"],
        [c, "0003", "PBI-APBD", "true", "", "P337402", "3"],
        [e, "0005", "PBPU", "Y", "", "", ""],
    ])  # fmt: skip
    services.import_snapshot(cli, "membership", june, JUNE, today=TODAY)
    # a complete list: a (not in June's list) is no longer a member
    assert set(Membership.objects.values_list("nik", flat=True)) == {b, c, e}
    assert Membership.objects.get(nik=c).segment == "PBI-APBD"
    trend = selectors.trend("3374")
    assert [(t["period"], t["population"], t["covered"], t["active"]) for t in trend] == [
        (MAY, 4, 2, 1), (JUNE, 4, 3, 3)
    ]  # fmt: skip
    assert trend[1]["pemda"] == 1
    # an older month imported late is recorded but does not replace June
    late = _members(tmp_path, "m4.csv", [[a, "0001", "PBI-APBN", "1", "", "", ""]])
    r4 = services.import_snapshot(cli, "membership", late, date(2026, 4, 1), today=TODAY)
    assert r4.created and not r4.applied
    assert set(Membership.objects.values_list("nik", flat=True)) == {b, c, e}
    rows = {r["code"]: r for r in selectors.coverage_by_area("3374", "kelurahan")}
    assert (rows[KEL_A]["population"], rows[KEL_A]["covered"]) == (2, 1)
    assert rows[KEL_B]["covered"] == 1 and rows[KEL_C]["uncovered"] == 0


def test_xlsx_and_parquet_imports(semarang, cli, tmp_path):
    from openpyxl import Workbook

    rows = population_rows()[:5]
    wb = Workbook()
    ws = wb.active
    ws.append(POP_HEADER)
    for r in rows:
        ws.append([int(r[0]), *r[1:]])  # NIK typed as a number in Excel
    wb.save(tmp_path / "p.xlsx")
    res = services.import_snapshot(cli, "population", tmp_path / "p.xlsx", MAY, today=TODAY)
    assert res.snapshot.rows_accepted == 5
    assert set(Resident.objects.values_list("nik", flat=True)) == {r[0] for r in rows}
    pq.write_table(
        pa.table({"nik": [rows[0][0], rows[1][0], "bukan-nik"], "desil": [1, 11, 3]}),
        tmp_path / "w.parquet",
    )
    res = services.import_snapshot(cli, "welfare", tmp_path / "w.parquet", MAY, today=TODAY)
    assert (res.snapshot.rows_accepted, res.snapshot.rows_rejected) == (1, 2)
    assert res.held and not WelfareEntry.objects.exists()  # 1 of 3 accepted: held
    services.confirm_snapshot(cli, res.snapshot)
    assert WelfareEntry.objects.get().decile == 1


def test_bad_files_write_nothing(semarang, cli, tmp_path):
    wrong = write_csv(tmp_path / "p.csv", ["nik", "nama"], [["3374010101900001", "A"]])
    with pytest.raises(InvalidInput) as exc:
        services.import_snapshot(cli, "population", wrong, MAY, today=TODAY)
    assert "kelurahan_code" in exc.value.message
    other = tmp_path / "p.txt"
    other.write_text("x")
    with pytest.raises(InvalidInput):
        services.import_snapshot(cli, "population", other, MAY, today=TODAY)
    assert not Snapshot.objects.exists() and not CoverageStat.objects.exists()


def test_only_office_roles_import(semarang, make_user, tmp_path):
    path = write_csv(tmp_path / "p.csv", POP_HEADER, population_rows()[:1])
    nurse = Actor(user=make_user("perawat", "puskesmas_staff"), channel="web")
    with pytest.raises(Forbidden):
        services.import_snapshot(nurse, "population", path, MAY, today=TODAY)
    assert not Snapshot.objects.exists()


def test_vectorised_nik_rules_match_validate_nik(semarang):
    """The SQL NIK check in the engine gives the same verdict as validate_nik."""
    rnd = random.Random(6)
    niks = []
    for _ in range(3000):
        kind = rnd.random()
        if kind < 0.5:
            niks.append(nik(f"33{rnd.randint(0, 99):02d}{rnd.randint(0, 99):02d}",
                            date(rnd.randint(1930, 2026), rnd.randint(1, 12), rnd.randint(1, 28)),
                            rnd.randint(0, 9999), rnd.random() < 0.5))  # fmt: skip
        else:
            niks.append("".join(rnd.choice("0123456789") for _ in range(rnd.choice([15, 16, 16]))))
    niks += ["3374010101000000", "3374012902240001", "3374012902230001", "3374013112990001",
             "3374017112990001", "0074010101900001", "3374010101270001"]  # fmt: skip
    con = engine.connect()
    con.register("t", pa.table({"nik": niks}))
    sql = engine.nik_problem_sql("nik", TODAY)
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM t").fetchall()]  # noqa: S608
    con.close()
    for value, problem in zip(niks, got, strict=True):
        try:
            validate_nik(value, today=TODAY, check_region=False)
            expected = None
        except SigapError:
            expected = "invalid"
        assert (problem is None) == (expected is None), (value, problem)
