"""Severe cases and their actions: the two state machines, taking a case, home-care actions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel, record_audit, require_role
from sigap.core.text import clip
from sigap.core.workflow import Workflow

from ..models import CaseAction, NutritionCase
from ._input import _uuid
from .access import _require_staff, require_kelurahan, require_reader, require_record_in_scope
from .handoff import HandOff, _hand_off

S = NutritionCase.Status
CASES = Workflow.of("case", NutritionCase, {S.OPEN: {S.ACTING, S.CLOSED},
                                            S.ACTING: {S.RECOVERED, S.CLOSED}})  # fmt: skip


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
        CASES.check(case.status, to)
        if to == NutritionCase.Status.CLOSED and not reason.strip():
            raise InvalidInput(_("Tuliskan alasan penutupan."), field="reason")
        reason = clip(reason.strip(), NutritionCase, "status_reason")
        now = timezone.now()
        CASES.move(
            actor, case, to, now=now, audit_as="case.status", audit={"reason": reason},
            changes={"status_changed_at": now, "status_reason": reason},
        )  # fmt: skip
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


A = CaseAction.Status
ACTIONS = Workflow.of("case.action", CaseAction, {A.PENDING_HANDOFF: {A.REQUESTED, A.CANCELLED},
                                                 A.REQUESTED: {A.DONE, A.CANCELLED}})  # fmt: skip


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
        changes = {"external_ref": clip(ref, CaseAction, "external_ref")} if ref else {}
        ACTIONS.move(
            actor, locked, to, changes=changes, audit_as="case.action.status",
            audit={"ref": changes.get("external_ref", locked.external_ref)},
        )  # fmt: skip
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
