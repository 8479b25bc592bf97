"""Registry of health facilities: hospitals, Puskesmas, Pustu, clinics."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.regions.models import Region


class Kind:
    """Codes of the facility kinds (rows of FacilityKind, loaded by migration 0002)."""

    HOSPITAL = "rs"
    PUSKESMAS = "puskesmas"
    PUSTU = "pustu"
    CLINIC = "klinik"
    PRACTICE = "praktik"
    POSYANDU = "posyandu"


class FacilityKind(models.Model):
    """Reference data: RS, Puskesmas, Pustu, Klinik, ... with the SATUSEHAT jenis_sarana."""

    code = models.CharField(max_length=16, primary_key=True)
    name = models.CharField(max_length=64)
    satusehat_code = models.CharField(max_length=8, blank=True)

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """Reference data: services a facility offers (IGD, ICU, NICU, obstetri, ...)."""

    code = models.CharField(max_length=16, primary_key=True)
    name = models.CharField(max_length=64)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Facility(BaseModel):
    class Ownership(models.TextChoices):
        PUBLIC = "public", _("Pemerintah")
        PRIVATE = "private", _("Swasta")

    class HospitalClass(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    name = models.CharField(max_length=200, db_index=True)
    kind = models.ForeignKey(FacilityKind, on_delete=models.PROTECT, related_name="facilities")
    kemenkes_code = models.CharField(max_length=20, blank=True, db_index=True)
    bpjs_kodeppk = models.CharField(max_length=20, null=True, blank=True, unique=True)
    ownership = models.CharField(max_length=8, choices=Ownership.choices)
    hospital_class = models.CharField(max_length=1, choices=HospitalClass.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="satellites",
        help_text=_("Puskesmas induk (untuk Pustu)"),
    )
    village = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="facilities", limit_choices_to={"level": 4}
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    address = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    emergency_phone = models.CharField(max_length=32, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="facilities")
    catchment = models.ManyToManyField(
        Region,
        blank=True,
        related_name="served_by",
        limit_choices_to={"level": 4},
        help_text=_("Kelurahan/desa wilayah kerja (untuk Puskesmas)"),
    )
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="FacilityOperator", blank=True, related_name="facilities"
    )
    is_active = models.BooleanField(default=True)
    is_synthetic = models.BooleanField(
        default=False, help_text=_("Data demo sintetis, bukan fasilitas nyata")
    )

    class Meta:
        verbose_name_plural = "facilities"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="facility_position_range",
            ),
            models.CheckConstraint(
                condition=models.Q(hospital_class="") | models.Q(kind=Kind.HOSPITAL),
                name="facility_class_only_for_hospitals",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | models.Q(kind=Kind.PUSTU),
                name="facility_parent_only_for_pustu",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region_code(self) -> str:
        return self.village_id


class FacilityOperator(models.Model):
    """A user who acts for a facility (hospital bed operator, Puskesmas staff, ...)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "facility"], name="facility_operator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.facility}"
