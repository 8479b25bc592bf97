"""Jemput Sakit Antar Sehat: trips to and from a facility and the day's schedule of the cars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput, NotAuthenticated
from sigap.core.services import Actor, Channel, record_audit
from sigap.core.text import max_length
from sigap.core.travel import get_estimator
from sigap.facilities.models import Facility
from sigap.regions.services import mask_nik, validate_nik

from .. import planning, routing
from ..models import Driver, TransportTrip, TransportVehicle, TripStatus
from ._input import _clean, _position, _village
from ._local_time import _midnight, _secs
from .access import require_staff
from .flows import move_trip
from .intake import puskesmas_for

PICKUP_SERVICE_S = 10 * 60  # help the patient into the car
DROPOFF_SERVICE_S = 5 * 60


@dataclass
class TripInput:
    direction: str
    destination_id: int
    nik: str
    name: str
    phone: str
    address: str
    village_code: str
    date: date
    appointment_at: datetime | None = None
    ready_at: datetime | None = None
    wheelchair: bool = False
    latitude: float | None = None
    longitude: float | None = None


def create_trip(actor: Actor, data: TripInput, *, is_synthetic: bool = False) -> TransportTrip:
    if actor.user is None and actor.channel != Channel.SYSTEM:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if data.direction not in TransportTrip.Direction.values:
        raise InvalidInput(_("Arah perjalanan tidak dikenal."), field="direction")
    info = validate_nik(data.nik)
    name = _clean(data.name, "name", _("Nama"), max_length(TransportTrip, "name"))
    phone = _clean(data.phone, "phone", _("Nomor telepon"), max_length(TransportTrip, "phone"))
    address = _clean(data.address, "address", _("Alamat"), max_length(TransportTrip, "address"))
    village = _village(data.village_code)
    lat, lon = _position(village, data.latitude, data.longitude)
    destination = Facility.objects.filter(pk=data.destination_id, is_active=True).first()
    if destination is None:
        raise InvalidInput(_("Fasilitas tujuan tidak dikenal."), field="destination_id")
    if data.direction == TransportTrip.Direction.TO_FACILITY and data.appointment_at is None:
        raise InvalidInput(_("Jam janji temu wajib diisi."), field="appointment_at")
    if data.direction == TransportTrip.Direction.TO_HOME and data.ready_at is None:
        raise InvalidInput(_("Jam siap pulang wajib diisi."), field="ready_at")
    base = puskesmas_for(village, lat, lon)
    if base is None:
        raise InvalidInput(
            _("Belum ada Puskesmas yang melayani wilayah ini."), field="village_code"
        )
    require_staff(actor, base)
    with transaction.atomic():
        trip = TransportTrip.objects.create(
            base=base, destination=destination, direction=data.direction, nik=info.nik,
            name=name, phone=phone, address=address, village=village, latitude=lat,
            longitude=lon, date=data.date, appointment_at=data.appointment_at,
            ready_at=data.ready_at, wheelchair=data.wheelchair, is_synthetic=is_synthetic,
        )  # fmt: skip
        record_audit(actor, "trip.create", trip, object_label=f"trip {trip.pk}",
                     after={"nik": mask_nik(info.nik), "direction": data.direction})  # fmt: skip
    return trip


def trip_windows(
    trip: TransportTrip, midnight: datetime
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Pick-up and drop-off windows (seconds after midnight).

    To the facility: arrive between 45 and 10 minutes before the appointment, picked up at
    most 2.5 hours before it. Home after discharge: picked up within an hour of being ready,
    home within three hours."""
    if trip.direction == TransportTrip.Direction.TO_FACILITY:
        t = int((trip.appointment_at - midnight).total_seconds())
        return (t - 150 * 60, t - 25 * 60), (t - 45 * 60, t - 10 * 60)
    t = int((trip.ready_at - midnight).total_seconds())
    return (t, t + 60 * 60), (t, t + 180 * 60)


