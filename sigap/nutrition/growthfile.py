"""File-to-file z-scores: `sigap growth zscores IN.csv OUT.csv`.

IN has the columns `sex` (1 or L = boy, 2 or P = girl), `age_days`, `weight_kg`, `length_cm`,
`measured` (L lying, H standing) and optionally `oedema` (Y/1). OUT has every IN column, then
`haz, waz, whz` (blank when not defined), their classifications per Permenkes 2/2020
(`haz_class, waz_class, whz_class`) and `implausible` (the WHO flags, e.g. "whz").

A row that cannot be read gives blank outputs; a file in which no row gives any z-score is
refused. The whole file is read with Polars and computed at once with NumPy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from django.utils import translation

from sigap.core.exports import neutralise_frame

from . import classification as cls
from . import zscores as zs

REQUIRED = ("sex", "age_days", "weight_kg", "length_cm", "measured")
OUTPUT = ("haz", "waz", "whz", "haz_class", "waz_class", "whz_class", "implausible")
TRUE_WORDS = ("1", "y", "ya", "yes", "true")


class GrowthFileError(Exception):
    """The file as a whole cannot be used (unreadable, columns missing, no usable row)."""


@dataclass
class FileSummary:
    rows: int
    with_haz: int
    with_waz: int
    with_whz: int
    unusable: int  # rows without any z-score
    implausible: int


def _delimiter(path: Path) -> str:
    with path.open(newline="", encoding="utf-8-sig") as f:
        head = f.readline()
    if not head.strip():
        raise GrowthFileError(f"{path}: empty file")
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _numbers(frame: pl.DataFrame, column: str) -> np.ndarray:
    """Floats from text cells; decimal commas accepted; anything else NaN."""
    return (
        frame.get_column(column)
        .str.strip_chars()
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
        .fill_null(np.nan)
        .to_numpy()
    )


def read_input(path: Path) -> pl.DataFrame:
    path = Path(path)
    try:
        sep = _delimiter(path)
        frame = pl.read_csv(path, separator=sep, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise GrowthFileError(f"{path}: cannot read the file ({exc})") from exc
    # header names are matched without case or surrounding spaces
    frame = frame.rename({c: c.strip().lower() for c in frame.columns if c != c.strip().lower()})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise GrowthFileError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED)}"
        )
    return frame


def _codes(frame: pl.DataFrame, column: str, mapping: dict[str, int]) -> np.ndarray:
    return (
        frame.get_column(column)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(mapping, default=0, return_dtype=pl.Int64)
        .fill_null(0)
        .to_numpy()
    )


def compute_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, FileSummary]:
    """The input frame with the output columns added."""
    sex = _codes(frame, "sex", zs.SEX_CODES)
    how = _codes(frame, "measured", zs.MEASURED_CODES)
    oedema = None
    if "oedema" in frame.columns:
        oedema = (
            (frame.get_column("oedema").str.strip_chars().str.to_lowercase().is_in(TRUE_WORDS))
            .fill_null(False)
            .to_numpy()
        )
    r = zs.compute(
        sex,
        _numbers(frame, "age_days"),
        _numbers(frame, "weight_kg"),
        _numbers(frame, "length_cm"),
        how,
        oedema,
    )
    with translation.override("id"):
        haz_c = cls.label_array("haz", cls.classify_haz(r.haz))
        waz_c = cls.label_array("waz", cls.classify_waz(r.waz))
        whz_c = cls.label_array("whz", cls.classify_whz(r.whz, oedema))
    flags = np.char.add(
        np.char.add(np.where(r.haz_flag, "haz ", ""), np.where(r.waz_flag, "waz ", "")),
        np.where(r.whz_flag, "whz", ""),
    )
    flags = np.char.strip(flags)

    def z_col(name: str, z: np.ndarray) -> pl.Series:
        # + 0.0 turns a rounded -0.00 into 0.00
        return pl.Series(name, np.round(z, 2) + 0.0).fill_nan(None)

    def text_col(name: str, values: np.ndarray) -> pl.Series:
        return pl.Series(name, values.astype(str), dtype=pl.String).replace("", None)

    out = frame.with_columns(
        z_col("haz", r.haz),
        z_col("waz", r.waz),
        z_col("whz", r.whz),
        text_col("haz_class", haz_c),
        text_col("waz_class", waz_c),
        text_col("whz_class", whz_c),
        text_col("implausible", flags),
    )
    has = ~np.isnan(r.haz), ~np.isnan(r.waz), ~np.isnan(r.whz)
    summary = FileSummary(
        rows=len(frame),
        with_haz=int(has[0].sum()),
        with_waz=int(has[1].sum()),
        with_whz=int(has[2].sum()),
        unusable=int((~(has[0] | has[1] | has[2])).sum()),
        implausible=int((r.haz_flag | r.waz_flag | r.whz_flag).sum()),
    )
    return out, summary


def zscores_file(in_path: str | Path, out_path: str | Path) -> FileSummary:
    """Read IN, compute, write OUT. Raises GrowthFileError when no row is usable."""
    frame = read_input(Path(in_path))
    if frame.height == 0:
        raise GrowthFileError(f"{in_path}: no data rows")
    out, summary = compute_frame(frame)
    if summary.unusable == summary.rows:
        raise GrowthFileError(
            f"{in_path}: none of the {summary.rows} rows gives a z-score (check sex 1/L/2/P, "
            "age_days, weight_kg, length_cm, measured L/H)"
        )
    try:
        # input columns (names, ids) are written formula-safe (sigap.core.exports)
        neutralise_frame(out).write_csv(Path(out_path), null_value="", float_precision=2)
    except OSError as exc:
        raise GrowthFileError(f"{out_path}: cannot write ({exc})") from exc
    return summary
