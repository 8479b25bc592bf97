"""Who may do what: roles, the kelurahan a user works in, the posyandu they record for,
and the NIK mask for lists and the audit trail."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sigap.core.errors import Forbidden, NotAuthenticated, refused_as_not_found
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel, require_role
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

READ_ROLES = (Role.ANALYST, Role.PUSKESMAS_STAFF)


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    return actor.user


def catchment_codes(user: User) -> set[str] | None:
    """Kelurahan codes a Puskesmas staff member works in (None = no limit: admins, analysts
    are limited by their area instead)."""
    if user.is_admin_role or user.role == Role.ANALYST:
        return None
    puskesmas = facility_services.facilities_operated_by(user).filter(kind_id=Kind.PUSKESMAS)
    codes = set(
        Region.objects.filter(served_by__in=puskesmas).values_list("code", flat=True).distinct()
    )
    # a staff member linked to a posyandu directly works in its kelurahan
    codes |= set(
        facility_services.facilities_operated_by(user)
        .filter(kind_id=Kind.POSYANDU)
        .values_list("village_id", flat=True)
    )
    return codes


def require_reader(actor: Actor) -> User:
    """Dashboards and lists: analysts, admins and Puskesmas staff."""
    return require_role(actor, *READ_ROLES)


def can_access_kelurahan(user: User, kelurahan_code: str) -> bool:
    if not (user.is_admin_role or user.covers_area(kelurahan_code)):
        return False
    codes = catchment_codes(user)
    return codes is None or kelurahan_code in codes


TRUSTED_CHANNELS = {Channel.SYSTEM, Channel.CLI}


def trusted(actor: Actor) -> bool:
    """The demo, imports from the command line and sweeps act without a user."""
    return actor.user is None and actor.channel in TRUSTED_CHANNELS


def require_kelurahan(actor: Actor, kelurahan_code: str) -> User | None:
    if trusted(actor):
        return None
    user = _user(actor)
    if user.is_superuser:
        return user
    if not can_access_kelurahan(user, kelurahan_code):
        raise Forbidden(_("Kelurahan ini di luar wilayah kerja Anda."))
    return user


def require_record_in_scope(actor: Actor, kelurahan_code: str, not_found: str) -> None:
    """A record looked up by id (after the role check): one outside the caller's kelurahan
    answers like one that does not exist (`not_found`), so that an id never tells whether a
    child or case exists elsewhere."""
    with refused_as_not_found(not_found):
        require_kelurahan(actor, kelurahan_code)


def require_recorder(actor: Actor, kelurahan_code: str) -> User | None:
    """Writing child and mother data: Puskesmas staff in their catchment, or admins."""
    if trusted(actor):
        return None
    require_role(actor, Role.PUSKESMAS_STAFF)
    return require_kelurahan(actor, kelurahan_code)


def _require_staff(actor: Actor) -> User | None:
    return None if trusted(actor) else require_role(actor, Role.PUSKESMAS_STAFF)


def posyandu_for(user: User | None) -> QuerySet[Facility]:
    """Posyandu a user may record for."""
    qs = Facility.objects.filter(kind_id=Kind.POSYANDU, is_active=True)
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if not (user.is_admin_role or user.role == Role.PUSKESMAS_STAFF):
        return qs.none()
    if user.area_code:
        qs = qs.filter(village__code__startswith=user.area_code)
    codes = catchment_codes(user)
    return qs if codes is None else qs.filter(village_id__in=codes)


def scope_filter(user: User, field: str = "kelurahan_code") -> Q:
    """The rows of this app a reader may see, as a filter on a kelurahan code field."""
    if user.is_superuser:
        return Q()
    q = Q(**{f"{field}__startswith": user.area_code}) if user.area_code else Q()
    codes = catchment_codes(user)
    if codes is not None:
        q &= Q(**{f"{field}__in": codes})
    return q


def mask_nik_encoded(nik: str | None) -> str:
    """A NIK for nutrition lists, API answers and the audit trail: only the first 4 digits
    (province and kabupaten/kota) are shown. Digits 5-12 encode the kecamatan and the birth
    date (+40 for girls), which the kelurahan, birth date and sex shown beside a child
    rebuild, and with them the serial (13-16) would complete the NIK: all are hidden."""
    s = (nik or "").strip()
    if len(s) <= 4:
        return "x" * len(s)
    return s[:4] + "x" * (len(s) - 4)
