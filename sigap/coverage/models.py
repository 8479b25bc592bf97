"""JKN coverage: imported registers (person-level, keyed by NIK), their snapshots and
rejection reports, per-period statistics, resident flags, the enrolment quota and the
vulnerable workers' cover (BPJS Ketenagakerjaan)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.regions.services import mask_nik

NIK_LEN = 16


class SnapshotKind(models.TextChoices):
    POPULATION = "population", _("Register penduduk (Dukcapil)")
    MEMBERSHIP = "membership", _("Kepesertaan JKN (BPJS Kesehatan)")
    WELFARE = "welfare", _("Data kesejahteraan sosial (desil)")


class SnapshotStatus(models.TextChoices):
    APPLIED = "applied", _("Diterapkan")
    HELD = "held", _("Ditahan, menunggu konfirmasi")
    RECORDED = "recorded", _("Dicatat saja (bulan lebih lama)")
    EMPTY = "empty", _("Tidak diterapkan: semua baris ditolak")
    DISCARDED = "discarded", _("Dibatalkan analis")
    WITHDRAWN = "withdrawn", _("Ditarik: snapshot sebelumnya dipulihkan")


class Snapshot(BaseModel):
    """One imported monthly file. The same kind + period + content hash is one snapshot:
    importing it again changes nothing.

    A complete list (membership, welfare) that would remove too many people, or whose rows
    were mostly refused, is HELD until an analyst confirms it; the snapshot in force is the
    applied one applied last, and the one before it can be restored."""

    kind = models.CharField(max_length=16, choices=SnapshotKind.choices)
    period = models.DateField(help_text=_("Bulan data (hari pertama bulan)"))
    content_hash = models.CharField(max_length=64)
    filename = models.CharField(max_length=255, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.CharField(max_length=16, default="cli")
    status = models.CharField(
        max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.APPLIED
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(max_length=255, blank=True)
    rows_in_force = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Baris yang berlaku saat impor")
    )
    rows_removed = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Baris berlaku yang akan dihapus oleh snapshot ini")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "content_hash"], name="coverage_snapshot_identity"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in SnapshotKind]),
                name="coverage_snapshot_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[k.value for k in SnapshotStatus]),
                name="coverage_snapshot_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status", "applied_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%Y-%m}"


class RejectReason(models.TextChoices):
    NIK_FORMAT = "nik_format", _("NIK bukan 16 angka")
    NIK_REGION = "nik_region", _("Kode wilayah pada NIK tidak sah")
    NIK_BIRTH_DATE = "nik_birth_date", _("Tanggal lahir pada NIK tidak sah")
    NIK_FUTURE = "nik_future", _("Tanggal lahir pada NIK di masa depan")
    NIK_SERIAL = "nik_serial", _("Nomor urut pada NIK 0000")
    DUPLICATE = "duplicate", _("NIK ganda dalam berkas")
    UNKNOWN_REGION = "unknown_region", _("Kode kelurahan tidak dikenal")
    BAD_VALUE = "bad_value", _("Nilai kolom tidak sah")


class RejectedRow(models.Model):
    """One refused row of a snapshot: the rejection report."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(help_text=_("Baris data (1 = baris pertama data)"))
    nik = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=32, choices=RejectReason.choices)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["snapshot", "row_number"]
        indexes = [models.Index(fields=["snapshot", "reason"])]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.row_number} {self.reason}"


class ResidentStatus(models.TextChoices):
    ALIVE = "alive", _("Hidup")
    MOVED = "moved", _("Pindah")
    DEAD = "dead", _("Meninggal")


class Resident(models.Model):
    """A person of the population register, as of the latest imported snapshot."""

    nik = models.CharField(max_length=NIK_LEN, unique=True)
    family_card = models.CharField(max_length=NIK_LEN, blank=True)
    name = models.CharField(max_length=128, blank=True)
    sex = models.CharField(max_length=1, blank=True)  # L / P
    birth_date = models.DateField(null=True, blank=True)
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    kecamatan_code = models.CharField(max_length=6, db_index=True)
    address = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=ResidentStatus.choices)
    period = models.DateField(help_text=_("Snapshot terakhir yang memuat orang ini"))
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")  # fmt: skip

    class Meta:
        indexes = [models.Index(fields=["status", "kelurahan_code"])]

    def __str__(self) -> str:
        return mask_nik(self.nik)


