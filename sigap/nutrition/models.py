"""Child growth, severe cases and their actions, pregnancies, births, deaths and reviews."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.facilities.models import Facility
from sigap.regions.models import Region

SEX_CHOICES = [("L", _("Laki-laki")), ("P", _("Perempuan"))]


class Child(BaseModel):
    """A child under five followed at a posyandu."""

    nik = models.CharField(max_length=16, blank=True, db_index=True)
    name = models.CharField(max_length=150)
    sex = models.CharField(max_length=1, choices=SEX_CHOICES)
    birth_date = models.DateField()
    birth_weight_kg = models.FloatField(null=True, blank=True)
    birth_length_cm = models.FloatField(null=True, blank=True)
    mother_nik = models.CharField(max_length=16, blank=True, db_index=True)
    parent_name = models.CharField(max_length=150, blank=True)
    posyandu = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        limit_choices_to={"kind": "posyandu"},
    )
    kelurahan = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": 4}
    )
    address = models.CharField(max_length=255, blank=True)
    rt = models.CharField(max_length=3, blank=True)
    rw = models.CharField(max_length=3, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text=_("No. HP orang tua"))
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["nik"], condition=~Q(nik=""), name="child_nik_unique_when_given"
            ),
            models.CheckConstraint(condition=Q(sex__in=["L", "P"]), name="child_sex_valid"),
            models.CheckConstraint(
                condition=Q(nik="") | Q(nik__regex=r"^[0-9]{16}$"), name="child_nik_digits"
            ),
            models.CheckConstraint(
                condition=Q(birth_weight_kg__isnull=True)
                | Q(birth_weight_kg__gt=0, birth_weight_kg__lt=8),
                name="child_birth_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Measurement(BaseModel):
    """One weighing/measuring of a child; z-scores and classes are stored at write time.

    The area columns are copied from the child so that the dashboards aggregate one table.
    """

    class Position(models.TextChoices):
        LYING = "L", _("terlentang")
        STANDING = "H", _("berdiri")
        UNKNOWN = "", _("tidak diketahui")

    class Source(models.TextChoices):
        FORM = "form", _("formulir")
        EPPGBM = "eppgbm", _("impor e-PPGBM")
        API = "api", "API"
        DEMO = "demo", _("demo")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField()
    month = models.DateField(help_text=_("Hari pertama bulan pengukuran"))
    age_days = models.PositiveIntegerField()
    weight_kg = models.FloatField(null=True, blank=True)
    length_cm = models.FloatField(null=True, blank=True)
    position = models.CharField(max_length=1, choices=Position.choices, blank=True)
    muac_cm = models.FloatField(null=True, blank=True)
    oedema = models.BooleanField(default=False)
    haz = models.FloatField(null=True, blank=True)
    waz = models.FloatField(null=True, blank=True)
    whz = models.FloatField(null=True, blank=True)
    haz_class = models.PositiveSmallIntegerField(default=0)
    waz_class = models.PositiveSmallIntegerField(default=0)
    whz_class = models.PositiveSmallIntegerField(default=0)
    implausible = models.BooleanField(default=False, help_text=_("Nilai tidak wajar (flag WHO)"))
    weight_gain_g = models.IntegerField(null=True, blank=True)
    faltering = models.BooleanField(
        default=False, help_text=_("Berat badan tidak naik sejak kunjungan sebelumnya")
    )
    # "2T": no gain at this visit and at the one before (two T in a row), a referral trigger
    faltering_2t = models.BooleanField(
        default=False, help_text=_("2T: berat badan tidak naik dua kali berturut-turut")
    )
    # The child's last measurement of its month: the one the monthly indicators count, so
    # that a child weighed twice in a month counts once (kept by services._refresh_series).
    counts_in_month = models.BooleanField(
        default=False, help_text=_("Pengukuran terakhir anak pada bulan ini (dihitung)")
    )
    posyandu = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    sex = models.CharField(max_length=1, choices=SEX_CHOICES)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-measured_on"]
        constraints = [
            models.UniqueConstraint(fields=["child", "measured_on"], name="measurement_one_a_day"),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0, weight_kg__lt=60),
                name="measurement_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(length_cm__isnull=True) | Q(length_cm__gt=20, length_cm__lt=150),
                name="measurement_length_range",
            ),
            models.CheckConstraint(
                condition=Q(position__in=["L", "H", ""]), name="measurement_position_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["month", "kelurahan_code"]),
            models.Index(fields=["child", "measured_on"]),
            models.Index(fields=["child", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.measured_on}"


class GrowthMonthly(models.Model):
    """Counts per posyandu (or kelurahan without posyandu) and month, rebuilt from the
    measurements whenever they change, so that city dashboards read thousands of rows,
    not millions. Each child counts once a month: its last measurement of the month
    (`Measurement.counts_in_month`), in that measurement's posyandu and kelurahan.
    Prevalence excludes values flagged implausible (WHO)."""

    month = models.DateField()
    kelurahan_code = models.CharField(max_length=10)
    posyandu = models.ForeignKey(Facility, null=True, on_delete=models.CASCADE, related_name="+")
    measured = models.PositiveIntegerField(default=0, help_text=_("Anak diukur pada bulan ini"))
    haz_n = models.PositiveIntegerField(default=0)
    stunted = models.PositiveIntegerField(default=0)
    severely_stunted = models.PositiveIntegerField(default=0)
    whz_n = models.PositiveIntegerField(default=0)
    wasted = models.PositiveIntegerField(default=0)
    severely_wasted = models.PositiveIntegerField(default=0)
    overweight = models.PositiveIntegerField(default=0)
    waz_n = models.PositiveIntegerField(default=0)
    underweight = models.PositiveIntegerField(default=0)
    severely_underweight = models.PositiveIntegerField(default=0)
    faltering = models.PositiveIntegerField(default=0)
    gain_n = models.PositiveIntegerField(default=0)
    faltering_2t = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kelurahan_code", "posyandu"],
                condition=Q(posyandu__isnull=False),
                name="growth_monthly_cell",
            ),
            models.UniqueConstraint(
                fields=["month", "kelurahan_code"],
                condition=Q(posyandu__isnull=True),
                name="growth_monthly_cell_no_posyandu",
            ),
        ]
        indexes = [models.Index(fields=["month", "kelurahan_code"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kelurahan_code} {self.posyandu_id or '-'}"


class NutritionCase(BaseModel):
    """A new severe case (gizi buruk) and what is done about it."""

    class Kind(models.TextChoices):
        SEVERE_WASTING = "severe_wasting", _("gizi buruk")
        SEVERE_UNDERWEIGHT = "severe_underweight", _("berat badan sangat kurang")
        SEVERE_STUNTING = "severe_stunting", _("sangat pendek")

    class Status(models.TextChoices):
        OPEN = "open", _("baru")
        ACTING = "acting", _("ditangani")
        RECOVERED = "recovered", _("pulih")
        CLOSED = "closed", _("ditutup")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        Measurement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_on = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nutrition_cases",
    )
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    posyandu = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=Q(status__in=["open", "acting"]),
                name="case_one_open_per_child_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acting", "recovered", "closed"]),
                name="case_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.child}"


class CaseAction(BaseModel):
    """One action on a case: a home-care request, a referral, supplementary food (PMT)."""

    class Kind(models.TextChoices):
        HOMECARE = "homecare", _("permintaan home care")
        REFERRAL = "referral", _("rujukan")
        FOOD = "food", _("makanan tambahan (PMT)")
        COUNSELLING = "counselling", _("konseling gizi")

    class Status(models.TextChoices):
        PENDING_HANDOFF = "pending_handoff", _("menunggu serah terima")
        REQUESTED = "requested", _("diminta")
        DONE = "done", _("selesai")
        CANCELLED = "cancelled", _("dibatalkan")

    case = models.ForeignKey(NutritionCase, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)
    external_ref = models.CharField(max_length=64, blank=True)
    handoff_note = models.CharField(
        max_length=255, blank=True, help_text=_("Mengapa belum diserahkan ke home care")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


# --- mothers and infants -----------------------------------------------------------------------


class Pregnancy(BaseModel):
    mother_nik = models.CharField(max_length=16, db_index=True)
    mother_name = models.CharField(max_length=150)
    mother_birth_date = models.DateField(null=True, blank=True)
    kelurahan = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": 4}
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_period = models.DateField(null=True, blank=True)
    expected_delivery = models.DateField(null=True, blank=True)
    gravida = models.PositiveSmallIntegerField(default=1)
    # What the ANC register (Buku KIA / kohort ibu) records at the first visit; the risk
    # factors that follow from a number are derived from it (services.pregnancy_risks).
    parity = models.PositiveSmallIntegerField(default=0, help_text=_("Jumlah persalinan"))
    last_birth_date = models.DateField(
        null=True, blank=True, help_text=_("Tanggal persalinan terakhir")
    )
    height_cm = models.FloatField(null=True, blank=True)
    muac_cm = models.FloatField(null=True, blank=True, help_text=_("LiLA (cm)"))
    hb_g_dl = models.FloatField(null=True, blank=True, help_text=_("Hb (g/dL)"))
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    # every factor that applies, derived or checked (codes of services.RISK_FACTORS)
    risk_factors = models.JSONField(default=list, blank=True)
    high_risk = models.BooleanField(default=False)
    homecare_status = models.CharField(
        max_length=16, blank=True, help_text=_("requested / pending_handoff / '' (tidak perlu)")
    )
    homecare_ref = models.CharField(max_length=64, blank=True)
    homecare_note = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=255, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.mother_name


class Birth(BaseModel):
    class Outcome(models.TextChoices):
        LIVE = "live", _("lahir hidup")
        STILL = "still", _("lahir mati")

    pregnancy = models.ForeignKey(
        Pregnancy, null=True, blank=True, on_delete=models.SET_NULL, related_name="births"
    )
    mother_nik = models.CharField(max_length=16, blank=True)
    born_on = models.DateField(db_index=True)
    outcome = models.CharField(max_length=5, choices=Outcome.choices)
    sex = models.CharField(max_length=1, choices=SEX_CHOICES, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-born_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["live", "still"]), name="birth_outcome_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.born_on}"


class Death(BaseModel):
    """A maternal death (during pregnancy, delivery or the puerperium) or an infant death."""

    class Kind(models.TextChoices):
        MATERNAL = "maternal", _("kematian ibu")
        INFANT = "infant", _("kematian bayi")

    class Timing(models.TextChoices):
        PREGNANCY = "pregnancy", _("masa hamil")
        DELIVERY = "delivery", _("saat persalinan")
        POSTPARTUM = "postpartum", _("nifas (≤ 42 hari)")
        LATE = "late", _("lebih dari 42 hari setelah persalinan")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    nik = models.CharField(max_length=16, blank=True)
    mother_nik = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=150, blank=True)
    died_on = models.DateField(db_index=True)
    birth_date = models.DateField(null=True, blank=True)
    age_days = models.PositiveIntegerField(null=True, blank=True)
    timing = models.CharField(max_length=10, choices=Timing.choices, blank=True)
    cause_icd10 = models.CharField(max_length=8, blank=True)
    cause = models.CharField(max_length=255, blank=True)
    accidental = models.BooleanField(default=False)
    kelurahan_code = models.CharField(max_length=10, db_index=True)
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    birth = models.ForeignKey(
        Birth, null=True, blank=True, on_delete=models.SET_NULL, related_name="deaths"
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-died_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind="maternal", timing__in=["pregnancy", "delivery", "postpartum", "late"]
                )
                | Q(kind="infant", age_days__isnull=False, age_days__lt=366),
                name="death_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.died_on}"

    @property
    def counts_for_aki(self) -> bool:
        return self.kind == self.Kind.MATERNAL and not self.accidental and self.timing != "late"

    @property
    def neonatal(self) -> bool:
        return self.kind == self.Kind.INFANT and (self.age_days or 0) <= 28


class DeathReview(BaseModel):
    """The audit (AMP / verbal autopsy) of one death: pending -> reviewed -> closed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("menunggu kajian")
        REVIEWED = "reviewed", _("sudah dikaji")
        CLOSED = "closed", _("ditutup")

    death = models.OneToOneField(Death, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    findings = models.TextField(blank=True)
    avoidable = models.BooleanField(null=True, blank=True)
    delays = models.JSONField(default=list, blank=True, help_text=_("Tiga terlambat: 1, 2, 3"))
    recommendations = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "reviewed", "closed"]),
                name="death_review_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.death} · {self.get_status_display()}"
