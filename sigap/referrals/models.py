"""Referrals between facilities (Puskesmas, hospitals, PSC 119), shaped like SISRUTE's.

The status moves only through `services._move` along `services.TRANSITIONS`; every move
leaves a `ReferralEvent` and an audit record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sigap.core.fields import EncryptedTextField
from sigap.core.models import BaseModel
from sigap.facilities.models import Facility, Service


class ReferralReason(models.Model):
    """Reference data: referral reasons (SISRUTE `referensi/alasanrujukan`)."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=128)
    sort = models.PositiveSmallIntegerField(default=100)
    needs_text = models.BooleanField(default=False, help_text=_("Wajib diisi ALASAN_LAINNYA"))

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


# the status and payer codes, for the database constraints (same as Referral.Status / .Payer)
STATUSES = [
    "sent",
    "accepted",
    "rejected",
    "escalated",
    "arrived",
    "closed",
    "cancelled",
    "expired",
]
PAYERS = ["jkn_pbi", "jkn_non_pbi", "general", "private"]


class Referral(BaseModel):
    class Kind(models.IntegerChoices):
        # SISRUTE JENIS_RUJUKAN
        OUTPATIENT = 1, _("Rawat jalan")
        INPATIENT = 2, _("Rawat darurat/inap")
        PARTIAL = 3, _("Parsial")

    class Status(models.TextChoices):
        SENT = "sent", _("Terkirim")
        ACCEPTED = "accepted", _("Diterima")
        REJECTED = "rejected", _("Ditolak")
        ESCALATED = "escalated", _("Dieskalasi")
        ARRIVED = "arrived", _("Pasien tiba")
        CLOSED = "closed", _("Selesai (rujuk balik)")
        CANCELLED = "cancelled", _("Dibatalkan")
        EXPIRED = "expired", _("Kedaluwarsa")

    class Urgency(models.TextChoices):
        EMERGENCY = "emergency", _("Gawat darurat")
        ELECTIVE = "elective", _("Elektif")

    class Payer(models.TextChoices):
        JKN_PBI = "jkn_pbi", _("JKN PBI")
        JKN_NON_PBI = "jkn_non_pbi", _("JKN non-PBI")
        GENERAL = "general", _("Umum")
        PRIVATE = "private", _("Asuransi swasta")

    class Sex(models.TextChoices):
        MALE = "L", _("Laki-laki")
        FEMALE = "P", _("Perempuan")

    class Consciousness(models.IntegerChoices):
        CONSCIOUS = 1, _("Sadar")
        UNCONSCIOUS = 2, _("Tidak sadar")

    number = models.CharField(_("nomor rujukan"), max_length=20, unique=True)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    status_changed_at = models.DateTimeField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    payer = models.CharField(max_length=12, choices=Payer.choices)

    # sender: a facility, or a PSC 119 / ambulance unit named in sender_label
    sender = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    sender_label = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    receiver = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="referrals_received"
    )
    incident_ref = models.CharField(max_length=100, blank=True, db_index=True)

    # PASIEN
    patient_mrn = models.CharField(_("nomor rekam medis"), max_length=32, blank=True)
    patient_nik = models.CharField(max_length=16, blank=True)
    patient_jkn = models.CharField(_("nomor kartu JKN"), max_length=13, blank=True)
    patient_name = models.CharField(max_length=120)
    patient_sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    patient_birth_date = models.DateField(null=True, blank=True)
    patient_birth_place = models.CharField(max_length=64, blank=True)
    patient_contact = models.CharField(max_length=32, blank=True)
    patient_address = models.CharField(max_length=255, blank=True)

    # RUJUKAN
    diagnosis_code = models.CharField(max_length=8)
    diagnosis_name = models.CharField(max_length=255)
    reason = models.ForeignKey(ReferralReason, on_delete=models.PROTECT)
    reason_text = models.CharField(max_length=255, blank=True)
    doctor_nik = models.CharField(max_length=16, blank=True)
    doctor_name = models.CharField(max_length=120, blank=True)
    # PETUGAS.NIK: bridges send the user's login id or staff number, not a NIK (issue 16)
    officer_nik = models.CharField(max_length=32, blank=True)
    officer_name = models.CharField(max_length=120, blank=True)

    # KONDISI_UMUM
    anamnesis = models.TextField(blank=True)
    consciousness = models.PositiveSmallIntegerField(choices=Consciousness.choices, default=1)
    blood_pressure = models.CharField(max_length=16, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    general_condition = models.CharField(max_length=255, blank=True)
    pain = models.PositiveSmallIntegerField(default=0)
    allergies = models.CharField(max_length=255, blank=True)

    # PENUNJANG
    lab_results = models.TextField(blank=True)
    radiology_results = models.TextField(blank=True)
    therapy = models.TextField(blank=True)

    # what the patient needs; room_class is the class the bed is held in (payer only here)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT)
    bed_class = models.ForeignKey(
        "beds.BedClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jkn_class = models.CharField(
        max_length=3, blank=True, help_text=_("Hak kelas rawat peserta JKN non-PBI (KL1-KL3)")
    )
    room_class = models.ForeignKey(
        "beds.BedClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # answer and later steps
    answer_due_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    # the answering officer as the answering system named them (SISRUTE `PETUGAS`)
    answer_officer_id = models.CharField(max_length=32, blank=True)
    answer_officer_name = models.CharField(max_length=120, blank=True)
    answer_note = models.CharField(max_length=255, blank=True)
    bed_hold = models.ForeignKey(
        "beds.BedHold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    proposed = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Rumah sakit berikutnya yang diusulkan saat eskalasi"),
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    back_referral_note = models.TextField(_("rujuk balik"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["receiver", "status", "answer_due_at"]),
            models.Index(fields=["sender", "status", "-created_at"]),
            models.Index(fields=["status", "answer_due_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(pain__lte=3), name="referral_pain_0_3"),
            models.CheckConstraint(
                condition=models.Q(kind__in=[1, 2, 3]), name="referral_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=STATUSES),
                name="referral_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payer__in=PAYERS),
                name="referral_payer_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(sender=models.F("receiver")),
                name="referral_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ref(self) -> str:
        return f"referrals.referral:{self.public_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("referrals:detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.ESCALATED)


class ReferralEvent(models.Model):
    """One move of one referral: the timeline shown on its page."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Rumah sakit tujuan saat itu"),
    )
    actor_label = models.CharField(max_length=150)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.action} {self.to_status}"


class ReferralAnswer(models.Model):
    """One hospital's outcome for one offer of a referral (accepted, rejected, or no answer
    before the deadline): the source of acceptance rates, answer times and the payer report."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Diterima")
        REJECTED = "rejected", _("Ditolak")
        TIMEOUT = "timeout", _("Tidak dijawab tepat waktu")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="answers")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    payer = models.CharField(max_length=12, choices=Referral.Payer.choices)
    urgency = models.CharField(max_length=10, choices=Referral.Urgency.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    offered_at = models.DateTimeField()
    answered_at = models.DateTimeField(db_index=True)
    seconds = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["facility", "answered_at"])]
        constraints = [
            # one outcome per offer: a late answer after a timeout does not count twice
            models.UniqueConstraint(
                fields=["referral", "facility", "offered_at"], name="referral_answer_once_per_offer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.facility_id} {self.outcome}"


class ReferralDailyStat(models.Model):
    """Per hospital and day: offers answered, accepted, timed out and the answer seconds;
    kept up to date in the answer's transaction so that recommendations read ~30 rows per
    hospital instead of scanning every answer."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    offers = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    timeouts = models.PositiveIntegerField(default=0)
    answer_seconds = models.PositiveBigIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "day"], name="referral_stat_day_unique")
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.day}"


class SisruteCredential(BaseModel):
    """A facility's SISRUTE-compatible login: cons-id and the MD5 of its password (the HMAC
    key, as SISRUTE uses it; stored encrypted, sigap.core.fields, and never shown back)."""

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, related_name="sisrute_credential"
    )

    class CodedShape(models.TextChoices):
        OBJECT = "object", _("Objek {KODE, NAMA}")
        STRING = "string", _("Teks (kode saja)")

    cons_id = models.CharField(max_length=32, unique=True)
    password_md5 = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    # how this consumer's SIMRS reads ALASAN and DIAGNOSA in answers (input takes both)
    coded_shape = models.CharField(
        _("bentuk ALASAN/DIAGNOSA"),
        max_length=8,
        choices=CodedShape.choices,
        default=CodedShape.OBJECT,
    )

    def __str__(self) -> str:
        return f"{self.cons_id} ({self.facility})"


class FacilityWebhook(BaseModel):
    """A facility's SIMRS endpoint for referral events (new referral received, answered,
    escalated/redirected, arrived, closed with a back-referral, cancelled): every event of a
    referral the facility sends or receives is posted there, signed, by sigap.core.webhooks."""

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, related_name="referral_webhook"
    )
    endpoint = models.OneToOneField(
        "core.WebhookEndpoint", on_delete=models.CASCADE, related_name="referral_facility"
    )

    def __str__(self) -> str:
        return f"{self.facility} -> {self.endpoint.url}"
