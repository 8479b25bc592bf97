"""Who may act on home care, and the audit of reads of personal data."""

from __future__ import annotations

from django.db.models import Model
from django.utils.translation import gettext as _

from sigap.core.errors import Forbidden, NotAuthenticated
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit
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


def audit_read(actor: Actor, obj: Model, label: str, **details) -> None:
    """A read of personal data (a request's detail, a visit record) leaves an audit record:
    who, when, what (ASVS 8.3.5; SIGAP's core has no read-audit helper, so home care keeps
    this small one). The action is "<model>.read"; `details` go to `after`."""
    record_audit(
        actor, f"{obj._meta.model_name}.read", obj, object_label=label, after=details or None
    )


def audit_list_read(actor: Actor, facility: Facility, count: int, **details) -> None:
    """A list of requests (names, masked NIKs) read from a Puskesmas's inbox: one audit
    record per read, naming the Puskesmas and how many rows were shown."""
    record_audit(
        actor, "homecare_request.list", facility, object_label=f"inbox {facility.pk}",
        after={"count": count} | details,
    )  # fmt: skip
