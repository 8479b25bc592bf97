"""Local time of a Puskesmas shared by planning, roster and fleet: midnight, seconds, shifts."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from sigap.facilities.models import Facility
from sigap.regions.services import region_zoneinfo_name


def _zone(facility: Facility) -> ZoneInfo:
    return ZoneInfo(region_zoneinfo_name(facility.village_id))


def _midnight(facility: Facility, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone(facility))


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60


def _outside_shift(
    start: datetime | None, end: datetime | None, shift_start: time, shift_end: time
) -> bool:
    """Whether planned times (a visit's, a trip's) fall outside the local shift hours."""
    tz = timezone.get_current_timezone()
    return bool(start and start.astimezone(tz).time() < shift_start) or bool(
        end and end.astimezone(tz).time() > shift_end
    )