def schedule_transport(actor: Actor, base: Facility, day: date, *, seconds: float = 3.0) -> dict:
    """Build the day's schedule for one Puskesmas's cars: each pick-up before its drop-off,
    both inside their windows, seats respected (a wheelchair takes two), drivers' shifts."""
    require_staff(actor, base)
    midnight = _midnight(base, day)
    trips = list(
        TransportTrip.objects.filter(
            base=base, date=day, status__in=(TripStatus.REQUESTED, TripStatus.UNSCHEDULED,
                                             TripStatus.SCHEDULED)
        ).select_related("destination").order_by("pk")
    )  # fmt: skip
    vehicles = list(TransportVehicle.objects.filter(facility=base, is_active=True).order_by("pk"))
    drivers = list(Driver.objects.filter(facility=base, is_active=True).order_by("pk"))
    crews = list(zip(vehicles, drivers, strict=False))
    lats = [base.latitude]
    lons = [base.longitude]
    legs = []
    for t in trips:
        home = len(lats)
        lats.append(t.latitude)
        lons.append(t.longitude)
        fac = len(lats)
        lats.append(t.destination.latitude)
        lons.append(t.destination.longitude)
        pick_tw, drop_tw = trip_windows(t, midnight)
        if t.direction == TransportTrip.Direction.TO_FACILITY:
            frm, to = home, fac
        else:
            frm, to = fac, home
        legs.append(
            routing.Trip(
                key=t.pk, pickup_location=frm, delivery_location=to, pickup_tw=pick_tw,
                delivery_tw=drop_tw, pickup_service=PICKUP_SERVICE_S,
                delivery_service=DROPOFF_SERVICE_S, seats=2 if t.wheelchair else 1,
            )
        )  # fmt: skip
    # each driver's shift hours set the car's travel times (planning module docstring)
    shifts = [
        planning.WorkerSpec(i, frozenset(), "car", (_secs(d.shift_start), _secs(d.shift_end)))
        for i, (_v, d) in enumerate(crews)
    ]
    matrices, profile_of = planning.shift_profiles(
        np.array(lats), np.array(lons), shifts, get_estimator(), midnight
    )
    problem = routing.Problem(
        matrices=matrices,
        depots=[routing.DepotSpec(base.pk, 0, 0, 24 * 3600)],
        vehicles=[
            routing.Vehicle(
                key=i,
                depot=0,
                tw_early=_secs(d.shift_start),
                tw_late=_secs(d.shift_end),
                capacity=v.seats,
                profile=profile_of[i],
            )
            for i, (v, d) in enumerate(crews)
        ],  # fmt: skip
        trips=legs,
        coords=list(zip(lons, lats, strict=True)),
    )
    plan = routing.solve(problem, seconds)
    by_pk = {t.pk: t for t in trips}
    scheduled = 0
    with transaction.atomic():
        for route in plan.routes:
            vehicle, driver = crews[route.vehicle]
            pick = {a.key: a for a in route.activities if a.kind == "pickup"}
            drop = {a.key: a for a in route.activities if a.kind == "delivery"}
            for key, act in pick.items():
                trip = by_pk[key]
                fields = {
                    "vehicle": vehicle, "driver": driver,
                    "planned_pickup": midnight + timedelta(seconds=act.start),
                    "planned_dropoff": midnight + timedelta(seconds=drop[key].start),
                }  # fmt: skip
                if trip.status == TripStatus.SCHEDULED:
                    TransportTrip.objects.filter(pk=trip.pk, status=TripStatus.SCHEDULED).update(
                        **fields
                    )
                else:
                    move_trip(actor, trip, TripStatus.SCHEDULED, _("jadwal harian"), **fields)
                scheduled += 1
        for key in plan.unserved_trips:
            trip = by_pk[key]
            if trip.status != TripStatus.UNSCHEDULED:
                move_trip(
                    actor, trip, TripStatus.UNSCHEDULED, _("tidak ada armada yang cocok"),
                    vehicle=None, driver=None, planned_pickup=None, planned_dropoff=None,
                )  # fmt: skip
    return {"scheduled": scheduled, "unscheduled": len(plan.unserved_trips),
            "distance_km": round(plan.distance / 1000, 1)}  # fmt: skip
