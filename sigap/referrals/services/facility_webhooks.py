"""Per-facility SIMRS webhooks: a hospital or Puskesmas registers its endpoint and hears of
every move of its referrals as a signed core webhook delivery (ids and status, no personal
data)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sigap.core import webhooks
from sigap.core.errors import Conflict, InvalidInput, NotFound
from sigap.core.models import WebhookEndpoint
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind

from ..models import FacilityWebhook, Referral

_URL_LENGTH = WebhookEndpoint._meta.get_field("url").max_length

WEBHOOK_EVENTS = {
    "send": "referral.received",
    "accept": "referral.accepted",
    "reject": "referral.rejected",
    "escalate": "referral.escalated",
    "redirect": "referral.redirected",
    "arrive": "referral.arrived",
    "close": "referral.closed",
    "cancel": "referral.cancelled",
    "expire": "referral.expired",
}
# what a registration receives, as the API and the settings page list it
WEBHOOK_EVENT_NAMES = sorted(set(WEBHOOK_EVENTS.values()))


def register_webhook(actor: Actor, facility: Facility, url: str) -> tuple[FacilityWebhook, str]:
    """Point the facility's referral events at its SIMRS `url` with a new signing secret,
    returned once (the caller shows it once; a new registration replaces URL and secret)."""
    facility_services.require_operator(actor, facility)
    if facility.kind_id not in (Kind.HOSPITAL, Kind.PUSKESMAS):
        raise InvalidInput(_("Hanya rumah sakit dan Puskesmas yang menerima rujukan."))
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(_("Alamat URL tidak sah (https://)."), field="url") from None
    if len(url) > _URL_LENGTH:
        raise InvalidInput(_("Alamat URL terlalu panjang."), field="url")
    try:
        # https to a public address only (no SSRF); checked again at every delivery
        webhooks.check_url(url)
    except webhooks.UnsafeUrl as exc:
        raise InvalidInput(str(exc), field="url") from None
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        hook = (
            FacilityWebhook.objects.select_for_update()
            .select_related("endpoint")
            .filter(facility=facility)
            .first()
        )
        before = {"url": hook.endpoint.url} if hook is not None else None
        if hook is None:
            try:
                with transaction.atomic():
                    endpoint = WebhookEndpoint.objects.create(
                        name=f"SIMRS rujukan {facility.public_id}",
                        url=url,
                        secret=secret,
                        events=[],
                        owner_label=clip(facility.name, WebhookEndpoint, "owner_label"),
                    )
                    hook = FacilityWebhook.objects.create(facility=facility, endpoint=endpoint)
            except IntegrityError:
                # two first registrations at once: the other one won
                msg = _("Webhook baru saja didaftarkan pengguna lain; muat ulang.")
                raise Conflict(msg) from None
        else:
            endpoint = hook.endpoint
            endpoint.url, endpoint.secret, endpoint.is_active = url, secret, True
            endpoint.save(update_fields=["url", "secret", "is_active", "updated_at"])
        record_audit(
            actor, "referral_webhook.register", hook, object_label=facility.name,
            before=before, after={"url": url},
        )  # fmt: skip
    return hook, secret


def remove_webhook(actor: Actor, facility: Facility) -> None:
    """Drop the facility's registration (and its delivery log); its SIMRS hears no more."""
    facility_services.require_operator(actor, facility)
    with transaction.atomic():
        hook = FacilityWebhook.objects.select_related("endpoint").filter(facility=facility).first()
        if hook is None:
            raise NotFound(_("Fasilitas ini belum mendaftarkan webhook."))
        record_audit(
            actor, "referral_webhook.remove", hook, object_label=facility.name,
            before={"url": hook.endpoint.url},
        )  # fmt: skip
        hook.endpoint.delete()  # cascades to the registration and its delivery log


def push_event(referral: Referral, action: str, *, now: datetime) -> int:
    """Queue the signed call of a referral event for the SIMRS of its sender and of its
    (current) receiver, nobody else's; in the caller's transaction, so a move that rolls
    back sends nothing. Returns the number of deliveries queued.

    The call carries the minimum - event, ids, status - and no personal data (no NIK, name,
    address, JKN number, clinical notes): the SIMRS fetches the referral with its API key
    from `detail` (or SISRUTE's `GET /sisrute/rujukan?nomor=`), where access is checked."""
    event = WEBHOOK_EVENTS.get(action)
    if event is None:
        return 0
    ids = {referral.sender_id, referral.receiver_id} - {None}
    hooks = list(
        FacilityWebhook.objects.filter(facility_id__in=ids, endpoint__is_active=True)
        .select_related("endpoint", "facility")
        .order_by("pk")
    )
    if not hooks:
        return 0
    body = {
        "nomor": referral.number,
        "id": str(referral.public_id),
        "action": action,
        "status": referral.status,
        "at": now.isoformat(),
        "detail": f"/api/v1/referrals/referrals/{referral.public_id}",
    }
    queued = 0
    for hook in hooks:
        role = "receiver" if hook.facility_id == referral.receiver_id else "sender"
        delivery = webhooks.enqueue(
            hook.endpoint, event, {**body, "facility_role": role}, ref=referral.ref
        )
        queued += delivery is not None
    return queued


def on_referral_moved(
    sender: object, referral: Referral, action: str, now: datetime, **kwargs: object
) -> None:
    """`referral_moved` receiver: every move is pushed to the parties' SIMRS."""
    push_event(referral, action, now=now)
