"""Report periods: a month, a quarter, a year or a custom range of local days, with their
bounds as aware datetimes in the deployment's zone (Asia/Jakarta by default)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput

KINDS = ("bulan", "triwulan", "tahun", "rentang")
MIN_YEAR, MAX_YEAR = 2000, 2100  # outside these a period is a typo
MAX_RANGE_DAYS = 366 * 3  # a longer custom range is refused (the yearly report is the big one)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day
    last: date  # last local day (inclusive)
    value: str  # what the picker sent back ("2026-03", "2026-Q1", "2026", "a..b")
    today: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def in_progress(self) -> bool:
        return self.first <= self.today <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def months(self) -> list[date]:
        out, m = [], self.first.replace(day=1)
        while m <= self.last:
            out.append(m)
            m = (m + timedelta(days=32)).replace(day=1)
        return out

    @property
    def label(self) -> str:
        if self.kind == "bulan":
            text = f"{MONTHS[self.first.month]} {self.first.year}"
        elif self.kind == "triwulan":
            text = _("Triwulan %(q)s %(y)s") % {"q": (self.first.month - 1) // 3 + 1,
                                                "y": self.first.year}  # fmt: skip
        elif self.kind == "tahun":
            text = _("Tahun %(y)s") % {"y": self.first.year}
        else:
            text = f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"
        return f"{text} ({_('berjalan')})" if self.in_progress else text


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone())


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _bad(field: str) -> InvalidInput:
    return InvalidInput(_("Periode tidak dikenali."), field=field)


def parse_period(kind: str, value: str, today: date, *, since: str = "", until: str = "") -> Period:
    """The period the picker asked for; empty `value` is the current one. A malformed or
    impossible period is a 422 on the field that was wrong (never a 500)."""
    kind = kind or "bulan"
    if kind not in KINDS:
        raise _bad("periode")
    value = (value or "").strip()
    try:
        if kind == "bulan":
            m = _MONTH.match(value or f"{today:%Y-%m}")
            if not m:
                raise _bad("bulan")
            first = date(int(m[1]), int(m[2]), 1)
            if not MIN_YEAR <= first.year <= MAX_YEAR:
                raise _bad("bulan")
            return Period(kind, first, _month_end(first), f"{first:%Y-%m}", today)
        if kind == "triwulan":
            m = _QUARTER.match(value or f"{today.year}-Q{(today.month - 1) // 3 + 1}")
            if not m:
                raise _bad("triwulan")
            first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
            if not MIN_YEAR <= first.year <= MAX_YEAR:
                raise _bad("triwulan")
            last = _month_end(first.replace(month=first.month + 2))
            return Period(kind, first, last, f"{first.year}-Q{m[2]}", today)
        if kind == "tahun":
            m = _YEAR.match(value or str(today.year))
            if not m:
                raise _bad("tahun")
            year = int(m[1])
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise _bad("tahun")
            return Period(kind, date(year, 1, 1), date(year, 12, 31), str(year), today)
        first = date.fromisoformat((since or "").strip())
        last = date.fromisoformat((until or "").strip())
    except (ValueError, OverflowError) as exc:
        raise _bad("dari" if kind == "rentang" else kind) from exc
    if first.year < MIN_YEAR or last.year > MAX_YEAR:
        raise _bad("dari")
    if last < first:
        raise InvalidInput(_("Tanggal akhir sebelum tanggal awal."), field="sampai")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(_("Rentang terlalu panjang (paling lama 3 tahun)."), field="sampai")
    return Period(kind, first, last, f"{first}..{last}", today)


def month_period(value: str, today: date) -> Period:
    return parse_period("bulan", value, today)
