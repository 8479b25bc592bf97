"""Emergency call centre (PSC 119 / 112): incidents, agencies, ambulance units, dispatch,
hospital hand-offs. Status fields move only through `sigap.emergency.services`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from . import reference


def _choices(d: dict) -> list[tuple[str, str]]:
    return [(k, v[0] if isinstance(v, tuple) else v) for k, v in d.items()]


class AreaSettings(models.Model):
    """Per kab/kota (or province) settings: response targets for urban and rural places and
    the repeat-call window. No row: the defaults below."""

    area_code = models.CharField(max_length=10, unique=True)
    urban_target_min = models.PositiveSmallIntegerField(
        _("target respons kota (menit)"), default=15
    )
    rural_target_min = models.PositiveSmallIntegerField(
        _("target respons desa (menit)"), default=30
    )
    repeat_window_min = models.PositiveSmallIntegerField(default=30)
    repeat_radius_m = models.PositiveIntegerField(default=300)

    def __str__(self) -> str:
        return self.area_code


class Agency(BaseModel):
    """An agency behind the one number in an area (PSC 119, police, fire, PMI, BPBD, ...).
    Matters for it are handed over through its webhook endpoint."""

    area_code = models.CharField(max_length=10, db_index=True)
    kind = models.CharField(max_length=10, choices=_choices(reference.AGENCY_KINDS))
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32, blank=True)
    webhook = models.ForeignKey(
        "core.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agencies",
    )
    is_active = models.BooleanField(default=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["area_code", "kind", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["area_code", "kind", "name"], name="agency_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Incident(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Menunggu ambulans")
        DISPATCHED = "dispatched", _("Ambulans dikirim")
        ON_SCENE = "on_scene", _("Di lokasi")
        TRANSPORTING = "transporting", _("Menuju RS")
        AT_HOSPITAL = "at_hospital", _("Tiba di RS")
        HANDED_OVER = "handed_over", _("Diserahkan ke instansi lain")
        CLOSED = "closed", _("Selesai")
        CANCELLED = "cancelled", _("Dibatalkan")

    class Source(models.TextChoices):
        CALL = "call", _("Telepon 112/119")
        SOS = "sos", _("Tombol SOS")
        PARTNER = "partner", _("Sistem mitra")
        HOMECARE = "homecare", _("Perawatan rumah")

    number = models.CharField(max_length=20, unique=True)
    area_code = models.CharField(max_length=10, db_index=True, help_text=_("Kab/kota"))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CALL)
    caller_phone = models.CharField(max_length=32, blank=True, db_index=True)
    caller_name = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    village = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    address = models.CharField(max_length=255, blank=True)
    category = models.CharField(max_length=10, choices=_choices(reference.CATEGORIES))
    triage = models.CharField(max_length=8, choices=_choices(reference.TRIAGE))
    triage_answers = models.JSONField(default=dict, blank=True)
    victims = models.PositiveSmallIntegerField(default=1)
    notes = models.TextField(blank=True)
    service_needed = models.CharField(max_length=16, default="igd")
    agencies_needed = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    call_count = models.PositiveSmallIntegerField(default=1)
    partner_ref = models.CharField(max_length=100, blank=True)
    # outside the console's area: shown on the console of `area_code` as out of area, with the
    # kab/kota where the point lies (empty when SIGAP holds no region near it)
    out_of_area = models.BooleanField(default=False)
    responsible_area = models.CharField(max_length=10, blank=True)
    # the SOS page's key: one press = one incident, however often the request arrives
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # phase times (UTC)
    received_at = models.DateTimeField(db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    transport_at = models.DateTimeField(null=True, blank=True)
    hospital_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="incident_position_range",
            ),
            models.CheckConstraint(
                condition=Q(triage__in=list(reference.TRIAGE)), name="incident_triage_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=list(reference.CATEGORIES)),
                name="incident_category_valid",
            ),
            models.CheckConstraint(condition=Q(victims__gte=1), name="incident_victims_min"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="incident_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class IncidentCall(models.Model):
    """Each call about an incident (the first and the repeats offered as the same)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="calls")
    phone = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField()
    note = models.CharField(max_length=255, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%H:%M}"


