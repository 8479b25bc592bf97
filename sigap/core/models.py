"""Base model, users with roles and scopes, audit trail, API keys."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField


class BaseModel(models.Model):
    """Every SIGAP table: an internal id, a public UUID for URLs and APIs, and timestamps."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    PUBLIC = "public", _("Warga (publik)")
    HOSPITAL_OPERATOR = "hospital_operator", _("Operator rumah sakit")
    PUSKESMAS_STAFF = "puskesmas_staff", _("Petugas Puskesmas")
    PSC_CALL_TAKER = "psc_call_taker", _("Call-taker PSC 119")
    DISPATCHER = "dispatcher", _("Dispatcher PSC 119")
    AMBULANCE_CREW = "ambulance_crew", _("Kru ambulans")
    ANALYST = "analyst", _("Analis Dinas Kesehatan")
    ADMIN = "admin", _("Admin")


class User(AbstractUser):
    """A person who logs in. The role says what they may do; the scope says where.

    Scope: `area_code` is a Kemendagri region prefix (e.g. "3374" for Kota Semarang, "33"
    for Jawa Tengah); facility-bound roles are also linked to their facilities through
    `facilities.FacilityOperator`.
    """

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PUBLIC)
    area_code = models.CharField(
        max_length=10,
        blank=True,
        help_text=_("Kode wilayah Kemendagri yang menjadi cakupan pengguna (kosong = nasional)."),
    )
    phone = models.CharField(max_length=32, blank=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
        ]

    def covers_area(self, region_code: str) -> bool:
        """True if `region_code` lies inside the user's area (empty area = everywhere)."""
        return not self.area_code or (region_code or "").startswith(self.area_code)

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class AuditEvent(models.Model):
    """One change to operational data: who, when, what, before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=150, help_text=_("Pengguna, kunci API atau sistem"))
    channel = models.CharField(max_length=32, help_text=_("web, api, aplicare, sirs, cli, ..."))
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_label = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(BaseModel):
    """A machine client's key. Only a hash is stored; the key is shown once at creation."""

    PREFIX_LEN = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LEN, unique=True)
    key_hash = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls, user: "User", name: str) -> tuple["ApiKey", str]:
        """Create a key; returns the row and the raw key (never stored)."""
        raw = "sgp_" + secrets.token_urlsafe(32)
        prefix = raw[4 : 4 + cls.PREFIX_LEN]
        key = cls.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash_key(raw))
        return key, raw

    def matches(self, raw: str) -> bool:
        return secrets.compare_digest(self.key_hash, _hash_key(raw))


class PeriodicRun(models.Model):
    """When each periodic sweep (sigap.core.periodic) runs next; shared by all workers."""

    name = models.CharField(max_length=200, primary_key=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)

    def __str__(self) -> str:
        return self.name


class WebhookEndpoint(BaseModel):
    """A partner system SIGAP calls (an agency's dispatch system, a hospital's SIMRS, an SMS
    gateway). Calls are signed with `secret` (HMAC-SHA256); see sigap.core.webhooks."""

    name = models.CharField(_("nama"), max_length=120, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = EncryptedTextField(default=secrets.token_urlsafe)  # encrypted at rest
    # events this endpoint wants, e.g. ["incident.handover"]; empty means all
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    owner_label = models.CharField(_("pemilik"), max_length=150, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


class WebhookDelivery(BaseModel):
    """One signed call to one endpoint, with its attempts: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        DELIVERED = "delivered", _("Terkirim")
        FAILED = "failed", _("Gagal (menyerah)")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=80)
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.status})"


class Notification(models.Model):
    """An in-app notification for one user (bell in the header, /notifikasi/)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.title}"


class OutboundMessage(models.Model):
    """A message sent outside SIGAP (SMS, WhatsApp, webhook) through sigap.core.notify."""

    channel = models.CharField(max_length=20)
    backend = models.CharField(max_length=120)
    to = models.CharField(max_length=200)
    text = models.TextField()
    ref = models.CharField(max_length=100, blank=True, db_index=True)
    delivery = models.ForeignKey(
        WebhookDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.to}"
