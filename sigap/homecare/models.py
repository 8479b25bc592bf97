"""Home care (Layanan Homecare) and Jemput Sakit Antar Sehat: requests, target groups, care
plans, the Puskesmas roster, visits with their records, daily plans and transport trips.

Status fields are written only by the transition functions in `services.py`, each driven by
one transition table (REQUEST_FLOW, PLAN_FLOW, VISIT_FLOW, TRIP_FLOW there)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.facilities.models import Facility
from sigap.regions.models import Region


class Skill(models.TextChoices):
    NURSE = "nurse", _("Perawat")
    MIDWIFE = "midwife", _("Bidan")
    NUTRITIONIST = "nutritionist", _("Ahli gizi")
    DOCTOR = "doctor", _("Dokter")


class TravelMode(models.TextChoices):
    MOTOR = "motor", _("Sepeda motor")
    CAR = "car", _("Mobil")


class TargetGroup(models.Model):
    """Reference data: who home care is for, the skill its visits need, and the checklist a
    Puskesmas works through to decide eligibility."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    skill = models.CharField(max_length=16, choices=Skill.choices)
    checklist = models.JSONField(default=list, help_text=_("Daftar kriteria (teks)"))
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Diajukan")
    ELIGIBLE = "eligible", _("Memenuhi syarat")
    INELIGIBLE = "ineligible", _("Tidak memenuhi syarat")
    ACTIVE = "active", _("Dalam perawatan")
    CLOSED = "closed", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class HomecareRequest(BaseModel):
    Status = RequestStatus

    class Source(models.TextChoices):
        PUBLIC = "public", _("Warga (formulir publik)")
        STAFF = "staff", _("Petugas Puskesmas")
        NUTRITION = "nutrition", _("Gizi buruk (layanan gizi)")
        MATERNAL = "maternal", _("Kehamilan risiko tinggi")
        DISCHARGE = "discharge", _("Pulang dari rumah sakit")
        REFERRAL = "referral", _("Rujukan")

    nik = models.CharField(max_length=16, db_index=True)
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32)
    address = models.CharField(max_length=255)
    village = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": 4}
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    need = models.TextField()
    target_group = models.ForeignKey(
        TargetGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="homecare_requests"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    source_ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    checklist = models.JSONField(default=dict, blank=True)
    decision_note = models.TextField(blank=True)
    status_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="hc_request_status_valid"
            ),
            models.CheckConstraint(condition=Q(nik__regex=r"^[0-9]{16}$"), name="hc_request_nik"),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~Q(source_ref=""),
                name="hc_request_source_ref_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Aktif")
    PAUSED = "paused", _("Ditunda")
    COMPLETED = "completed", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class CarePlan(BaseModel):
    Status = PlanStatus

    request = models.OneToOneField(
        HomecareRequest, on_delete=models.PROTECT, related_name="care_plan"
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="care_plans")
    frequency_days = models.PositiveSmallIntegerField(help_text=_("Kunjungan tiap N hari"))
    skill = models.CharField(max_length=16, choices=Skill.choices)
    visit_minutes = models.PositiveSmallIntegerField()
    preferred_start = models.TimeField()
    preferred_end = models.TimeField()
    priority = models.PositiveSmallIntegerField(help_text=_("1 = harus dikunjungi"))
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    next_due = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["next_due", "priority"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="hc_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3), name="hc_plan_priority"
            ),
            models.CheckConstraint(condition=Q(frequency_days__gte=1), name="hc_plan_frequency"),
            models.CheckConstraint(
                condition=Q(visit_minutes__gte=5, visit_minutes__lte=480), name="hc_plan_minutes"
            ),
            models.CheckConstraint(
                condition=Q(preferred_start__lt=models.F("preferred_end")), name="hc_plan_hours"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.name}: {self.get_skill_display()} / {self.frequency_days} hari"


class Worker(BaseModel):
    """One member of a Puskesmas's home-care roster."""

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="homecare_workers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homecare_workers",
    )
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    skills = models.JSONField(default=list)
    travel_mode = models.CharField(
        max_length=8, choices=TravelMode.choices, default=TravelMode.MOTOR
    )
    shift_start = models.TimeField()
    shift_end = models.TimeField()
    is_active = models.BooleanField(default=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["facility_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift_start__lt=models.F("shift_end")), name="hc_worker_shift"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkerLeave(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="leaves")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")), name="hc_leave_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.start_date}..{self.end_date}"


class DayPlan(BaseModel):
    """The plan of one Puskesmas for one day: routes per worker live on the visits (worker,
    sequence, planned times) and the per-worker totals in PlanRoute."""

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="homecare_day_plans"
    )
    date = models.DateField()
    version = models.PositiveIntegerField(default=0)
    planned_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-date", "facility_id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="hc_dayplan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.date}"


