"""The report's downloads: one table as CSV or XLSX, the whole report as one workbook (a sheet
per table), and the monthly PDF for the head of the office (fpdf2).

The PDF uses fpdf2's core Helvetica, whose encoding is latin-1: text is made latin-1-safe
(arrows and dashes spelt in ASCII) rather than embedding a font from another package."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from sigap.core import exports

from .reports import Report, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ASCII = str.maketrans({"→": "->", "–": "-", "—": "-", "≥": ">=", "≤": "<=", "…": "..."})


def table_csv(table: Table) -> str:
    return exports.csv_text(table.columns, table.rows)


def table_xlsx(table: Table) -> bytes:
    return exports.xlsx_bytes(table.key, table.columns, table.rows)


def report_xlsx(report: Report) -> bytes:
    """Every table on its own sheet (title, header, rows, note), after a cover sheet (area,
    period, generated time); cells formula-safe through sigap.core.exports."""
    sheets = [(_("laporan"), _cover_lines(report))]
    for t in report.tables:
        rows = [[t.title], t.columns, *t.rows]
        if t.note:
            rows.append([t.note])
        sheets.append((t.key, rows))
    return exports.xlsx_book(sheets)


def _cover_lines(report: Report) -> list[list[str]]:
    return [
        [_("Laporan Dinas Kesehatan")],
        [_("Wilayah"), report.scope.name],
        [_("Periode"), report.period.label],
        [_("Dibuat"), f"{timezone.localtime(report.generated_at):%d/%m/%Y %H:%M}"],
    ]


def latin1(text: object) -> str:
    return str(text).translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, latin1(f"{self.footer_text} - {self.page_no()}/{{nb}}"), align="C")


# the key tables of the monthly report, in order
MONTHLY_TABLES = (
    "response_phases", "response_triage", "referral_summary", "referral_hospitals",
    "bed_occupancy", "bed_trust", "homecare_visits", "trips", "jkn", "nutrition", "kia",
)  # fmt: skip


def monthly_pdf(report: Report) -> bytes:
    """The monthly report as an A4 landscape PDF: title, area, period, the key tables and
    the time it was generated."""
    pdf = _Pdf(orientation="L", format="A4")
    generated = f"{timezone.localtime(report.generated_at):%d/%m/%Y %H:%M}"
    pdf.footer_text = _("SIGAP · dibuat %(t)s") % {"t": generated}
    pdf.set_title(latin1(_("Laporan bulanan Dinas Kesehatan")))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, latin1(_("Laporan bulanan Dinas Kesehatan")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in _cover_lines(report)[1:]:
        pdf.cell(0, 6, latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    for key in MONTHLY_TABLES:
        table = report.table(key)
        if table is not None:
            _pdf_table(pdf, table)
    return bytes(pdf.output())


def _pdf_table(pdf: FPDF, table: Table) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, latin1(table.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=7)
    if not table.rows:
        pdf.cell(0, 5, latin1(_("Tidak ada data pada periode ini.")), new_x="LMARGIN", new_y="NEXT")
        return
    first = 2.2 if len(table.columns) > 2 else 1
    widths = [first] + [1] * (len(table.columns) - 1)
    scale = pdf.epw / sum(widths)
    with pdf.table(
        col_widths=[w * scale for w in widths], text_align="LEFT", line_height=4, width=pdf.epw
    ) as grid:
        head = grid.row()
        for c in table.columns:
            head.cell(latin1(c))
        for row in table.rows:
            r = grid.row()
            for value in row:
                r.cell(latin1(value))
    if table.note:
        pdf.set_font("Helvetica", "I", 7)
        pdf.multi_cell(0, 4, latin1(table.note), new_x="LMARGIN", new_y="NEXT")
