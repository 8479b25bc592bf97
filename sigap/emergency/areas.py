"""Where a call's point lies, which console shows it and which PSC 119 answers for it.

A console (call intake, dispatcher) shows the incidents whose area code starts with its
user's area (the first four digits: a kab/kota, or two for a province; no area means the
deployment's `SIGAP_AREA_CODE`). A point is placed at its nearest kelurahan/desa within
`PLACE_MAX_KM`; the first four digits of that code are the kab/kota where it lies, and the
PSC 119 of that kab/kota is the one responsible for it.

Outside the area (issue 17 and 12) SIGAP never stores an incident that no console shows:

* a call-taker's intake at a point outside the call-taker's area is refused with the nearest
  kelurahan and the responsible PSC named, unless the call-taker confirms it explicitly; it
  is then stored on the call-taker's console, marked out of area, with the responsible PSC;
* a public SOS from a kab/kota that a console serves goes to that console; from a kab/kota
  SIGAP knows but no console serves it is accepted on the nearest console, marked out of
  area with the responsible PSC (the centre relays it - near a border a phone's position is
  often a few hundred metres off, and refusing would drop a real emergency that the
  neighbouring PSC can act on); from a point SIGAP cannot place at all (no kelurahan within
  `PLACE_MAX_KM`: another province, the sea) it is refused and the caller is told to dial
  112, which the phone network routes to the local centre - no console here could act on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from sigap.core.models import Role
from sigap.core.services import Actor
from sigap.core.travel import haversine_km
from sigap.regions.models import Region

PLACE_MAX_KM = 15.0
CONSOLE_ROLES = (Role.PSC_CALL_TAKER, Role.DISPATCHER)


def default_area() -> str:
    return (settings.SIGAP_AREA_CODE or "")[:4]


def console_area_of(actor: Actor) -> str:
    """The area prefix of the console the acting user works on (as the pages compute it)."""
    user = actor.user
    return ((user.area_code if user else "") or default_area())[:4]


def console_prefixes() -> list[str]:
    """Area prefixes that some console shows: the deployment's area and the area of every
    active call-taker and dispatcher."""
    from sigap.core.models import User

    default = default_area()
    rows = (
        User.objects.filter(is_active=True, role__in=CONSOLE_ROLES)
        .values_list("area_code", flat=True)
        .distinct()
    )
    return sorted({p for p in {default, *((a or default)[:4] for a in rows)} if p})


def _covered(code: str, prefixes: list[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class Responsible:
    """The PSC 119 responsible for a kab/kota (an Agency row when SIGAP has one)."""

    name: str
    phone: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.phone})" if self.phone else self.name


def responsible_psc(regency_code: str) -> Responsible:
    from .models import Agency

    if not regency_code:
        return Responsible(_("PSC 119 setempat"), "112")
    agency = (
        Agency.objects.filter(kind="psc119", is_active=True, area_code=regency_code[:4])
        .order_by("name")
        .first()
    )
    if agency is not None:
        return Responsible(agency.name, agency.phone)
    regency = Region.objects.filter(code=regency_code[:4]).first()
    name = regency.name if regency else regency_code[:4]
    return Responsible(_("PSC 119 %(area)s") % {"area": name}, "119")


@dataclass(frozen=True)
class Placement:
    village: Region | None  # the kelurahan/desa the point lies in (nearest within PLACE_MAX_KM)
    nearest: Region | None  # the nearest kelurahan/desa SIGAP holds, however far
    nearest_km: float | None
    regency_code: str  # kab/kota of the point ("" when SIGAP cannot place it)
    console_area: str  # the area code the incident is stored under (a console shows it)
    out_of_area: bool

    @property
    def known(self) -> bool:
        return bool(self.regency_code)

    @cached_property
    def responsible(self) -> Responsible:
        # on demand: a call placed inside its area never asks (no queries on that path)
        return responsible_psc(self.regency_code)

    def regency_name(self) -> str:
        if not self.regency_code:
            return ""
        r = Region.objects.filter(code=self.regency_code).first()
        return r.name if r else self.regency_code

    def describe(self) -> str:
        """For the call-taker: where the point lies and who answers for it."""
        if self.nearest is not None:
            kec = self.nearest.parent.name if self.nearest.parent_id else ""
            near = _("kelurahan/desa terdekat %(v)s, %(k)s (%(km)s km)") % {
                "v": self.nearest.name,
                "k": kec,
                "km": f"{self.nearest_km:.1f}".replace(".", ","),
            }
        else:
            near = _("tidak ada kelurahan/desa di dekatnya")
        where = self.regency_name() or _("wilayah yang tidak dikenal SIGAP")
        return _(
            "Lokasi di luar wilayah Anda: %(where)s; %(near)s. PSC yang bertanggung jawab: %(psc)s."
        ) % {"where": where, "near": near, "psc": self.responsible.label}


def _nearest(lat: float, lon: float, prefixes: list[str] | None = None):
    from .services import villages

    index = villages.get()
    if not len(index):
        return None
    mask = None
    if prefixes is not None:
        codes = np.asarray(index.items, dtype="<U10")
        mask = np.zeros(len(codes), dtype=bool)
        for p in prefixes:
            mask |= np.char.startswith(codes, p)
    found = index.nearest(lat, lon, n=1, mask=mask)
    return found[0] if found else None


def place(
    lat: float, lon: float, village: Region | None = None, *, console: str | None = None
) -> Placement:
    """Place a point. `village`: the call's kelurahan/desa when known (chosen, or the one
    `services.validate_incident` found within PLACE_MAX_KM): the point lies there, and no
    second search is made. `console`: the area of the call-taker's console (staff intake);
    None for a public SOS, which goes to whichever console serves the point, else the
    nearest."""
    if village is not None:
        nearest = village
        nearest_km = (
            float(haversine_km(lat, lon, village.latitude, village.longitude))
            if village.latitude is not None
            else 0.0
        )
    else:
        near = _nearest(lat, lon)
        nearest = nearest_km = None
        if near is not None:
            nearest_km = near.distance_km
            nearest = Region.objects.select_related("parent").filter(code=near.item).first()
        if nearest is not None and nearest_km <= PLACE_MAX_KM:
            village = nearest
    regency = village.code[:4] if village is not None else ""
    if console is not None:
        out = not (regency and regency.startswith(console))
        home = console
    else:
        prefixes = console_prefixes()
        if regency and _covered(regency, prefixes):
            out, home = False, regency
        else:
            out = True
            served = _nearest(lat, lon, prefixes)
            home = served.item[:4] if served is not None else default_area()
    return Placement(
        village=village,
        nearest=nearest,
        nearest_km=nearest_km,
        regency_code=regency,
        console_area=home,
        out_of_area=out,
    )
