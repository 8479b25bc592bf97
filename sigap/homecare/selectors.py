"""Read-side queries for the home-care pages and API."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet

from sigap.core.models import User
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.services import mask_nik

from .models import (
    DayPlan,
    Escalation,
    HomecareRequest,
    TransportTrip,
    Visit,
    VisitStatus,
    Worker,
)


def puskesmas_of(user: User | None) -> QuerySet[Facility]:
    return (
        facility_services.facilities_operated_by(user)
        .filter(kind_id=Kind.PUSKESMAS)
        .order_by("name")
    )


def requests_inbox(facility: Facility, status: str = "") -> QuerySet[HomecareRequest]:
    qs = HomecareRequest.objects.filter(facility=facility).select_related("village", "target_group")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def request_rows(qs) -> list[dict]:
    """Inbox rows: NIK masked (lists carry no full NIK)."""
    return [
        {
            "obj": r,
            "nik": mask_nik(r.nik),
            "name": r.name,
            "village": r.village.name,
            "group": r.target_group.name if r.target_group else "",
            "status": r.get_status_display(),
            "status_code": r.status,
            "source": r.get_source_display(),
            "created_at": r.created_at,
        }
        for r in qs
    ]


def open_escalations(facility: Facility) -> QuerySet[Escalation]:
    return Escalation.objects.filter(
        facility=facility, status=Escalation.Status.OPEN
    ).select_related("record__visit__care_plan__request")


def day_plan(facility: Facility, day: date) -> DayPlan | None:
    return DayPlan.objects.filter(facility=facility, date=day).first()


def visits_of_day(facility: Facility, day: date) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(facility=facility, date=day)
        .select_related("care_plan__request", "worker")
        .order_by("worker__name", "sequence", "pk")
    )


def routes_of_day(facility: Facility, day: date) -> list[dict]:
    """Per worker: the visits in order, with arrival times, for the map and the route sheet."""
    by_worker: dict[int, dict] = {}
    unplanned = []
    for v in visits_of_day(facility, day):
        if v.worker_id is None:
            if v.status != Visit.Status.CANCELLED:
                unplanned.append(v)
            continue
        entry = by_worker.setdefault(v.worker_id, {"worker": v.worker, "visits": []})
        entry["visits"].append(v)
    routes = sorted(by_worker.values(), key=lambda e: e["worker"].name)
    return routes + ([{"worker": None, "visits": unplanned}] if unplanned else [])


def map_data(facility: Facility, day: date) -> dict:
    routes = []
    for entry in routes_of_day(facility, day):
        if entry["worker"] is None:
            continue
        routes.append(
            {
                "worker": entry["worker"].name,
                "stops": [
                    {
                        "lat": v.care_plan.request.latitude,
                        "lon": v.care_plan.request.longitude,
                        "seq": v.sequence,
                        "label": f"{v.sequence}. {v.care_plan.request.name}",
                        "status": v.status,
                    }
                    for v in entry["visits"]
                    if v.status != Visit.Status.CANCELLED
                ],
            }
        )
    return {
        "depot": {"lat": facility.latitude, "lon": facility.longitude, "name": facility.name},
        "routes": routes,
    }


def workers_of_user(user: User | None) -> QuerySet[Worker]:
    if user is None or not user.is_authenticated:
        return Worker.objects.none()
    return Worker.objects.filter(user=user, is_active=True)


def my_visits(user: User | None, day: date) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(worker__in=workers_of_user(user), date=day)
        .exclude(status=Visit.Status.DUE)
        .select_related("care_plan__request", "facility", "worker")
        .order_by("sequence")
    )


def trips_of_day(facility: Facility, day: date) -> QuerySet[TransportTrip]:
    return (
        TransportTrip.objects.filter(base=facility, date=day)
        .select_related("destination", "vehicle", "driver", "village")
        .order_by("planned_pickup", "pk")
    )


def my_visits_from(user: User | None, day: date) -> QuerySet[Visit]:
    """The worker's planned or started visits from `day` on, soonest first."""
    return Visit.objects.filter(
        worker__in=workers_of_user(user),
        date__gte=day,
        status__in=(VisitStatus.PLANNED, VisitStatus.STARTED),
    ).order_by("date", "sequence")


def visit_counts(area: str, day: date) -> dict[str, int]:
    """Home visits of `day` by Puskesmas in `area` (a region code prefix): planned (every
    visit not cancelled), done, missed, and still open (due, planned or started)."""
    qs = Visit.objects.filter(date=day, facility__village__code__startswith=area).exclude(
        status=VisitStatus.CANCELLED
    )
    open_states = (VisitStatus.DUE, VisitStatus.PLANNED, VisitStatus.STARTED)
    return qs.aggregate(
        planned=Count("id"),
        done=Count("id", filter=Q(status=VisitStatus.DONE)),
        missed=Count("id", filter=Q(status=VisitStatus.MISSED)),
        open=Count("id", filter=Q(status__in=open_states)),
    )


def visit_rows(area: str, first: date, last: date) -> list[dict]:
    """Home visits dated first..last by Puskesmas in `area`: day, status (and its label's
    reason text), the Puskesmas and its kecamatan/kelurahan. No personal data."""
    return list(
        Visit.objects.filter(
            date__gte=first, date__lte=last, facility__village__code__startswith=area
        ).values(
            "date",
            "status",
            "status_reason",
            "facility_id",
            "facility__name",
            "facility__village_id",
            "facility__village__name",
            "facility__village__parent__name",
        )  # fmt: skip
    )


def trip_rows(area: str, first: date, last: date) -> list[dict]:
    """Jemput Sakit Antar Sehat trips dated first..last from bases in `area` (no personal
    data): day, direction, status, status reason, base name."""
    return list(
        TransportTrip.objects.filter(
            date__gte=first, date__lte=last, base__village__code__startswith=area
        ).values("date", "direction", "status", "status_reason", "base__name")
    )
