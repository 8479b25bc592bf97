"""Access operations: the only code that writes the access app's data.

Today that is the population the health office uploads per kelurahan (CSV or XLSX, kelurahan
code and population): all rows or none, with a row-level refusal report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit, require_area, require_role
from sigap.regions.models import Region

from .models import PopulationFigure, PopulationUpload

OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
# the most populous kelurahan/desa have a few hundred thousand residents
MAX_KELURAHAN_POPULATION = 2_000_000
CODE_HEADERS = ("kode", "kode_kelurahan", "kode_wilayah", "kelurahan_code", "code", "kode_desa")
POPULATION_HEADERS = ("penduduk", "jumlah_penduduk", "populasi", "population", "jumlah")
_THOUSANDS = re.compile(r"^[0-9]{1,3}([.,][0-9]{3})+$")


def require_office(actor: Actor) -> None:
    """Analysts and admins; the command line and system jobs (the demo) are trusted."""
    if actor.user is None and actor.channel in (Channel.CLI, Channel.SYSTEM):
        return
    require_role(actor, *OFFICE_ROLES)


@dataclass(frozen=True)
class Rejection:
    line: int  # line of the file (the header is line 1)
    code: str
    reason: str


class PopulationRefused(InvalidInput):
    """The file was refused as a whole; `rejections` names every refused row."""

    def __init__(self, message: str, rejections: list[Rejection]):
        super().__init__(message, field="file", code="rows_refused")
        self.rejections = rejections

    def as_dict(self) -> dict:
        return super().as_dict() | {
            "rejections": [
                {"line": r.line, "code": r.code, "reason": r.reason} for r in self.rejections
            ]
        }


def _header_key(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_")


def _table_rows(filename: str, content: bytes) -> list[list[str]]:
    """The file's rows as text cells (first row = header); CSV (comma or semicolon) or XLSX."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
            raise InvalidInput(_("Berkas XLSX tidak dapat dibaca."), field="file") from None
        sheet = wb.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                           else str(v)) for v in row]  # fmt: skip
            rows.append(cells)
            if len(rows) > MAX_ROWS + 1:
                break
        wb.close()
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("Berkas CSV harus berkodean UTF-8."), field="file") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _population(value: str) -> int | None:
    value = value.strip().replace(" ", "")
    if _THOUSANDS.fullmatch(value):
        value = value.replace(".", "").replace(",", "")
    if not value.isdigit():
        return None
    return int(value)


def parse_population_file(
    filename: str, content: bytes, area_code: str
) -> tuple[dict[str, int], list[Rejection]]:
    """kelurahan code -> population from an uploaded file, and the refused rows."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(_("Berkas terlalu besar (paling besar 5 MB)."), field="file")
    rows = [r for r in _table_rows(filename, content) if any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(_("Berkas kosong."), field="file")
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput(_("Terlalu banyak baris (paling banyak 100.000)."), field="file")
    header = [_header_key(c) for c in rows[0]]
    code_col = next((header.index(h) for h in CODE_HEADERS if h in header), None)
    pop_col = next((header.index(h) for h in POPULATION_HEADERS if h in header), None)
    if code_col is None or pop_col is None:
        raise InvalidInput(
            _("Baris pertama harus berisi judul kolom 'kode' dan 'penduduk'."), field="file"
        )
    codes = {
        re.sub(r"[.\s]", "", r[code_col]) if len(r) > code_col else "" for r in rows[1:]
    }  # fmt: skip
    known = set(
        Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    figures: dict[str, int] = {}
    rejections: list[Rejection] = []
    for line, row in enumerate(rows[1:], start=2):
        raw_code = row[code_col].strip() if len(row) > code_col else ""
        code = re.sub(r"[.\s]", "", raw_code)
        value = _population(row[pop_col]) if len(row) > pop_col else None
        if not re.fullmatch(r"[0-9]{10}", code):
            reason = _("Kode kelurahan harus 10 digit.")
        elif code not in known:
            reason = _("Kode kelurahan tidak dikenal.")
        elif area_code and not code.startswith(area_code):
            reason = _("Kelurahan di luar wilayah Anda.")
        elif code in figures:
            reason = _("Kelurahan ini muncul lebih dari sekali.")
        elif value is None:
            reason = _("Jumlah penduduk harus bilangan bulat tidak negatif.")
        elif value > MAX_KELURAHAN_POPULATION:
            reason = _("Jumlah penduduk tidak wajar untuk satu kelurahan.")
        else:
            figures[code] = value
            continue
        rejections.append(Rejection(line, raw_code[:20], reason))
    if not figures and not rejections:
        raise InvalidInput(_("Berkas tidak berisi baris data."), field="file")
    return figures, rejections


def import_population(
    actor: Actor, filename: str, content: bytes, area_code: str, *, synthetic: bool = False
) -> PopulationUpload:
    """Store the population per kelurahan of an uploaded file: every row or none.

    A file with any refused row raises PopulationRefused (with every refused row) and writes
    nothing. The same file uploaded again over the latest upload of the area changes nothing
    and answers that upload."""
    require_office(actor)
    if actor.user is not None and area_code:
        require_area(actor, area_code)
    if actor.user is not None and not area_code and actor.user.area_code:
        area_code = actor.user.area_code
    figures, rejections = parse_population_file(filename, content, area_code)
    if rejections:
        raise PopulationRefused(
            _("%(n)d baris ditolak; tidak ada yang disimpan.") % {"n": len(rejections)},
            rejections,
        )
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        latest = PopulationUpload.objects.filter(area_code=area_code).select_for_update().first()
        if latest is not None and latest.content_sha256 == digest:
            return latest
        upload = PopulationUpload.objects.create(
            area_code=area_code,
            filename=filename[-255:],
            content_sha256=digest,
            row_count=len(figures),
            total_population=sum(figures.values()),
            uploaded_by=actor.user,
            is_synthetic=synthetic,
        )
        PopulationFigure.objects.bulk_create(
            [PopulationFigure(upload=upload, kelurahan_id=c, population=p)
             for c, p in figures.items()],
            batch_size=2000,
        )  # fmt: skip
        record_audit(
            actor,
            "access.population.upload",
            upload,
            after={
                "filename": upload.filename,
                "area_code": area_code,
                "rows": upload.row_count,
                "total_population": upload.total_population,
            },
        )
    return upload
