"""Handing a child or a mother to home care for a visit, when the home-care capability exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sigap.core.services import Actor
from sigap.core.text import clip

from ..models import CaseAction

try:
    from sigap.homecare import services as homecare_services
except ImportError:  # home care is an optional capability
    homecare_services = None

log = logging.getLogger(__name__)


def homecare_api():
    """(create_request, RequestInput) of sigap.homecare.services when home care provides them,
    else None (the action is then recorded as pending hand-off and retried by a sweep)."""
    if homecare_services is None:
        return None
    create = getattr(homecare_services, "create_request", None)
    request_input = getattr(homecare_services, "RequestInput", None)
    if not callable(create) or request_input is None:
        return None
    return create, request_input


@dataclass(frozen=True)
class HandOff:
    """What home care needs to plan a visit."""

    nik: str
    name: str
    phone: str
    address: str
    kelurahan_code: str
    need: str
    target_group: str
    source: str  # home care's request source: "nutrition" or "maternal"
    source_ref: str


def _hand_off(actor: Actor, h: HandOff) -> tuple[str | None, str]:
    """Ask home care for a visit: (request id, "") or (None, why it could not be handed over)."""
    api = homecare_api()
    if api is None:
        return None, _("Layanan home care belum tersedia.")
    create, request_input = api
    try:
        with transaction.atomic():
            request = create(
                actor,
                request_input(
                    nik=h.nik,
                    name=h.name,
                    phone=h.phone,
                    address=h.address or "-",
                    village_code=h.kelurahan_code,
                    need=h.need[:500],
                    target_group=h.target_group,
                ),
                source=h.source,
                source_ref=h.source_ref,
            )
    except (InvalidInput, Conflict, Forbidden, NotFound, NotAuthenticated) as exc:
        log.info("home-care hand-off deferred (%s): %s", h.source_ref, exc.message)
        return None, clip(str(exc.message), CaseAction, "handoff_note")
    return str(getattr(request, "public_id", getattr(request, "pk", request))), ""
