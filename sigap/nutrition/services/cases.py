"""Severe cases and their actions: the two state machines, taking a case, home-care actions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel, record_audit, require_role

from ..models import CaseAction, NutritionCase
from ._input import _uuid, clip
from .access import _require_staff, require_kelurahan, require_reader, require_record_in_scope
from .handoff import HandOff, _hand_off

CASE_TRANSITIONS: dict[str, set[str]] = {
    NutritionCase.Status.OPEN: {NutritionCase.Status.ACTING, NutritionCase.Status.CLOSED},
    NutritionCase.Status.ACTING: {NutritionCase.Status.RECOVERED, NutritionCase.Status.CLOSED},
    NutritionCase.Status.RECOVERED: set(),
    NutritionCase.Status.CLOSED: set(),
}


def _locked_case(case: NutritionCase) -> NutritionCase:
    locked = NutritionCase.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    return locked


def move_case(
    actor: Actor, case: NutritionCase, to: str, *, reason: str = "", expected: str | None = None
) -> NutritionCase:
    """The one function that changes a case's status (who, when, why in the audit)."""
    _require_staff(actor)
    require_kelurahan(actor, case.kelurahan_code)
    with transaction.atomic():
        case = _locked_case(case)
        if expected is not None and case.status != expected:
            raise Conflict(_("Status kasus sudah berubah; muat ulang halaman."), field="status")
        if to not in CASE_TRANSITIONS.get(case.status, set()):
            raise InvalidInput(
                _("Kasus berstatus “%(s)s” tidak dapat dipindah ke “%(t)s”.")
                % {"s": case.get_status_display(), "t": to},
                field="status",
            )
        if to == NutritionCase.Status.CLOSED and not reason.strip():
            raise InvalidInput(_("Tuliskan alasan penutupan."), field="reason")
        before = case.status
        case.status = to
        case.status_changed_at = timezone.now()
        case.status_reason = clip(reason.strip(), NutritionCase, "status_reason")
        case.save(update_fields=["status", "status_changed_at", "status_reason", "updated_at"])
        record_audit(
            actor,
            "case.status",
            case,
            before={"status": before},
            after={"status": to, "reason": case.status_reason},
        )
    return case


def take_case(actor: Actor, case: NutritionCase) -> NutritionCase:
    """Become the case's owner if nobody owns it yet (compare-and-set)."""
    user = require_role(actor, Role.PUSKESMAS_STAFF)
    require_kelurahan(actor, case.kelurahan_code)
    with transaction.atomic():
        taken = NutritionCase.objects.filter(pk=case.pk, owner__isnull=True).update(
            owner=user, updated_at=timezone.now()
        )
        case.refresh_from_db()
        if not taken:
            if case.owner_id == user.pk:
                return case
            raise Conflict(_("Kasus ini sudah ditangani petugas lain."), field="owner")
        record_audit(actor, "case.take", case, after={"owner": user.get_username()})
    return case


def _case_handoff(case: NutritionCase, note: str) -> HandOff:
    child = case.child
    return HandOff(
        # a child without a NIK of its own is visited under the mother's NIK
        nik=child.nik or child.mother_nik,
        name=child.name,
        phone=child.phone,
        address=child.address,
        kelurahan_code=case.kelurahan_code,
        need=f"{case.get_kind_display()}: {note}".strip(" :"),
        target_group="gizi_buruk",
        source="nutrition",
        source_ref=str(case.public_id),
    )


def add_action(
    actor: Actor, case: NutritionCase, kind: str, *, note: str = "", owner: User | None = None
) -> CaseAction:
    """Record an action; a home-care action is handed to home care when it exists."""
    user = _require_staff(actor)
    require_kelurahan(actor, case.kelurahan_code)
    if kind not in CaseAction.Kind.values:
        raise InvalidInput(_("Jenis tindakan tidak dikenal."), field="kind")
    owner = owner or user
    if owner is None:
        raise InvalidInput(_("Pilih penanggung jawab."), field="owner")
    if (user is None or owner.pk != user.pk) and not (
        owner.is_admin_role or owner.role == Role.PUSKESMAS_STAFF
    ):
        raise InvalidInput(_("Penanggung jawab harus petugas Puskesmas."), field="owner")
    with transaction.atomic():
        case = _locked_case(case)
        if case.status not in (NutritionCase.Status.OPEN, NutritionCase.Status.ACTING):
            raise InvalidInput(_("Kasus sudah selesai."), field="status")
        status = CaseAction.Status.REQUESTED
        ref = ""
        problem = ""
        if kind == CaseAction.Kind.HOMECARE:
            got, problem = _hand_off(actor, _case_handoff(case, note))
            status = CaseAction.Status.REQUESTED if got else CaseAction.Status.PENDING_HANDOFF
            ref = got or ""
        action = CaseAction.objects.create(
            case=case,
            kind=kind,
            status=status,
            owner=owner,
            note=clip(note.strip(), CaseAction, "note"),
            external_ref=ref,
            handoff_note=problem,
            created_by=user,
        )
        record_audit(
            actor,
            "case.action",
            action,
            after={"kind": kind, "status": status, "owner": owner.get_username()},
        )
        if case.owner_id is None:
            case.owner = owner
            case.save(update_fields=["owner", "updated_at"])
        if case.status == NutritionCase.Status.OPEN:
            move_case(actor, case, NutritionCase.Status.ACTING, reason=str(action))
    return action


ACTION_TRANSITIONS: dict[str, set[str]] = {
    CaseAction.Status.PENDING_HANDOFF: {CaseAction.Status.REQUESTED, CaseAction.Status.CANCELLED},
    CaseAction.Status.REQUESTED: {CaseAction.Status.DONE, CaseAction.Status.CANCELLED},
    CaseAction.Status.DONE: set(),
    CaseAction.Status.CANCELLED: set(),
}


def move_action(actor: Actor, action: CaseAction, to: str, *, ref: str = "") -> CaseAction:
    """The one function that changes an action's status."""
    if actor.user is not None:
        require_role(actor, Role.PUSKESMAS_STAFF)
        require_kelurahan(actor, action.case.kelurahan_code)
    elif actor.channel != Channel.SYSTEM:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    with transaction.atomic():
        locked = CaseAction.objects.select_for_update().filter(pk=action.pk).first()
        if locked is None:
            raise NotFound(_("Tindakan tidak ditemukan."))
        if to not in ACTION_TRANSITIONS.get(locked.status, set()):
            raise InvalidInput(_("Perubahan status tindakan ini tidak diizinkan."), field="status")
        before = locked.status
        locked.status = to
        if ref:
            locked.external_ref = clip(ref, CaseAction, "external_ref")
        locked.save(update_fields=["status", "external_ref", "updated_at"])
        record_audit(
            actor,
            "case.action.status",
            locked,
            before={"status": before},
            after={"status": to, "ref": locked.external_ref},
        )
    return locked


def get_case(actor: Actor, public_id) -> NutritionCase:
    require_reader(actor)
    public_id = _uuid(public_id, _("Kasus"))
    case = (
        NutritionCase.objects.select_related("child", "owner", "posyandu")
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound(_("Kasus tidak ditemukan."))
    require_record_in_scope(actor, case.kelurahan_code, _("Kasus tidak ditemukan."))
    return case
