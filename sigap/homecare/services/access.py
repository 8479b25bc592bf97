"""Who may act on home care, and the audit of reads of personal data."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sigap.core.errors import Forbidden, NotAuthenticated
from sigap.core.models import Role
from sigap.core.services import Actor, Channel
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility

from ..models import Visit


def require_staff(actor: Actor, facility: Facility | None) -> None:
    """Puskesmas staff of `facility` (or an admin); system actors pass."""
    if actor.user is None and actor.channel in {Channel.SYSTEM, Channel.CLI}:
        return
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if facility is None or not facility_services.can_operate(actor.user, facility):
        raise Forbidden(_("Anda bukan petugas Puskesmas ini."))
    if not (actor.user.is_admin_role or actor.user.role == Role.PUSKESMAS_STAFF):
        raise Forbidden(_("Peran Anda tidak diizinkan melakukan ini."))


def is_worker_of(actor: Actor, visit: Visit) -> bool:
    return bool(actor.user and visit.worker_id and visit.worker.user_id == actor.user.pk)


def require_worker_or_staff(actor: Actor, visit: Visit) -> None:
    if is_worker_of(actor, visit):
        return
    require_staff(actor, visit.facility)