class Segment(models.TextChoices):
    PBI_APBN = "PBI-APBN", _("PBI APBN")
    PBI_APBD = "PBI-APBD", _("PBI APBD / Pemda")
    PPU = "PPU", _("PPU (pekerja penerima upah)")
    PBPU = "PBPU", _("PBPU (mandiri)")
    BP = "BP", _("BP (bukan pekerja)")


class Membership(models.Model):
    """A JKN member as of the latest imported membership snapshot."""

    nik = models.CharField(max_length=NIK_LEN, unique=True)
    card_number = models.CharField(max_length=20, blank=True)
    segment = models.CharField(max_length=8, choices=Segment.choices)
    active = models.BooleanField()
    inactive_reason = models.CharField(max_length=64, blank=True)
    faskes_code = models.CharField(max_length=16, blank=True)
    care_class = models.PositiveSmallIntegerField(null=True, blank=True)
    period = models.DateField()
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")  # fmt: skip

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(segment__in=[s.value for s in Segment]),
                name="coverage_membership_segment_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_nik(self.nik)} {self.segment}"


class MembershipRow(models.Model):
    """An accepted row of a membership snapshot, kept so that a held snapshot can be applied
    later and the previous one restored (only the last few snapshots keep their rows)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    nik = models.CharField(max_length=NIK_LEN)
    card_number = models.CharField(max_length=20, blank=True)
    segment = models.CharField(max_length=8)
    active = models.BooleanField()
    inactive_reason = models.CharField(max_length=64, blank=True)
    faskes_code = models.CharField(max_length=16, blank=True)
    care_class = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "nik"], name="coverage_membershiprow_nik"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{mask_nik(self.nik)}"


class WelfareEntry(models.Model):
    """A person in the social-welfare register (DTKS / DTSEN), with the poverty decile."""

    nik = models.CharField(max_length=NIK_LEN, unique=True)
    decile = models.PositiveSmallIntegerField()
    period = models.DateField()
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")  # fmt: skip

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decile__gte=1, decile__lte=10), name="coverage_welfare_decile_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_nik(self.nik)} D{self.decile}"


class WelfareRow(models.Model):
    """An accepted row of a welfare snapshot (see MembershipRow)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    nik = models.CharField(max_length=NIK_LEN)
    decile = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "nik"], name="coverage_welfarerow_nik"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{mask_nik(self.nik)}"


class CoverageStat(models.Model):
    """Coverage of one kelurahan in one month (refreshed after each import): the trend."""

    period = models.DateField()
    kelurahan_code = models.CharField(max_length=10)
    population = models.PositiveIntegerField()
    covered = models.PositiveIntegerField()
    active = models.PositiveIntegerField()
    pemda = models.PositiveIntegerField(help_text=_("Peserta PBI APBD (didaftarkan Pemda)"))

    class Meta:
        ordering = ["period", "kelurahan_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "kelurahan_code"], name="coverage_stat_period_kelurahan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.kelurahan_code}"


class FlagReason(models.TextChoices):
    PREGNANT = "pregnant", _("Ibu hamil")
    CHRONIC = "chronic", _("Penyakit kronis")
    HOMECARE = "homecare", _("Pasien home care")
    DISABILITY = "disability", _("Penyandang disabilitas")
    OTHER = "other", _("Lainnya")


class ResidentFlag(BaseModel):
    """A resident flagged for priority enrolment by another capability or by a person."""

    nik = models.CharField(max_length=NIK_LEN, db_index=True)
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    source = models.CharField(max_length=32, help_text=_("homecare, nutrition, referrals, ..."))
    note = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["nik", "reason", "source"], name="coverage_flag_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_nik(self.nik)} {self.reason}"


