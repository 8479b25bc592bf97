"""Notifications: in-app (a bell per user) and outbound channels behind one interface.

`notify(users, ...)` writes in-app notifications. `send_external(channel, to, text)` sends an
SMS, WhatsApp message or webhook through the backend configured for that channel in
`settings.SIGAP_NOTIFY_CHANNELS`:
- `ConsoleBackend` (the demo): logs the message and keeps it in the outbound log;
- `WebhookBackend`: `to` names a `WebhookEndpoint`; the message goes as a signed webhook
  (retries and delivery log from sigap.core.webhooks);
- `HttpGatewayBackend`: an SMS/WhatsApp gateway reached as a signed webhook at the endpoint
  named by the channel's `ENDPOINT` option; `to` is the phone number.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import InvalidInput, NotFound
from .models import Notification, OutboundMessage, User, WebhookEndpoint
from .text import clip
from .webhooks import enqueue

log = logging.getLogger("sigap.notify")


def notify(
    users: Iterable[User], *, kind: str, title: str, body: str = "", link: str = "", ref: str = ""
) -> int:
    """One in-app notification per distinct active user; returns how many were written."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user,
                kind=clip(kind, Notification, "kind"),
                title=clip(title, Notification, "title"),
                body=body,
                link=clip(link, Notification, "link"),
                ref=clip(ref, Notification, "ref"),
            )
        )
    Notification.objects.bulk_create(rows)
    return len(rows)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all, or only `ids`); only their own."""
    mine = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        mine = mine.filter(pk__in=list(ids))
    return mine.update(read_at=timezone.now())


class Backend(Protocol):
    def send(self, channel: str, to: str, text: str, *, ref: str, payload: dict) -> OutboundMessage:
        """Send one message and return its outbound-log row."""
        ...


def _mask(to: str) -> str:
    return to if len(to) <= 6 else f"{to[:4]}{'*' * (len(to) - 6)}{to[-2:]}"


def _record(
    channel: str, backend: str, to: str, text: str, ref: str, **extra: object
) -> OutboundMessage:
    """The outbound log row every backend writes (the ref cut to its column)."""
    return OutboundMessage.objects.create(
        channel=channel, backend=backend, to=to, text=text,
        ref=clip(ref, OutboundMessage, "ref"), **extra,
    )  # fmt: skip


class ConsoleBackend:
    """The demo's channel: writes the message to the log instead of sending it."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def send(self, channel: str, to: str, text: str, *, ref: str, payload: dict) -> OutboundMessage:
        log.warning("[%s to %s] %s", channel, _mask(to), text)
        return _record(channel, "console", to, text, ref)


class WebhookBackend:
    """`to` is the name of a WebhookEndpoint; the message goes out as a signed webhook."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def endpoint(self, to: str) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(name=to, is_active=True).first()
        if endpoint is None:
            raise NotFound(f"webhook endpoint {to!r} not found or inactive", field="to")
        return endpoint

    def send(self, channel: str, to: str, text: str, *, ref: str, payload: dict) -> OutboundMessage:
        endpoint = self.endpoint(to)
        delivery = enqueue(endpoint, f"message.{channel}", {"text": text, **payload}, ref=ref)
        return _record(channel, "webhook", to, text, ref, delivery=delivery)


class HttpGatewayBackend(WebhookBackend):
    """An SMS/WhatsApp gateway behind the endpoint named by the ENDPOINT option."""

    def send(self, channel: str, to: str, text: str, *, ref: str, payload: dict) -> OutboundMessage:
        endpoint = self.endpoint(str(self.options.get("ENDPOINT", "")))
        body = {"to": to, "text": text, **payload}
        delivery = enqueue(endpoint, f"message.{channel}", body, ref=ref)
        return _record(channel, "gateway", to, text, ref, delivery=delivery)


def backend_for(channel: str) -> Backend:
    config = settings.SIGAP_NOTIFY_CHANNELS.get(channel)
    if config is None:
        raise InvalidInput(f"unknown notification channel {channel!r}", field="channel")
    options = {k: v for k, v in config.items() if k != "BACKEND"}
    return import_string(config["BACKEND"])(**options)


def send_external(
    channel: str, to: str, text: str, *, ref: str = "", payload: dict | None = None
) -> OutboundMessage:
    """Send through the channel's configured backend ("sms", "whatsapp", "webhook")."""
    if not to or not text:
        raise InvalidInput("recipient and text are required", field="to" if not to else "text")
    return backend_for(channel).send(channel, to, text, ref=ref, payload=payload or {})
