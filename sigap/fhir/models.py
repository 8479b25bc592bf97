"""The SATUSEHAT submission client's tables: the deployment's configuration, the SATUSEHAT
id of every SIGAP record sent, and the queue with its delivery log (sigap/fhir/satusehat.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sigap.core.fields import EncryptedTextField
from sigap.core.models import BaseModel


class SatusehatConfig(BaseModel):
    """Where and as whom this deployment submits to SATUSEHAT. The client secret and the
    cached access token are stored encrypted (sigap.core.fields) and never shown back."""

    name = models.CharField(_("nama"), max_length=100, default="SATUSEHAT")
    auth_url = models.URLField(
        _("URL autentikasi"),
        max_length=300,
        help_text=_("Misalnya https://api-satusehat-stg.dto.kemkes.go.id/oauth2/v1"),
    )
    fhir_url = models.URLField(
        _("URL FHIR"),
        max_length=300,
        help_text=_("Misalnya https://api-satusehat-stg.dto.kemkes.go.id/fhir-r4/v1"),
    )
    organization_id = models.CharField(
        _("ID organisasi SATUSEHAT"),
        max_length=64,
        help_text=_("Organization id Dinas Kesehatan di SATUSEHAT (induk fasilitas)."),
    )
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"))
    is_active = models.BooleanField(_("aktif"), default=True)
    access_token = EncryptedTextField(blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # records changed after this moment are queued by the next sweep (none before the first)
    changes_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("konfigurasi SATUSEHAT")
        verbose_name_plural = _("konfigurasi SATUSEHAT")
        constraints = [
            # one deployment submits as one organisation
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="satusehat_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fhir_url})"


class Kind(models.TextChoices):
    """The SIGAP records that go to SATUSEHAT."""

    FACILITY = "facility", _("Fasilitas (Organization)")
    ROOM = "room", _("Ruang rawat (Location)")
    HANDOFF = "handoff", _("Serah terima gawat darurat (Encounter)")
    MEASUREMENT = "measurement", _("Pengukuran gizi anak (Observation)")
    CHILD = "child", _("Anak (Patient, dicari lewat NIK)")


class SatusehatLink(models.Model):
    """The SATUSEHAT id of one SIGAP record as one resource (`part` tells apart the several
    Observations of one measurement). A known id makes the next submission a PUT."""

    config = models.ForeignKey(SatusehatConfig, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("jenis data"), max_length=12, choices=Kind.choices)
    object_pk = models.BigIntegerField(_("id data SIGAP"))
    resource_type = models.CharField(_("jenis sumber daya"), max_length=40)
    part = models.CharField(max_length=20, blank=True, default="")
    satusehat_id = models.CharField(_("id SATUSEHAT"), max_length=64)
    version_id = models.CharField(_("versi"), max_length=64, blank=True)
    last_submitted_at = models.DateTimeField(_("terakhir dikirim"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("id SATUSEHAT")
        verbose_name_plural = _("id SATUSEHAT")
        constraints = [
            models.UniqueConstraint(
                fields=["config", "kind", "object_pk", "resource_type", "part"],
                name="satusehat_link_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_pk} -> {self.resource_type}/{self.satusehat_id}"


class SatusehatSubmission(BaseModel):
    """One SIGAP record queued for SATUSEHAT, with its attempts: the delivery log. At most one
    pending submission per record (queuing it again while pending changes nothing)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        DELIVERED = "delivered", _("Terkirim")
        FAILED = "failed", _("Gagal (menyerah)")

    config = models.ForeignKey(
        SatusehatConfig, on_delete=models.CASCADE, related_name="submissions"
    )
    kind = models.CharField(_("jenis data"), max_length=12, choices=Kind.choices)
    object_pk = models.BigIntegerField(_("id data SIGAP"))
    label = models.CharField(_("data"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), db_index=True)
    last_attempt_at = models.DateTimeField(_("percobaan terakhir"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("kode HTTP"), null=True, blank=True)
    summary = models.CharField(_("permintaan"), max_length=300, blank=True)
    outcome = models.TextField(_("hasil (OperationOutcome)"), blank=True)
    delivered_at = models.DateTimeField(_("terkirim pada"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pengiriman SATUSEHAT")
        verbose_name_plural = _("pengiriman SATUSEHAT")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["config", "kind", "object_pk"],
                condition=Q(status="pending"),
                name="satusehat_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_pk} ({self.get_status_display()})"


class SatusehatAttempt(models.Model):
    """One attempt of a submission: the calls made (method, resource, status; NIKs masked)
    and what SATUSEHAT answered."""

    submission = models.ForeignKey(
        SatusehatSubmission, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(_("waktu"))
    requests = models.CharField(_("permintaan"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("kode HTTP"), null=True, blank=True)
    ok = models.BooleanField(_("berhasil"), default=False)
    outcome = models.TextField(_("hasil (OperationOutcome)"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("percobaan pengiriman")
        verbose_name_plural = _("percobaan pengiriman")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status_code or '-'}"
