"""The sweep that hands pending home-care actions and high-risk pregnancies over once home care
can take them."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from sigap.core.services import Actor, record_audit
from sigap.core.text import clip

from ..models import CaseAction, Pregnancy
from . import handoff
from .cases import _case_handoff, move_action
from .handoff import _hand_off
from .pregnancies import _pregnancy_handoff


def retry_handoffs(now: datetime | None = None) -> int:
    """Hand pending home-care actions and high-risk pregnancies over once home care exists
    (and the data it needs, e.g. a phone number, has been added)."""
    # through the module, so that a homecare_api replaced there (tests) applies here too
    if handoff.homecare_api() is None:
        return 0
    actor = Actor.system("nutrition-handoff")
    done = 0
    pending = CaseAction.objects.filter(
        kind=CaseAction.Kind.HOMECARE, status=CaseAction.Status.PENDING_HANDOFF
    ).select_related("case__child")
    for action in pending.order_by("updated_at")[:200]:
        ref, problem = _hand_off(actor, _case_handoff(action.case, action.note))
        if ref:
            move_action(actor, action, CaseAction.Status.REQUESTED, ref=ref)
            done += 1
        elif problem != action.handoff_note:
            CaseAction.objects.filter(pk=action.pk).update(handoff_note=problem)
    waiting = Pregnancy.objects.filter(homecare_status=CaseAction.Status.PENDING_HANDOFF)
    for p in waiting.order_by("updated_at")[:200]:
        ref, problem = _hand_off(actor, _pregnancy_handoff(p))
        if ref:
            with transaction.atomic():
                Pregnancy.objects.filter(pk=p.pk).update(
                    homecare_status=CaseAction.Status.REQUESTED,
                    homecare_ref=clip(ref, Pregnancy, "homecare_ref"),
                    homecare_note="",
                )
                record_audit(actor, "pregnancy.handoff", p, after={"ref": ref})
            done += 1
        elif problem != p.homecare_note:
            Pregnancy.objects.filter(pk=p.pk).update(homecare_note=problem)
    return done
