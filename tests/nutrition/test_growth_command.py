"""`sigap growth zscores IN.csv OUT.csv`: file to file, bad rows blank, bad files refused."""

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sigap.nutrition import zscores as zs

HEADER = "sex,age_days,weight_kg,length_cm,measured\n"


def run(tmp_path, text: str) -> list[dict]:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(text, encoding="utf-8")
    call_command("growth", "zscores", str(src), str(out))
    with out.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_output_has_input_columns_zscores_and_classes(tmp_path):
    rows = run(tmp_path, HEADER + "1,731,11.5,85.0,L\nP,365,16.0,75.0,L\n")
    assert list(rows[0]) == [
        "sex", "age_days", "weight_kg", "length_cm", "measured",
        "haz", "waz", "whz", "haz_class", "waz_class", "whz_class", "implausible",
    ]  # fmt: skip
    expected = zs.compute_one(zs.BOY, 731, 11.5, 85.0, zs.LYING)
    assert float(rows[0]["haz"]) == pytest.approx(expected["haz"], abs=0.005)
    assert float(rows[0]["whz"]) == pytest.approx(expected["whz"], abs=0.005)
    assert rows[0]["sex"] == "1" and rows[0]["measured"] == "L"
    # the girl is far above +3 SD weight-for-age
    assert rows[1]["waz_class"] == "risiko berat badan lebih"
    assert float(rows[1]["waz"]) > 3


def test_bad_rows_get_blank_outputs(tmp_path):
    rows = run(
        tmp_path,
        HEADER + "x,100,6,60,L\n1,abc,6,60,L\n2,100,,60,L\n1,100,6.0,60.0,L\n1,,8,70,L\n",
    )
    assert [r["haz"] for r in rows] == ["", "", rows[2]["haz"], rows[3]["haz"], ""]
    assert rows[0]["whz"] == rows[0]["haz_class"] == ""
    assert rows[2]["waz"] == "" and rows[2]["whz"] == "" and rows[2]["haz"] != ""
    assert rows[3]["haz_class"] and rows[3]["whz_class"]
    # no age: WHZ from the measured position only
    assert rows[4]["haz"] == "" and rows[4]["whz"] != ""


def test_semicolons_and_decimal_commas(tmp_path):
    rows = run(tmp_path, "sex;age_days;weight_kg;length_cm;measured\nL;400;8,5;74,2;H\n")
    expected = zs.compute_one(zs.BOY, 400, 8.5, 74.2, zs.STANDING)
    assert float(rows[0]["haz"]) == pytest.approx(expected["haz"], abs=0.005)


def test_implausible_values_are_flagged(tmp_path):
    rows = run(tmp_path, HEADER + "1,730,11.0,60.0,L\n")
    assert "haz" in rows[0]["implausible"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("a,b\n1,2\n", "missing column"),
        (HEADER + "x,1,2,3,L\nq,,,,\n", "none of the 2 rows"),
        (HEADER, "no data rows"),
        ("", "empty file"),
    ],
)
def test_fully_bad_file_is_refused(tmp_path, text, message):
    src = tmp_path / "in.csv"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("growth", "zscores", str(src), str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("growth", "zscores", str(tmp_path / "nope.csv"), str(tmp_path / "o.csv"))