class IncidentAgency(BaseModel):
    """An agency asked to act on an incident; its hand-over goes by webhook."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Diminta")
        SENT = "sent", _("Terkirim")
        ACKNOWLEDGED = "acknowledged", _("Diterima instansi")
        NO_CHANNEL = "no_channel", _("Tanpa webhook (hubungi per telepon)")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="agency_requests")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    delivery = models.ForeignKey(
        "core.WebhookDelivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    partner_status = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "agency"], name="incident_agency_unique")
        ]


UNIT_STATUSES = [
    "available",
    "dispatched",
    "en_route",
    "on_scene",
    "transporting",
    "at_hospital",
    "returning",
    "out_of_service",
]


class Unit(BaseModel):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("Siaga")
        DISPATCHED = "dispatched", _("Ditugaskan")
        EN_ROUTE = "en_route", _("Menuju lokasi")
        ON_SCENE = "on_scene", _("Di lokasi")
        TRANSPORTING = "transporting", _("Membawa pasien")
        AT_HOSPITAL = "at_hospital", _("Di RS")
        RETURNING = "returning", _("Kembali ke pos")
        OUT_OF_SERVICE = "out_of_service", _("Tidak beroperasi")

    class BaseKind(models.TextChoices):
        VILLAGE = "village", _("Desa/kelurahan")
        PUSKESMAS = "puskesmas", _("Puskesmas")
        HOSPITAL = "hospital", _("Rumah sakit")
        PMI = "pmi", _("Pos PMI")

    code = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=100)
    area_code = models.CharField(max_length=10, db_index=True)
    kind = models.CharField(max_length=14, choices=_choices(reference.UNIT_KINDS))
    base_kind = models.CharField(max_length=10, choices=BaseKind.choices)
    base_village = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="ambulance_units"
    )
    base_facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="ambulance_units"
    )
    base_latitude = models.FloatField()
    base_longitude = models.FloatField()
    equipment = models.JSONField(default=list, blank=True)
    crew = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="ambulance_units"
    )
    crew_on_shift = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    position_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["updated_at"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=UNIT_STATUSES), name="unit_status_valid"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="unit_position_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Assignment(BaseModel):
    """A unit sent to an incident. At most one active assignment per unit (database rule)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktif")
        COMPLETED = "completed", _("Selesai")
        CANCELLED = "cancelled", _("Dibatalkan")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    eta_minutes = models.FloatField(null=True, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    # the crew's explicit "job accepted" on the phone (the dispatcher sees it)
    accepted_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    transport_at = models.DateTimeField(null=True, blank=True)
    hospital_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status="active"), name="assignment_one_active_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} -> {self.incident_id} ({self.status})"


class UnitStatusChange(models.Model):
    """History of a unit's status (who, when, why): utilisation and audits read it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(db_index=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # the crew phone's key for this press: a replayed request does not move the unit again
    client_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["unit", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client_key"],
                condition=~Q(client_key=""),
                name="unit_status_change_client_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.from_status}->{self.to_status}"


class Handoff(BaseModel):
    """The incoming patient announced to a hospital. It is an emergency referral: the hospital
    answers it in its referral inbox, the referral holds the bed, and the referral's moves move
    the hand-off (see `services.follow_referral`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu konfirmasi RS")
        ACKNOWLEDGED = "acknowledged", _("Dikonfirmasi RS")
        ARRIVED = "arrived", _("Pasien tiba")
        CANCELLED = "cancelled", _("Dibatalkan")
        REJECTED = "rejected", _("Ditolak RS, perlu RS lain")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handoffs")
    hospital = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="er_handoffs")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    eta_at = models.DateTimeField(null=True, blank=True)
    patient_summary = models.TextField(blank=True)
    bed_class = models.CharField(max_length=3, blank=True)
    bed_hold = models.ForeignKey(
        "beds.BedHold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emergency_handoff",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["hospital", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(status__in=["pending", "acknowledged"]),
                name="handoff_one_open_per_incident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} -> {self.hospital_id} ({self.status})"


class CrewVitals(BaseModel):
    """Vital signs and a short handover note the crew records for the patient of an
    incident; the receiving hospital's emergency room reads the latest."""

    class Avpu(models.TextChoices):
        ALERT = "A", _("Sadar penuh (A)")
        VOICE = "V", _("Respons suara (V)")
        PAIN = "P", _("Respons nyeri (P)")
        UNRESPONSIVE = "U", _("Tidak respons (U)")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="crew_vitals")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="crew_vitals")
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    gcs = models.PositiveSmallIntegerField(null=True, blank=True)
    avpu = models.CharField(max_length=1, choices=Avpu.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    client_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("tanda vital kru")
        verbose_name_plural = _("tanda vital kru")
        constraints = [
            models.UniqueConstraint(
                fields=["client_key"],
                condition=~Q(client_key=""),
                name="crew_vitals_client_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(gcs__isnull=True) | Q(gcs__gte=3, gcs__lte=15),
                name="crew_vitals_gcs_range",
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True)
                | Q(diastolic__isnull=True)
                | Q(diastolic__lt=models.F("systolic")),
                name="crew_vitals_bp_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.recorded_at:%H:%M}"
