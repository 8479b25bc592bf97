"""Area settings (response targets, repeat-call window) and placing a point in a village."""

from __future__ import annotations

import threading
import time

from sigap.core.spatial import PointIndex
from sigap.regions.models import Region

from .. import areas
from ..models import AreaSettings


def area_settings(code: str) -> AreaSettings:
    """Settings of the nearest enclosing area that has a row (defaults when none)."""
    code = code or ""
    prefixes = [p for p in {code, code[:4], code[:2]} if p]
    rows = {s.area_code: s for s in AreaSettings.objects.filter(area_code__in=prefixes)}
    for prefix in (code, code[:4], code[:2]):
        if prefix in rows:
            return rows[prefix]
    return AreaSettings(area_code=code[:4])


def is_rural(village: Region | None) -> bool:
    """Desa (and desa adat) count as rural, kelurahan as urban (Kemendagri kind)."""
    return village is not None and village.kind != "kelurahan"


def target_minutes(village: Region | None, area_code: str) -> int:
    s = area_settings(village.code if village else area_code)
    return s.rural_target_min if is_rural(village) else s.urban_target_min


class _VillageIndex:
    """Villages with coordinates, per process, to place a click or a phone's position."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: PointIndex[str] | None = None
        self.count = -1
        self.checked = 0.0

    def get(self) -> PointIndex[str]:
        now = time.monotonic()
        if self.index is not None and now - self.checked < 60:
            return self.index
        with self.lock:
            count = Region.objects.filter(level=4, latitude__isnull=False).count()
            if self.index is None or count != self.count:
                rows = list(
                    Region.objects.filter(level=4, latitude__isnull=False).values_list(
                        "code", "latitude", "longitude"
                    )
                )
                self.index = PointIndex(
                    [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
                )
                self.count = count
            self.checked = now
            return self.index

    def reset(self) -> None:
        with self.lock:
            self.index, self.count = None, -1


villages = _VillageIndex()


def nearest_village(lat: float, lon: float, max_km: float = areas.PLACE_MAX_KM) -> Region | None:
    """The kelurahan/desa whose centre is nearest to a point (None when none is close)."""
    found = villages.get().nearest(lat, lon, n=1)
    if not found or found[0].distance_km > max_km:
        return None
    return Region.objects.filter(code=found[0].item).first()
