"""Bed inventory per hospital room and class, its history, and the SIMRS credentials."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sigap.core.fields import EncryptedTextField
from sigap.core.models import BaseModel
from sigap.facilities.models import Facility


class BedClass(models.Model):
    """Reference data: the BPJS Aplicare `kodekelas` list (plus SIGAP-only classes for SIRS
    bed types that Aplicare lacks, which have `is_aplicare` False)."""

    code = models.CharField(max_length=3, primary_key=True)
    aplicare_name = models.CharField(max_length=32)
    name = models.CharField(max_length=64)
    sort = models.PositiveSmallIntegerField(default=100)
    is_aplicare = models.BooleanField(default=True)
    is_critical_care = models.BooleanField(default=False)
    # Shown as a filter on the public board (IGD/UGD/NON are not inpatient classes).
    is_public_filter = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name_plural = "bed classes"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SirsBedType(models.Model):
    """Reference data: Kemenkes SIRS Online `id_tt` and the SIGAP class it maps to."""

    id_tt = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=64)
    bed_class = models.ForeignKey(BedClass, on_delete=models.PROTECT, related_name="sirs_types")
    with_ventilator = models.BooleanField(default=False)

    class Meta:
        ordering = ["id_tt"]

    def __str__(self) -> str:
        return f"{self.id_tt} {self.name}"


class Room(BaseModel):
    """One room (ward) of one class in one hospital, keyed as Aplicare keys it:
    (kodeppk, kodekelas, koderuang)."""

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Halaman operator")
        API = "api", _("API SIGAP")
        APLICARE = "aplicare", _("Aplicare")
        SIRS = "sirs", _("SIRS Online")
        IMPORT = "import", _("Impor/demo")
        HOLD = "hold", _("Tahanan tempat tidur SIGAP")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rooms")
    bed_class = models.ForeignKey(BedClass, on_delete=models.PROTECT, related_name="rooms")
    sirs_type = models.ForeignKey(
        SirsBedType, null=True, blank=True, on_delete=models.PROTECT, related_name="rooms"
    )
    code = models.CharField(_("koderuang"), max_length=32)
    name = models.CharField(_("namaruang"), max_length=128)
    capacity = models.PositiveIntegerField(_("kapasitas"))
    free = models.PositiveIntegerField(_("tersedia"))
    free_male = models.PositiveIntegerField(null=True, blank=True)
    free_female = models.PositiveIntegerField(null=True, blank=True)
    free_mixed = models.PositiveIntegerField(null=True, blank=True)
    reserved = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(_("antrian"), default=0)
    preparing = models.PositiveIntegerField(default=0, help_text=_("SIRS prepare"))
    # SIRS Online numbers SIGAP only stores and answers back (issue 16); None: never sent
    sirs_room_count = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("SIRS jumlah_ruang")
    )
    sirs_prepare_plan = models.PositiveIntegerField(default=0, help_text=_("SIRS prepare_plan"))
    sirs_covid = models.PositiveIntegerField(default=0, help_text=_("SIRS covid"))
    # changed_at: last time the numbers changed; reported_at: last time the hospital
    # confirmed them (a resent identical update moves only this).
    changed_at = models.DateTimeField()
    reported_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        ordering = ["facility", "bed_class__sort", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "bed_class", "code"], name="room_unique_per_class"
            ),
            models.CheckConstraint(
                condition=Q(free__gte=0)
                & Q(reserved__gte=0)
                & Q(waiting__gte=0)
                & Q(preparing__gte=0)
                & Q(capacity__gte=0),
                name="room_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(free__lte=F("capacity") - F("reserved") - F("preparing")),
                name="room_free_reserved_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(free_male__isnull=True) | Q(free_male__lte=F("free")),
                name="room_free_male_within_free",
            ),
            models.CheckConstraint(
                condition=Q(free_female__isnull=True) | Q(free_female__lte=F("free")),
                name="room_free_female_within_free",
            ),
            models.CheckConstraint(
                condition=Q(free_mixed__isnull=True) | Q(free_mixed__lte=F("free")),
                name="room_free_mixed_within_free",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="room_code_not_empty"),
        ]
        indexes = [models.Index(fields=["bed_class", "free"])]

    def __str__(self) -> str:
        return f"{self.facility} / {self.code} {self.name} ({self.bed_class_id})"

    @property
    def occupied(self) -> int:
        return self.capacity - self.free - self.reserved - self.preparing


class BedUpdate(models.Model):
    """History: one row per accepted change of a room's numbers (or its creation/deletion)."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Dibuat")
        UPDATE = "update", _("Diubah")
        DELETE = "delete", _("Dihapus")
        HOLD = "hold", _("Ditahan SIGAP")
        RELEASE = "release", _("Tahanan dilepas")

    at = models.DateTimeField(db_index=True)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="bed_updates")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    bed_class = models.ForeignKey(BedClass, on_delete=models.PROTECT)
    room_code = models.CharField(max_length=32)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Room.Source.choices)
    actor_label = models.CharField(max_length=150)
    capacity = models.PositiveIntegerField()
    free = models.PositiveIntegerField()
    reserved = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)
    preparing = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["facility", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.facility_id} {self.room_code} {self.kind}"


