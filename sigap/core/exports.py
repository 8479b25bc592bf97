"""Spreadsheet-safe CSV and XLSX: every file SIGAP writes for people to open goes through here.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `=cmd|...`): formula or CSV
injection. Following OWASP's CSV-injection guidance such text is written with a leading
single quote, so the spreadsheet shows it as text. Real numbers stay numbers: int, float and
Decimal values are written as they are, and so is text that is just a number (`-12.5`,
`+62`), which no spreadsheet runs as a formula.

- `neutralise(value)` / `safe_row(row)`: one cell / one row;
- `csv_writer(fh)`: `csv.writer` whose `writerow`/`writerows` neutralise every cell;
- `xlsx_bytes(sheet, header, rows)`: a one-sheet workbook (write-only openpyxl), every text
  cell neutralised and stored as text, never as a formula;
- `neutralise_sql(column)`: the same rule as a DuckDB/SQL expression, for `COPY ... TO`;
- `neutralise_frame(frame)`: the same rule over a Polars frame's text columns.

Not covered, on purpose: temporary files SIGAP writes only to read them back itself (the XLSX
spool of sigap.coverage.engine, the demo's synthetic input files), whose values must stay
exactly as given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

# OWASP: = + - @ tab (0x09) carriage return (0x0D)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# the same rules as regular expressions for SQL/Polars (POSIX/RE2); Python uses the number one
_STARTS_RE = r"^[=+@\t\r-]"
_NUMBER_RE = r"^[+-]?([0-9]+([.,][0-9]+)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER = re.compile(_NUMBER_RE)


def neutralise(value: Any) -> Any:
    """`value` made safe for a spreadsheet cell: formula-like text gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


class SafeCsvWriter:
    """`csv.writer` with every cell neutralised."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)

    @property
    def dialect(self) -> Any:
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(fh, **kwargs)


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def xlsx_bytes(sheet: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """A one-sheet workbook; text cells are neutralised and typed as text (openpyxl would
    otherwise store text starting with `=` as a live formula)."""
    return xlsx_book([(sheet, [header, *rows])])


def xlsx_book(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook of several sheets, each (name, rows) with the rows written as they come
    (a title or header row is just a row); cells as in `xlsx_bytes`."""
    # loaded on first use: openpyxl takes about a second to import, most requests never need it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for name, rows in sheets:
        ws = wb.create_sheet(name[:31])

        def cells(row: Iterable[Any], ws: Any = ws) -> list[Any]:
            out = []
            for value in safe_row(row):
                if isinstance(value, str):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"
                    out.append(cell)
                else:
                    out.append(value)
            return out

        for row in rows:
            ws.append(cells(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def neutralise_sql(column: str) -> str:
    """A DuckDB expression: `column` (quoted identifier or expression) cast to text, with the
    rule of `neutralise`; NULL stays NULL."""
    text = f"CAST({column} AS VARCHAR)"
    return (
        f"CASE WHEN regexp_matches({text}, '{_sql_re(_STARTS_RE)}') "
        f"AND NOT regexp_matches({text}, '{_sql_re(_NUMBER_RE)}') "
        f"THEN '''' || {text} ELSE {text} END"
    )


def _sql_re(pattern: str) -> str:
    # DuckDB string literals take no backslash escapes: put the real tab/CR in the pattern
    return pattern.replace(r"\t", "\t").replace(r"\r", "\r").replace("'", "''")


def neutralise_frame(frame: Any) -> Any:
    """A Polars DataFrame with the rule of `neutralise` applied to its text columns."""
    import polars as pl  # loaded on first use: a heavy import most processes never need

    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Utf8:
            col = pl.col(name)
            risky = col.str.contains(_STARTS_RE) & ~col.str.contains(_NUMBER_RE)
            exprs.append(pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(name))
    return frame.with_columns(exprs) if exprs else frame
