"""Time-critical conditions (reference data in `data/time_critical.csv`): a diagnosis whose
outcome depends on minutes to a capable hospital (stroke, ACS, major trauma, obstetric
haemorrhage, sepsis ...). The recommendation ranks these by travel time first."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "time_critical.csv"


@dataclass(frozen=True)
class Condition:
    key: str
    label: str  # Bahasa Indonesia, shown in the reason of a ranked hospital
    ranges: tuple[tuple[str, str], ...]  # inclusive (low, high), dotless upper-case codes
    service: str  # the facilities.Service a capable hospital offers ("" = any hospital)

    def matches(self, code: str) -> bool:
        return any(
            low <= code[: len(low)] and code[: len(high)] <= high for low, high in self.ranges
        )


def _compact(code: str) -> str:
    return (code or "").strip().upper().replace(".", "").replace(" ", "")


@lru_cache(maxsize=1)
def conditions() -> tuple[Condition, ...]:
    lines = [ln for ln in DATA.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    out = []
    for row in csv.DictReader(lines):
        ranges = []
        for part in row["icd10"].split(";"):
            low, _, high = part.partition("-")
            ranges.append((_compact(low), _compact(high or low)))
        out.append(
            Condition(
                key=row["key"], label=row["label"], ranges=tuple(ranges), service=row["service"]
            )
        )
    return tuple(out)


def condition_for(diagnosis_code: str) -> Condition | None:
    """The time-critical condition an ICD-10 code falls in, or None."""
    code = _compact(diagnosis_code)
    if len(code) < 3:
        return None
    return next((c for c in conditions() if c.matches(code)), None)
