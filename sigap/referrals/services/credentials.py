"""SISRUTE credentials: the cons-id and password (stored as its MD5, SISRUTE's signing key)
with which a facility's SIMRS bridge calls the SISRUTE-compatible endpoints."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from sigap.core.models import Role
from sigap.core.services import Actor, record_audit, require_role
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility

from ..models import SisruteCredential
from .rules import TRUSTED_CHANNELS


def issue_sisrute_credential(actor: Actor, facility: Facility) -> tuple[SisruteCredential, str]:
    """A new cons-id and password for the facility's SIMRS bridge (the password is shown
    once; only its MD5, SISRUTE's signing key, is stored)."""
    if actor.user is not None or actor.channel not in TRUSTED_CHANNELS:
        facility_services.require_operator(actor, facility)
    password = secrets.token_urlsafe(18)
    digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    with transaction.atomic():
        existing = SisruteCredential.objects.filter(facility=facility).first()
        if existing is None:
            cred = SisruteCredential.objects.create(
                facility=facility,
                cons_id=f"SR{facility.pk:06d}{secrets.token_hex(2)}",
                password_md5=digest,
            )
        else:
            existing.password_md5, existing.is_active = digest, True
            existing.save(update_fields=["password_md5", "is_active", "updated_at"])
            cred = existing
        record_audit(
            actor, "referral.sisrute_credential.issue", facility, after={"cons_id": cred.cons_id}
        )
    return cred, password


def set_sisrute_password(
    actor: Actor, facility: Facility, cons_id: str, password: str
) -> SisruteCredential:
    """A fixed credential (demo, tests, a bridge configured with a known password)."""
    if actor.user is not None or actor.channel not in TRUSTED_CHANNELS:
        require_role(actor, Role.ADMIN)
    digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    with transaction.atomic():
        cred, _created = SisruteCredential.objects.update_or_create(
            facility=facility,
            defaults={"cons_id": cons_id, "password_md5": digest, "is_active": True},
        )
        record_audit(actor, "referral.sisrute_credential.set", facility, after={"cons_id": cons_id})
    return cred