class BoardState(models.Model):
    """A single row whose `version` moves on every bed change, so that each app process
    can tell in one cheap query whether its cached board is still current."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="board_state_singleton")]

    def __str__(self) -> str:
        return f"board v{self.version}"


class BoardChange(models.Model):
    """Which facility changed at which board version. App processes read the rows past the
    version of their cached board and reload only those facilities. Old rows are pruned."""

    version = models.BigIntegerField(primary_key=True)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"v{self.version} {self.facility_id}"


class AplicareCredential(BaseModel):
    """A hospital's Aplicare-compatible login: `X-cons-id` and the shared secret of the
    HMAC signature. The secret is needed in clear to verify signatures, so it is stored
    encrypted (sigap.core.fields) and never shown back."""

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, related_name="aplicare_credential"
    )
    cons_id = models.CharField(max_length=32, unique=True)
    secret = EncryptedTextField()
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.cons_id} ({self.facility})"


class SirsCredential(BaseModel):
    """A hospital's SIRS-Online-compatible login: `X-rs-id` and the password, which clients
    send as `X-pass` in clear (public bridges) or as its MD5 (SIGAP_SIRS_XPASS_FORMS says
    which are accepted). Only the MD5 is stored; since it can grant access, it is stored
    encrypted (sigap.core.fields) and never shown back."""

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, related_name="sirs_credential"
    )
    rs_id = models.CharField(max_length=32, unique=True)
    password_md5 = EncryptedTextField()
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.rs_id} ({self.facility})"


class BedHoldPolicy(models.Model):
    """Whether a hospital lets SIGAP hold a bed for an incoming patient (emergency hand-off,
    accepted referral), and for how long at most. No row: holds allowed, default length."""

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="hold_policy")
    allows_holds = models.BooleanField(_("izinkan penahanan tempat tidur"), default=True)
    max_minutes = models.PositiveIntegerField(_("lama tahanan maksimum (menit)"), default=180)

    def __str__(self) -> str:
        return f"{self.facility_id} holds={'yes' if self.allows_holds else 'no'}"


class BedHold(BaseModel):
    """One bed held for one incoming patient: counted in the room's `reserved` until the
    patient arrives, the hold is released, or it expires. Status moves only through
    `sigap.beds.services.end_hold`."""

    class Status(models.TextChoices):
        HELD = "held", _("Ditahan")
        ARRIVED = "arrived", _("Pasien tiba")
        RELEASED = "released", _("Dilepas")
        EXPIRED = "expired", _("Kedaluwarsa")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="bed_holds")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )
    bed_class = models.ForeignKey(BedClass, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    # who asked for it, e.g. "emergency.incident:<uuid>" or "referrals.referral:<uuid>"
    ref = models.CharField(max_length=100, db_index=True)
    # which split count (free_male/free_female/free_mixed) the bed came from, if any
    sex_field = models.CharField(max_length=12, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.bed_class_id} {self.status} {self.ref}"
