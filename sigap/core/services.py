"""Core operations: who is acting, the audit trail, role and scope checks, API keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Forbidden, NotAuthenticated
from .models import ApiKey, AuditEvent, Role, User
from .text import clip


class Channel(StrEnum):
    """Through which door an operation came (kept on every audit record)."""

    WEB = "web"
    API = "api"
    ADMIN = "admin"
    CLI = "cli"
    SYSTEM = "system"
    SIMULATION = "simulation"
    SOS = "sos"
    PARTNER = "partner"
    APLICARE = "aplicare"
    SIRS = "sirs"
    SISRUTE = "sisrute"


@dataclass(frozen=True)
class Actor:
    """Who performs an operation and through which channel; every service takes one."""

    user: User | None
    channel: str
    label: str = ""
    remote_addr: str | None = None

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return self.user.get_username()
        return self.channel

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, channel=Channel.SYSTEM, label=label)

    @classmethod
    def from_request(
        cls, request: HttpRequest, channel: str = Channel.WEB, label: str = ""
    ) -> Actor:
        user = getattr(request, "auth_user", None) or getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        return cls(user=user, channel=channel, label=label, remote_addr=client_ip(request))


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record_audit(
    actor: Actor,
    action: str,
    obj: Model | None = None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    object_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit record. Call inside the transaction of the change it describes."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
        object_label = object_label or str(obj)
    return AuditEvent.objects.create(
        actor=actor.user,
        actor_label=clip(actor.display, AuditEvent, "actor_label"),
        channel=actor.channel,
        action=action,
        object_type=object_type or "",
        object_id=clip(object_id, AuditEvent, "object_id"),
        object_label=clip(object_label, AuditEvent, "object_label"),
        before=before,
        after=after,
        remote_addr=actor.remote_addr,
    )


def audit_read(actor: Actor, obj: Model, *, label: str = "", **details: Any) -> AuditEvent:
    """One read of a person's record (ASVS 8.3.5): who, when, which record. The action is
    "<model>.read"; `details` go to `after`. Call after the access check passed, so that a
    refused read is not recorded as a read."""
    return record_audit(
        actor, f"{obj._meta.model_name}.read", obj, object_label=label, after=details or None
    )


def audit_list_read(
    actor: Actor,
    model: type[Model],
    ids: Iterable[Any],
    *,
    scope: Model | None = None,
    **details: Any,
) -> AuditEvent:
    """One read of a list of people's records: one audit record per list read (not per row)
    naming the ids of the rows shown, and the list's scope (e.g. the inbox's facility). The
    action is "<model>.list"."""
    shown = [str(i) for i in ids]
    return record_audit(
        actor,
        f"{model._meta.model_name}.list",
        object_type=model._meta.label_lower,
        object_id=str(getattr(scope, "public_id", scope.pk)) if scope is not None else "",
        object_label=str(scope) if scope is not None else "",  # record_audit clips it
        after={"ids": shown, "count": len(shown)} | details,
    )


def require_role(actor: Actor, *roles: str) -> User:
    """The acting user, if logged in and holding one of `roles` (admins pass every check)."""
    user = actor.user
    if user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if user.is_admin_role or user.role in roles:
        return user
    raise Forbidden(_("Peran Anda tidak diizinkan melakukan ini."))


def require_area(actor: Actor, region_code: str) -> None:
    """Refuse when the region lies outside the acting user's area."""
    user = actor.user
    if user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if not (user.is_admin_role or user.covers_area(region_code)):
        raise Forbidden(_("Wilayah ini di luar cakupan Anda."))


def authenticate_api_key(raw: str | None) -> User | None:
    """The active user behind a raw API key, or None."""
    if not raw or not raw.startswith("sgp_"):
        return None
    prefix = raw[4 : 4 + ApiKey.PREFIX_LEN]
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at=None).first()
    if key is None or not key.matches(raw) or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.user


def issue_api_key(actor: Actor, user: User, name: str) -> str:
    """Create an API key for `user`; returns the raw key, shown once."""
    require_role(actor, Role.ADMIN)
    key, raw = ApiKey.generate(user, name)
    record_audit(actor, "api_key.create", key, after={"user": user.username, "name": name})
    return raw
