"""Import of e-PPGBM export files (CSV or XLSX, with e-PPGBM's column names).

Every row is checked first; a row with an error is rejected with the reason (row number,
column, message) and nothing of it is written; the accepted rows are written in one
transaction. The z-scores in the file (ZS BB/U, ...) are ignored: SIGAP computes its own.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.core.errors import InvalidInput, SigapError
from sigap.core.models import AuditEvent, Role
from sigap.core.services import Actor, record_audit, require_role
from sigap.core.text import clip
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from . import services
from .models import Child, Measurement

# e-PPGBM header -> our key; headers are matched without case, spaces and punctuation
COLUMNS = {
    "nik": "nik",
    "nama": "name",
    "namaanak": "name",
    "jk": "sex",
    "jeniskelamin": "sex",
    "tgllahir": "birth_date",
    "tanggallahir": "birth_date",
    "bblahir": "birth_weight",
    "tblahir": "birth_length",
    "namaortu": "parent_name",
    "nikortu": "mother_nik",
    "nikibu": "mother_nik",
    "prov": "province",
    "kabkota": "regency",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "puskesmas": "puskesmas",
    "desakel": "kelurahan",
    "kelurahan": "kelurahan",
    "posyandu": "posyandu",
    "rt": "rt",
    "rw": "rw",
    "alamat": "address",
    "usiasaatukur": "age_text",
    "tanggalpengukuran": "measured_on",
    "tglpengukuran": "measured_on",
    "berat": "weight",
    "tinggi": "length",
    "caraukur": "position",
    "lila": "muac",
}
REQUIRED = ("name", "sex", "birth_date", "kelurahan", "measured_on")
# Limits checked before a file is read (an XLSX is a zip: a 1 MB file can expand to a
# million rows). Each can be overridden in settings (SIGAP_EPPGBM_MAX_*).
MAX_ROWS = 100_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_XLSX_RATIO = 100  # uncompressed / compressed size of one zip member
TITLE_LINES = 20  # lines an e-PPGBM export may carry before its header
POSITIONS = {"berdiri": "H", "h": "H", "terlentang": "L", "telentang": "L", "l": "L", "": ""}


def _norm(header: Any) -> str:
    return re.sub(r"[^a-z]", "", str(header or "").lower())


@dataclass
class Rejection:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    children_created: int = 0
    measurements_created: int = 0
    measurements_replaced: int = 0
    cases_opened: int = 0

    def rejections_csv(self) -> str:
        out = io.StringIO()
        w = exports.csv_writer(out)
        w.writerow(["baris", "kolom", "alasan"])
        for r in self.rejected:
            w.writerow([r.row, r.column, r.message])
        return out.getvalue()


class ImportFileError(SigapError):
    status = 422
    code = "invalid_file"


# --- reading -----------------------------------------------------------------------------------


def limit(name: str) -> int:
    """A file limit (MAX_ROWS, MAX_UPLOAD_BYTES, ...), overridable as SIGAP_EPPGBM_<NAME>."""
    return int(getattr(settings, f"SIGAP_EPPGBM_{name}", globals()[name]))


def too_big() -> ImportFileError:
    return ImportFileError(
        _("Berkas terlalu besar (maksimum %(size)s).")
        % {"size": filesizeformat(limit("MAX_UPLOAD_BYTES"))},
        field="file",
    )


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        _("Berkas terlalu besar (maksimum %(n)d baris).") % {"n": limit("MAX_ROWS")},
        field="file",
    )


def read_rows(stream: IO[bytes], filename: str) -> list[dict[str, Any]]:
    """The file's rows as dicts keyed by our names (unknown columns dropped). Size, rows and
    (for XLSX) the decompressed size are limited before and while reading: rows are
    streamed and reading stops at the first row past the limit."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        table = _read_xlsx(stream)
    elif name.endswith((".csv", ".txt")):
        table = _read_csv(stream)
    else:
        raise ImportFileError(_("Format berkas harus CSV atau XLSX."), field="file")
    if not table:
        raise ImportFileError(_("Berkas kosong."), field="file")
    header = [COLUMNS.get(_norm(h), "") for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(
            _("Kolom e-PPGBM tidak ada: %(cols)s.") % {"cols": ", ".join(missing)}, field="file"
        )
    if len(table) - 1 > limit("MAX_ROWS"):
        raise _too_many_rows()
    rows = []
    for values in table[1:]:
        if all(v in (None, "") for v in values):
            rows.append({})
            continue
        rows.append({k: v for k, v in zip(header, values, strict=False) if k})
    return rows


def _read_bytes(stream: IO[bytes]) -> bytes:
    """At most MAX_UPLOAD_BYTES of the upload (one byte more tells that it is too big)."""
    cap = limit("MAX_UPLOAD_BYTES")
    size = getattr(stream, "size", None)
    if isinstance(size, int) and size > cap:
        raise too_big()
    raw = stream.read(cap + 1)
    if len(raw) > cap:
        raise too_big()
    return raw


def _capped(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """The rows as lists, read one by one and stopped at the first past the limit (header +
    MAX_ROWS rows, plus the title lines an export may carry before its header)."""
    most = limit("MAX_ROWS") + TITLE_LINES + 1
    table = []
    for row in rows:
        table.append(list(row))
        if len(table) > most:
            raise _too_many_rows()
    return table


def _read_csv(stream: IO[bytes]) -> list[list[str]]:
    raw = _read_bytes(stream)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return _capped(csv.reader(io.StringIO(text), delimiter=delimiter))


def _check_zip(raw: bytes) -> None:
    """Refuse a workbook whose members would expand past the limits, before openpyxl
    decompresses anything (zipfile never inflates a member past its declared size)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportFileError(_("Berkas XLSX tidak dapat dibaca."), field="file") from exc
    total = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > limit("MAX_XLSX_UNCOMPRESSED_BYTES") or ratio > limit("MAX_XLSX_RATIO"):
        raise ImportFileError(
            _("Isi berkas XLSX terlalu besar setelah dibuka; bagi menjadi beberapa berkas."),
            field="file",
        )


def _read_xlsx(stream: IO[bytes]) -> list[list[Any]]:
    from openpyxl import load_workbook  # loaded for XLSX files only (about 1 s to import)

    raw = _read_bytes(stream)
    _check_zip(raw)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's file
        raise ImportFileError(_("Berkas XLSX tidak dapat dibaca."), field="file") from exc
    try:
        # streamed (read-only mode)
        table = _capped(wb.worksheets[0].iter_rows(values_only=True))
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet is the user's file
        raise ImportFileError(_("Berkas XLSX tidak dapat dibaca."), field="file") from exc
    finally:
        wb.close()
    # e-PPGBM exports may start with title lines: the header is the first row naming NIK/Nama
    for i, row in enumerate(table[:TITLE_LINES]):
        names = {COLUMNS.get(_norm(v)) for v in row}
        if {"name", "birth_date"} <= names:
            return table[i:]
    return table


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = _text(v)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, int | float):
        return float(v)
    s = _text(v).replace(",", ".")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        raise ValueError(s) from None


# --- checking and writing ----------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    child: services.ChildInput
    measurement: services.MeasurementInput


class _Places:
    """Kelurahan and posyandu by name, within the importing user's area."""

    def __init__(self, area: str):
        self.kel: dict[tuple[str, str], str] = {}
        self.kel_any: dict[str, list[str]] = {}
        kec_names = dict(
            Region.objects.filter(level=3, code__startswith=area).values_list("code", "name")
        )
        for code, name in Region.objects.filter(level=4, code__startswith=area).values_list(
            "code", "name"
        ):
            key = _norm(name)
            self.kel[(_norm(kec_names.get(code[:6], "")), key)] = code
            self.kel_any.setdefault(key, []).append(code)
        self.posyandu: dict[tuple[str, str], Facility] = {}
        for f in Facility.objects.filter(kind_id=Kind.POSYANDU, village__code__startswith=area):
            self.posyandu[(f.village_id, _norm(f.name))] = f
            self.posyandu.setdefault(("", _norm(f.name)), f)

    def kelurahan(self, kec: str, name: str) -> str | None:
        code = self.kel.get((_norm(kec), _norm(name)))
        if code:
            return code
        matches = self.kel_any.get(_norm(name), [])
        return matches[0] if len(matches) == 1 else None

    def find_posyandu(self, kel: str, name: str) -> Facility | None:
        key = _norm(name)
        if not key:
            return None
        if not key.startswith("posyandu"):
            hit = self.posyandu.get((kel, "posyandu" + key))
            if hit:
                return hit
        return self.posyandu.get((kel, key))


def check_rows(
    actor: Actor, rows: list[dict[str, Any]], report: ImportReport, area: str
) -> list[_Row]:
    places = _Places(area)
    user = actor.user
    today = services._today()
    good: list[_Row] = []
    for i, r in enumerate(rows, start=2):  # row 1 is the header
        if not r:
            continue
        report.rows += 1

        def reject(column: str, message: str, i: int = i) -> None:
            report.rejected.append(Rejection(i, column, message))

        kel = places.kelurahan(_text(r.get("kecamatan")), _text(r.get("kelurahan")))
        if kel is None:
            reject(
                "Desa/Kel",
                _("Kelurahan/desa “%(n)s” tidak dikenal di wilayah ini.")
                % {"n": _text(r.get("kelurahan"))},
            )
            continue
        if (
            user is not None
            and not user.is_superuser
            and not services.can_access_kelurahan(user, kel)
        ):
            reject("Desa/Kel", _("Kelurahan ini di luar wilayah kerja Anda."))
            continue
        birth = _date(r.get("birth_date"))
        if birth is None:
            reject("Tgl Lahir", _("Tanggal lahir tidak sah."))
            continue
        on = _date(r.get("measured_on"))
        if on is None:
            reject("Tanggal Pengukuran", _("Tanggal pengukuran tidak sah."))
            continue
        sex = {"l": "L", "1": "L", "p": "P", "2": "P"}.get(_text(r.get("sex")).lower()[:1])
        if sex is None:
            reject("JK", _("Jenis kelamin harus L atau P."))
            continue
        position = POSITIONS.get(_text(r.get("position")).lower())
        if position is None:
            reject("Cara Ukur", _("Cara ukur harus Berdiri atau Terlentang."))
            continue
        try:
            weight, length = _number(r.get("weight")), _number(r.get("length"))
            muac = _number(r.get("muac"))
            bw, bl = _number(r.get("birth_weight")), _number(r.get("birth_length"))
        except ValueError as exc:
            reject("Berat/Tinggi/LiLA", _("Bukan angka: %(v)s") % {"v": exc})
            continue
        if bw is not None and bw > 100:
            bw = bw / 1000  # birth weight given in grams
        if muac is not None and muac > 50:
            muac = muac / 10  # MUAC given in millimetres
        posyandu = places.find_posyandu(kel, _text(r.get("posyandu")))
        if posyandu is None and _text(r.get("posyandu")):
            report.warnings.append(
                Rejection(
                    i,
                    "Posyandu",
                    _("Posyandu “%(n)s” belum terdaftar; anak dicatat tanpa posyandu.")
                    % {"n": _text(r.get("posyandu"))},
                )
            )
        child = services.ChildInput(
            name=_text(r.get("name")),
            sex=sex,
            birth_date=birth,
            kelurahan_code=kel,
            nik=_text(r.get("nik")),
            mother_nik=_text(r.get("mother_nik")),
            parent_name=_text(r.get("parent_name")),
            birth_weight_kg=bw or None,
            birth_length_cm=bl or None,
            posyandu=posyandu,
            address=_text(r.get("address")),
            rt=clip(_text(r.get("rt")), Child, "rt"),
            rw=clip(_text(r.get("rw")), Child, "rw"),
        )
        m = services.MeasurementInput(on, weight or None, length or None, position, muac or None)
        try:
            child = _check_child(child, today)
            probe = Child(sex=sex, birth_date=birth)
            services.validate_measurement(probe, m, today)
        except InvalidInput as exc:
            reject(FIELD_COLUMNS.get(exc.field or "", exc.field or ""), str(exc.message))
            continue
        good.append(_Row(i, child, m))
    return good


FIELD_COLUMNS = {
    "nik": "NIK",
    "mother_nik": "NIK Ortu",
    "name": "Nama",
    "sex": "JK",
    "birth_date": "Tgl Lahir",
    "birth_weight_kg": "BB Lahir",
    "birth_length_cm": "TB Lahir",
    "measured_on": "Tanggal Pengukuran",
    "weight_kg": "Berat",
    "length_cm": "Tinggi",
    "muac_cm": "LiLA",
    "position": "Cara Ukur",
    "kelurahan_code": "Desa/Kel",
}


def _check_child(data: services.ChildInput, today: date) -> services.ChildInput:
    """validate_child without the per-row region query (the kelurahan is already known)."""
    data = services.ChildInput(**{**data.__dict__})
    if not data.name:
        raise InvalidInput(_("Nama anak wajib diisi."), field="name")
    if data.birth_date > today:
        raise InvalidInput(_("Tanggal lahir tidak sah."), field="birth_date")
    for attr in ("nik", "mother_nik"):
        value = getattr(data, attr)
        if value:
            try:
                setattr(data, attr, validate_nik(value, check_region=False, today=today).nik)
            except InvalidInput as exc:
                raise InvalidInput(exc.message, field=attr) from None
    return data


def import_eppgbm(
    actor: Actor, stream: IO[bytes], filename: str, *, area: str | None = None
) -> ImportReport:
    """Check and import one e-PPGBM export; returns the report (rejections included)."""
    require_role(actor, Role.PUSKESMAS_STAFF)
    user = actor.user
    area = area if area is not None else (user.area_code if user else "")
    report = ImportReport()
    rows = read_rows(stream, filename)
    good = check_rows(actor, rows, report, area)
    if not good:
        return report
    with transaction.atomic():
        by_nik, by_key = _existing_children(good)
        new: dict[tuple, services.ChildInput] = {}
        for row in good:
            c = row.child
            key = (c.nik,) if c.nik else (c.name.lower(), c.birth_date, c.kelurahan_code)
            if (c.nik and c.nik in by_nik) or (not c.nik and key in by_key) or key in new:
                continue
            new[key] = c
        if new:
            services.create_children_bulk(actor, list(new.values()), label=Path(filename).name)
        report.children_created = len(new)
        by_nik, by_key = _existing_children(good)
        bulk: list[services.BulkRow] = []
        for row in good:
            c = row.child
            child = (
                by_nik.get(c.nik)
                if c.nik
                else by_key.get((c.name.lower(), c.birth_date, c.kelurahan_code))
            )
            if child.sex != c.sex or child.birth_date != c.birth_date:
                report.rejected.append(
                    Rejection(
                        row.number,
                        "NIK",
                        _("NIK sudah terdaftar dengan jenis kelamin atau tanggal lahir lain."),
                    )
                )
                continue
            age = (row.measurement.measured_on - child.birth_date).days
            bulk.append(services.BulkRow(child, row.measurement, age))
        created, replaced, cases = services.record_measurements_bulk(
            actor, bulk, source=Measurement.Source.EPPGBM
        )
        report.accepted = len(bulk)
        report.measurements_created, report.measurements_replaced = created, replaced
        report.cases_opened = len(cases)
        record_audit(
            actor,
            "eppgbm.import",
            object_type="nutrition.import",
            object_id=clip(filename, AuditEvent, "object_id"),
            object_label=clip(Path(filename).name, AuditEvent, "object_label"),
            after={
                "rows": report.rows,
                "accepted": report.accepted,
                "rejected": len(report.rejected),
                "children_created": report.children_created,
            },
        )
    report.rejected.sort(key=lambda r: r.row)
    return report


def _existing_children(rows: list[_Row]) -> tuple[dict[str, Child], dict[tuple, Child]]:
    niks = list({r.child.nik for r in rows if r.child.nik})
    by_nik: dict[str, Child] = {}
    for start in range(0, len(niks), 900):
        for c in Child.objects.filter(nik__in=niks[start : start + 900]):
            by_nik[c.nik] = c
    names = {r.child.name for r in rows if not r.child.nik}
    by_key: dict[tuple, Child] = {}
    if names:
        kels = {r.child.kelurahan_code for r in rows if not r.child.nik}
        for c in Child.objects.filter(nik="", kelurahan_id__in=kels, name__in=list(names)[:5000]):
            by_key[(c.name.lower(), c.birth_date, c.kelurahan_id)] = c
    return by_nik, by_key