class PlanRoute(models.Model):
    day_plan = models.ForeignKey(DayPlan, on_delete=models.CASCADE, related_name="routes")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="routes")
    distance_m = models.PositiveIntegerField()
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()

    class Meta:
        ordering = ["worker_id"]
        constraints = [
            models.UniqueConstraint(fields=["day_plan", "worker"], name="hc_planroute_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day_plan} {self.worker}"


class VisitStatus(models.TextChoices):
    DUE = "due", _("Jatuh tempo")
    PLANNED = "planned", _("Terjadwal")
    STARTED = "started", _("Sedang berlangsung")
    DONE = "done", _("Selesai")
    MISSED = "missed", _("Tidak bertemu")
    CANCELLED = "cancelled", _("Dibatalkan")


class Visit(BaseModel):
    Status = VisitStatus

    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="visits")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="homecare_visits")
    date = models.DateField(db_index=True)
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DUE)
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    sequence = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_arrival = models.DateTimeField(null=True, blank=True)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["date", "worker_id", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="hc_visit_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["planned", "started", "done"]) | Q(worker__isnull=False),
                name="hc_visit_worker_when_planned",
            ),
            # one open visit per care plan and day
            models.UniqueConstraint(
                fields=["care_plan", "date"],
                condition=~Q(status="cancelled"),
                name="hc_visit_one_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.care_plan.request.name} {self.date} ({self.get_status_display()})"


class VisitRecord(BaseModel):
    class Outcome(models.TextChoices):
        STABLE = "stable", _("Stabil")
        IMPROVED = "improved", _("Membaik")
        WORSE = "worse", _("Memburuk")
        REFERRED = "referred", _("Dirujuk")
        DIED = "died", _("Meninggal")

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="record")
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    next_visit = models.DateField(null=True, blank=True)
    danger_signs = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Escalation(BaseModel):
    """Danger signs found on a visit: handed to referrals or emergency (see
    services.hand_over_escalation) or handled by the Puskesmas."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Rujukan")
        EMERGENCY = "emergency", _("Gawat darurat")

    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        HANDED_OVER = "handed_over", _("Diteruskan")
        HANDLED = "handled", _("Ditangani Puskesmas")
        WITHDRAWN = "withdrawn", _("Ditarik (salah catat)")

    record = models.ForeignKey(VisitRecord, on_delete=models.PROTECT, related_name="escalations")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    handed_to = models.CharField(max_length=100, blank=True)
    # what the other capability created: "app_label.model" and its public_id (for the link)
    handed_to_type = models.CharField(max_length=64, blank=True)
    handed_to_id = models.UUIDField(null=True, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)


# --- Jemput Sakit Antar Sehat ----------------------------------------------------------------


class TransportVehicle(BaseModel):
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="transport_vehicles"
    )
    name = models.CharField(max_length=100)
    plate = models.CharField(max_length=16, blank=True)
    seats = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} {self.plate}".strip()


class Driver(BaseModel):
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="transport_drivers"
    )
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    shift_start = models.TimeField()
    shift_end = models.TimeField()
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class TripStatus(models.TextChoices):
    REQUESTED = "requested", _("Diminta")
    SCHEDULED = "scheduled", _("Terjadwal")
    PICKED_UP = "picked_up", _("Dijemput")
    DELIVERED = "delivered", _("Diantar")
    CANCELLED = "cancelled", _("Dibatalkan")
    UNSCHEDULED = "unscheduled", _("Tidak terjadwal")


class TransportTrip(BaseModel):
    class Direction(models.TextChoices):
        TO_FACILITY = "to_facility", _("Jemput sakit (rumah ke fasilitas)")
        TO_HOME = "to_home", _("Antar sehat (fasilitas ke rumah)")

    Status = TripStatus

    base = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="transport_trips")
    destination = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="+", help_text=_("Fasilitas tujuan/asal")
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    nik = models.CharField(max_length=16)
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32)
    address = models.CharField(max_length=255)
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField()
    longitude = models.FloatField()
    date = models.DateField(db_index=True)
    # to_facility: be there by `appointment_at`; to_home: ready from `ready_at`
    appointment_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    wheelchair = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    vehicle = models.ForeignKey(
        TransportVehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="trips"
    )
    driver = models.ForeignKey(
        Driver, null=True, blank=True, on_delete=models.PROTECT, related_name="trips"
    )
    planned_pickup = models.DateTimeField(null=True, blank=True)
    planned_dropoff = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["date", "planned_pickup"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TripStatus.values), name="hc_trip_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction="to_facility", appointment_at__isnull=False)
                | Q(direction="to_home", ready_at__isnull=False),
                name="hc_trip_time_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.name} {self.date}"