class PriorityRule(BaseModel):
    """How the quota run ranks uninsured residents: points per criterion (the newest rule
    is the one in force)."""

    max_decile = models.PositiveSmallIntegerField(
        default=4, help_text=_("Desil kesejahteraan yang dianggap miskin/rentan (1..n)")
    )
    poverty_points = models.PositiveSmallIntegerField(default=40)
    pregnant_points = models.PositiveSmallIntegerField(default=30)
    infant_points = models.PositiveSmallIntegerField(default=25)
    elderly_points = models.PositiveSmallIntegerField(default=20)
    chronic_points = models.PositiveSmallIntegerField(default=20)
    homecare_points = models.PositiveSmallIntegerField(default=20)
    flagged_points = models.PositiveSmallIntegerField(default=10)
    infant_max_months = models.PositiveSmallIntegerField(default=12)
    elderly_min_years = models.PositiveSmallIntegerField(default=60)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"PriorityRule {self.created_at:%Y-%m-%d %H:%M}"


class QuotaRun(BaseModel):
    """The month's quota run. At most one live run per month (a unique constraint, so two
    simultaneous runs cannot both take the slots)."""

    class Status(models.TextChoices):
        DONE = "done", _("Selesai")
        CANCELLED = "cancelled", _("Dibatalkan")

    class Program(models.TextChoices):
        JKN = "jkn", _("JKN PBI APBD")
        WORKERS = "workers", _("BPJS Ketenagakerjaan pekerja rentan")

    program = models.CharField(max_length=8, choices=Program.choices, default=Program.JKN)
    period = models.DateField()
    quota = models.PositiveIntegerField()
    premium = models.PositiveIntegerField(help_text=_("Iuran per orang per bulan (Rp)"))
    selected = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    area_code = models.CharField(max_length=10, blank=True)
    rule = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "period", "area_code"],
                condition=Q(status="done"),
                name="coverage_one_live_quota_run_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} ({self.selected}/{self.quota})"

    @property
    def monthly_budget(self) -> int:
        return self.selected * self.premium


class EnrolmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    SUBMITTED = "submitted", _("Dikirim ke BPJS")
    ACTIVATED = "activated", _("Aktif")
    REJECTED = "rejected", _("Ditolak BPJS")
    CANCELLED = "cancelled", _("Dibatalkan")


class Enrolment(BaseModel):
    """One resident chosen by a quota run to be enrolled as PBI APBD."""

    run = models.ForeignKey(QuotaRun, on_delete=models.CASCADE, related_name="enrolments")
    nik = models.CharField(max_length=NIK_LEN)
    kelurahan_code = models.CharField(max_length=10)
    rank = models.PositiveIntegerField()
    score = models.PositiveIntegerField()
    reasons = models.CharField(max_length=128, blank=True)
    status = models.CharField(
        max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.PROPOSED
    )
    status_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{mask_nik(self.nik)} {self.status}"

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "nik"], name="coverage_enrolment_once_per_run"),
        ]
        indexes = [models.Index(fields=["nik", "status"])]


class EnrolmentEvent(models.Model):
    """A move of an enrolment from one status to another: who, when, why."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


# --- vulnerable workers (BPJS Ketenagakerjaan, "Pijar Semar") -----------------------------


class Worker(BaseModel):
    """A vulnerable (informal) worker registered for region-paid work-accident/death cover."""

    nik = models.CharField(max_length=NIK_LEN, unique=True)
    name = models.CharField(max_length=128)
    occupation = models.CharField(max_length=64)
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    wants_jht = models.BooleanField(default=False, help_text=_("Ikut Jaminan Hari Tua"))

    def __str__(self) -> str:
        return f"{self.masked_nik} {self.occupation}"

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)


class WorkerEnrolment(BaseModel):
    """A worker's cover for one month: JKK and JKM always, JHT optional."""

    class Status(models.TextChoices):
        LISTED = "listed", _("Masuk daftar")
        ACTIVE = "active", _("Aktif")
        REJECTED = "rejected", _("Ditolak")

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="enrolments")
    run = models.ForeignKey(QuotaRun, on_delete=models.CASCADE, related_name="worker_enrolments")
    period = models.DateField()
    jkk = models.BooleanField(default=True)
    jkm = models.BooleanField(default=True)
    jht = models.BooleanField(default=False)
    premium = models.PositiveIntegerField(help_text=_("Iuran bulan ini (Rp)"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LISTED)

    def __str__(self) -> str:
        return f"{self.worker} {self.period:%Y-%m} {self.status}"

    class Meta:
        ordering = ["period", "worker_id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "period"], name="coverage_worker_month"),
            models.CheckConstraint(condition=Q(jkk=True, jkm=True), name="coverage_worker_jkk_jkm"),
        ]
