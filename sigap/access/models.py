"""Population figures the health office uploads per kelurahan (the other sources, the
regions table and the population register, belong to their own apps)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sigap.core.models import BaseModel
from sigap.regions.models import Region


class PopulationUpload(BaseModel):
    """One accepted file of population per kelurahan (a refused file leaves no row)."""

    area_code = models.CharField(max_length=10, help_text=_("Wilayah yang dicakup berkas"))
    filename = models.CharField(max_length=255)
    content_sha256 = models.CharField(max_length=64, db_index=True)
    row_count = models.PositiveIntegerField()
    total_population = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(
        default=False, help_text=_("Data demo sintetis, bukan angka nyata")
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.row_count})"


class PopulationFigure(models.Model):
    """The population of one kelurahan as one upload states it."""

    upload = models.ForeignKey(PopulationUpload, on_delete=models.CASCADE, related_name="figures")
    kelurahan = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", limit_choices_to={"level": 4}
    )
    population = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "kelurahan"], name="access_population_one_per_upload"
            ),
        ]
        indexes = [models.Index(fields=["kelurahan", "upload"])]

    def __str__(self) -> str:
        return f"{self.kelurahan_id}: {self.population}"


class Scenario(BaseModel):
    """A saved siting plan: what the analyst asked (`params`), what the planner answered
    (`result`: exact and greedy plan, figures before and after), who asked and when."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu giliran")
        RUNNING = "running", _("Sedang dihitung")
        DONE = "done", _("Selesai")
        FAILED = "failed", _("Gagal")

    name = models.CharField(max_length=120)
    area_code = models.CharField(max_length=10)
    params = models.JSONField()
    result = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(
        default=False, help_text=_("Data demo sintetis, bukan angka nyata")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area_code", "-created_at"])]

    def __str__(self) -> str:
        return self.name
