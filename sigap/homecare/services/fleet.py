"""The fleet of Jemput Sakit Antar Sehat: vehicles and drivers of a Puskesmas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip, max_length
from sigap.facilities.models import Facility

from ..models import Driver, TransportTrip, TransportVehicle, TripStatus
from ._input import PHONE_RE, _clean
from ._local_time import _outside_shift
from .access import require_staff
from .flows import TRIPS, _set_active

PLATE_RE = re.compile(r"^[A-Z]{1,2} ?[0-9]{1,4}( ?[A-Z]{1,3})?$")
FLEET_OPEN_TRIPS = (TripStatus.SCHEDULED,)


@dataclass
class VehicleInput:
    name: str
    plate: str = ""
    seats: int = 1


@dataclass
class DriverInput:
    name: str
    shift_start: time
    shift_end: time
    phone: str = ""


def _unschedule(actor: Actor, trips: QuerySet[TransportTrip], reason: str) -> int:
    """Scheduled trips (of `trips`) from today back to `unscheduled` for the next schedule.
    A trip picked up meanwhile keeps going."""
    moved = TRIPS.move_many(
        actor, trips.filter(status__in=FLEET_OPEN_TRIPS, date__gte=timezone.localdate()),
        TripStatus.UNSCHEDULED, reason=reason,
        changes={
            "status_reason": clip(reason, TransportTrip, "status_reason"),
            "vehicle": None, "driver": None, "planned_pickup": None, "planned_dropoff": None,
        },
    )  # fmt: skip
    return len(moved)


def save_vehicle(
    actor: Actor, facility: Facility, data: VehicleInput, vehicle: TransportVehicle | None = None
) -> TransportVehicle:
    """Add a vehicle to the Puskesmas's Jemput Sakit Antar Sehat fleet, or edit one. Fewer
    seats than before take its scheduled trips back to `unscheduled`."""
    require_staff(actor, facility)
    name = _clean(data.name, "name", _("Nama"), max_length(TransportVehicle, "name"))
    plate = _clean(
        data.plate, "plate", _("Nomor polisi"), max_length(TransportVehicle, "plate"), False
    ).upper()
    if plate and not PLATE_RE.match(plate):
        raise InvalidInput(_("Nomor polisi tidak sah (mis. H 1234 AB)."), field="plate")
    try:
        seats = int(data.seats)
    except (TypeError, ValueError):
        raise InvalidInput(_("Harus bilangan bulat."), field="seats") from None
    if not 1 <= seats <= 12:
        raise InvalidInput(_("Tempat duduk pasien 1 sampai 12."), field="seats")
    with transaction.atomic():
        if vehicle is None:
            vehicle = TransportVehicle.objects.create(
                facility=facility, name=name, plate=plate, seats=seats
            )
            record_audit(actor, "vehicle.create", vehicle, after={"name": name, "seats": seats})
            return vehicle
        vehicle = (
            TransportVehicle.objects.select_for_update(of=("self",))
            .order_by()
            .get(pk=vehicle.pk, facility=facility)
        )
        before = {"name": vehicle.name, "plate": vehicle.plate, "seats": vehicle.seats}
        vehicle.name, vehicle.plate, vehicle.seats = name, plate, seats
        vehicle.save()
        moved = 0
        if seats < before["seats"]:
            moved = _unschedule(actor, vehicle.trips.all(), _("kursi armada berkurang"))
        record_audit(actor, "vehicle.update", vehicle, before=before,
                     after={"name": name, "plate": plate, "seats": seats,
                            "unscheduled_trips": moved})  # fmt: skip
    return vehicle


def save_driver(
    actor: Actor, facility: Facility, data: DriverInput, driver: Driver | None = None
) -> Driver:
    """Add a driver or edit one (name, phone, shift). Scheduled trips outside a changed
    shift go back to `unscheduled`."""
    require_staff(actor, facility)
    name = _clean(data.name, "name", _("Nama"), max_length(Driver, "name"))
    phone = _clean(data.phone, "phone", _("Telepon"), max_length(Driver, "phone"), False)
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(_("Nomor telepon tidak sah."), field="phone")
    if data.shift_start >= data.shift_end:
        raise InvalidInput(_("Jam mulai shift harus sebelum jam selesai."), field="shift_end")
    with transaction.atomic():
        if driver is None:
            driver = Driver.objects.create(
                facility=facility, name=name, phone=phone, shift_start=data.shift_start,
                shift_end=data.shift_end,
            )  # fmt: skip
            record_audit(
                actor,
                "driver.create",
                driver,
                after={"name": name, "shift": f"{data.shift_start}-{data.shift_end}"},
            )
            return driver
        driver = (
            Driver.objects.select_for_update(of=("self",))
            .order_by()
            .get(pk=driver.pk, facility=facility)
        )
        before = {"name": driver.name, "phone": driver.phone,
                  "shift": f"{driver.shift_start}-{driver.shift_end}"}  # fmt: skip
        driver.name, driver.phone = name, phone
        driver.shift_start, driver.shift_end = data.shift_start, data.shift_end
        driver.save()
        outside = [
            t.pk
            for t in driver.trips.filter(status__in=FLEET_OPEN_TRIPS)
            if _outside_shift(t.planned_pickup, t.planned_dropoff, data.shift_start, data.shift_end)
        ]
        moved = _unschedule(
            actor, TransportTrip.objects.filter(pk__in=outside), _("di luar shift pengemudi")
        )
        record_audit(actor, "driver.update", driver, before=before,
                     after={"name": name, "phone": phone,
                            "shift": f"{data.shift_start}-{data.shift_end}",
                            "unscheduled_trips": moved})  # fmt: skip
    return driver


def set_fleet_active(
    actor: Actor, item: TransportVehicle | Driver, active: bool
) -> TransportVehicle | Driver:
    """Deactivate or reactivate a vehicle or a driver (compare-and-set). The schedule uses
    only active ones; the scheduled trips of a deactivated one go back to `unscheduled`."""
    require_staff(actor, item.facility)
    model = type(item)
    kind = model._meta.model_name
    with transaction.atomic():
        _set_active(model, item.pk, active, _("Sudah aktif.") if active else _("Sudah nonaktif."))
        moved = 0
        if not active:
            moved = _unschedule(actor, item.trips.all(), _("armada/pengemudi nonaktif"))
        record_audit(
            actor, f"{kind}.{'activate' if active else 'deactivate'}", item,
            before={"is_active": not active},
            after={"is_active": active, "unscheduled_trips": moved},
        )  # fmt: skip
    item.refresh_from_db()
    return item
