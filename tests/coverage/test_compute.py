"""`sigap coverage compute`: small files whose answer is counted by hand."""

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from sigap.coverage import engine

from .conftest import write_csv

POPULATION = [
    # nik, kelurahan_code, birth_date, sex, status
    ("0374011501900001", "3374011001", "1990-01-15", "L", "alive"),  # leading zero
    ("3374015501900002", "3374011001", "1990-01-15", "P", "alive"),
    ("3374011501900003", "3374011001", "1990-01-15", "L", "dead"),  # dead: not counted
    ("3374011501900004", "3374021001", "1990-01-15", "L", "alive"),  # not a member
    ("3374011501900005", "3374021001", "1990-01-15", "L", "ALIVE "),  # case/space
    ("3374011501900006", "3374021001", "1990-01-15", "L", "moved"),  # moved: not counted
    ("3374011501900007", "3374101001", "1990-01-15", "P", "alive"),
]
MEMBERSHIP = [
    # nik, segment, active
    ("0374011501900001", "PBI-APBN", "yes"),
    ("0374011501900001", "PBI-APBN", "0"),  # listed twice: one person, active (one row is)
    ("3374015501900002", "PPU", "false"),
    ("3374011501900003", "PPU", "1"),  # member but dead
    ("3374011501900005", "PBPU", "true"),
    ("3374011501900007", "BP", "no"),
    ("9999999999999999", "BP", "1"),  # not in the register
]
# By hand: 3374011001 has 2 alive (…001 covered+active, …002 covered inactive);
# 3374021001 has 2 alive (…004 uncovered, …005 covered+active); 3374101001 1 alive covered.
EXPECTED = [
    ["3374011001", "2", "2", "1", "0"],
    ["3374021001", "2", "1", "1", "1"],
    ["3374101001", "1", "1", "0", "0"],
]


def read_out(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture
def files(tmp_path):
    pop = write_csv(tmp_path / "p.csv", ["nik", "kelurahan_code", "birth_date", "sex", "status"],
                    POPULATION)  # fmt: skip
    mem = write_csv(tmp_path / "m.csv", ["nik", "segment", "active"], MEMBERSHIP)
    return pop, mem


def test_csv_to_csv(files, tmp_path, capsys):
    pop, mem = files
    out = tmp_path / "out.csv"
    call_command("coverage", "compute", "--population", str(pop), "--membership", str(mem),
                 "--out", str(out))  # fmt: skip
    header, rows = read_out(out)
    assert header == ["kelurahan_code", "population", "covered", "active", "uncovered"]
    assert rows == EXPECTED
    assert "5 residents alive, 4 covered" in capsys.readouterr().out


def test_parquet_with_numeric_nik_and_boolean_active(tmp_path):
    """Parquet written by another tool: NIK as int64 (leading zero lost), active as bool."""
    pop = tmp_path / "p.parquet"
    mem = tmp_path / "m.parquet"
    cols = list(zip(*POPULATION, strict=True))
    pq.write_table(pa.table({
        "nik": pa.array([int(n) for n in cols[0]], pa.int64()),
        "kelurahan_code": pa.array(cols[1]), "birth_date": pa.array(cols[2]),
        "sex": pa.array(cols[3]), "status": pa.array(cols[4]),
    }), pop)  # fmt: skip
    mcols = list(zip(*MEMBERSHIP, strict=True))
    truth = {"yes": True, "0": False, "false": False, "1": True, "true": True, "no": False}
    pq.write_table(pa.table({
        "nik": pa.array(mcols[0]), "segment": pa.array(mcols[1]),
        "active": pa.array([truth[a] for a in mcols[2]], pa.bool_()),
    }), mem)  # fmt: skip
    out = tmp_path / "out.csv"
    result = engine.compute_coverage(pop, mem, out)
    assert read_out(out)[1] == EXPECTED
    assert (result.population, result.covered, result.active, result.uncovered) == (5, 4, 2, 1)


def test_mixed_formats_and_xlsx(files, tmp_path):
    from openpyxl import Workbook

    pop, _mem = files
    wb = Workbook()
    ws = wb.active
    ws.append(["NIK", "Segment", "Active"])  # header case differs
    for row in MEMBERSHIP:
        ws.append(list(row))
    xlsx = tmp_path / "m.xlsx"
    wb.save(xlsx)
    out = tmp_path / "out.csv"
    engine.compute_coverage(pop, xlsx, out)
    assert read_out(out)[1] == EXPECTED


def test_duplicate_resident_counted_once(tmp_path):
    pop = write_csv(tmp_path / "p.csv", ["nik", "kelurahan_code", "birth_date", "sex", "status"],
                    [POPULATION[0], POPULATION[0]])  # fmt: skip
    mem = write_csv(tmp_path / "m.csv", ["nik", "segment", "active"], MEMBERSHIP[:1])
    out = tmp_path / "out.csv"
    engine.compute_coverage(pop, mem, out)
    assert read_out(out)[1] == [["3374011001", "1", "1", "1", "0"]]


def test_missing_column_is_a_clear_error(files, tmp_path):
    pop, _ = files
    mem = write_csv(tmp_path / "m.csv", ["nik", "segment"], [("3374011501900001", "PPU")])
    with pytest.raises(CommandError, match="missing column.*active"):
        call_command("coverage", "compute", "--population", str(pop), "--membership", str(mem),
                     "--out", str(tmp_path / "o.csv"))  # fmt: skip


def test_unknown_extension_refused(files, tmp_path):
    pop, mem = files
    bad = tmp_path / "m.json"
    bad.write_text("{}")
    with pytest.raises(CommandError, match="unsupported file type"):
        call_command("coverage", "compute", "--population", str(pop), "--membership", str(bad),
                     "--out", str(tmp_path / "o.csv"))  # fmt: skip
