"""Signed webhooks: SIGAP calling partner systems, and checking partners' calls to SIGAP.

Outbound: `enqueue()` writes a delivery row inside the caller's transaction (so a rolled-back
change sends nothing); the worker's sweep `deliver_due()` posts it, and retries failures with
exponential back-off until it gives up. Every attempt is in the delivery log.

Signature (both directions): headers `X-Sigap-Timestamp` (Unix seconds) and
`X-Sigap-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, plus
`X-Sigap-Event` and `X-Sigap-Delivery` (the delivery's UUID, for de-duplication).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
TIMEOUT_SECONDS = 10
# a delivery being posted is leased for this long, so two workers never post it twice
LEASE_SECONDS = 60


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, body: bytes, timestamp: str, signature: str, *, now: float | None = None
) -> bool:
    """True when `signature` signs `body` at `timestamp` with `secret` and the timestamp is
    within SIGAP_SIGNATURE_MAX_SKEW seconds of now (a replayed old call is refused)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - ts) > settings.SIGAP_SIGNATURE_MAX_SKEW:
        return False
    return hmac.compare_digest(sign(secret, str(ts), body), signature or "")


def enqueue(
    endpoint: WebhookEndpoint, event: str, payload: dict, *, ref: str = ""
) -> WebhookDelivery | None:
    """Queue one signed call; None when the endpoint is inactive or does not want the event."""
    if not endpoint.wants(event):
        return None
    body = json.dumps(
        {"event": event, "sent_at": timezone.now().isoformat(), "data": payload},
        sort_keys=True,
        default=str,
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, ref=ref[:100], body=body, next_attempt_at=timezone.now()
    )


def retry_delay(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, ... capped at an hour."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """Post once; returns (status code or None, response text, error)."""
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - URL comes from a configured endpoint
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SIGAP-webhook/1",
            "X-Sigap-Event": delivery.event,
            "X-Sigap-Delivery": str(delivery.public_id),
            "X-Sigap-Timestamp": timestamp,
            "X-Sigap-Signature": sign(delivery.endpoint.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(2000).decode(errors="replace"), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode(errors="replace"), f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return None, "", str(exc)[:300]


def attempt(delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Post a claimed delivery once and record the outcome."""
    now = now or timezone.now()
    code, text, error = _post(delivery)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = code
    delivery.response_body = text
    delivery.last_error = error
    if code is not None and 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        log.warning("webhook %s to %s gave up: %s", delivery.event, delivery.endpoint, error)
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()
    return delivery


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Post every pending delivery whose time has come; returns how many were attempted."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.PENDING) & Q(next_attempt_at__lte=now)
    ).order_by("next_attempt_at")
    done = 0
    for pk, seen in due.values_list("pk", "next_attempt_at")[:limit]:
        lease = now + timedelta(seconds=LEASE_SECONDS)
        # compare-and-set on the time we saw: only one worker wins the lease
        if not WebhookDelivery.objects.filter(
            pk=pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=seen
        ).update(next_attempt_at=lease):
            continue
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=pk)
        attempt(delivery, now)
        done += 1
    return done
