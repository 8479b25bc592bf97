"""Signed webhooks: SIGAP calling partner systems, and checking partners' calls to SIGAP.

Outbound: `enqueue()` writes a delivery row inside the caller's transaction (so a rolled-back
change sends nothing); the worker's sweep `deliver_due()` posts it, and retries failures with
exponential back-off until it gives up. Every attempt is in the delivery log.

Signature (both directions): headers `X-Sigap-Timestamp` (Unix seconds) and
`X-Sigap-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, plus
`X-Sigap-Event` and `X-Sigap-Delivery` (the delivery's UUID, for de-duplication).

Where SIGAP may call (no SSRF): `check_url()` allows https only and refuses a host that
resolves to any address that is not public (loopback, private 10/8, 172.16/12, 192.168/16,
link-local 169.254/16 with the cloud metadata service, CGNAT, multicast, reserved, IPv6
ULA/link-local, and IPv4 hidden in IPv6: mapped, 6to4, NAT64). It runs at registration and
again at every delivery; the delivery connects to the very address it checked (resolve once,
no DNS rebinding; TLS still verifies the certificate against the host name) and never follows
a redirect. Two deployment settings loosen it:
- `SIGAP_WEBHOOK_ALLOW_LOOPBACK` (env, default off): also allow loopback addresses, and plain
  http to them only - for the demo's simulated partner agencies and for tests;
- `SIGAP_WEBHOOK_TRUSTED_NETWORKS` (env, comma-separated CIDRs, default none): internal
  systems the admin trusts, e.g. an SMS gateway on the office network (still https).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict
from .models import WebhookDelivery, WebhookEndpoint
from .services import Actor
from .text import clip
from .workflow import Workflow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
PENDING, DELIVERED, FAILED = WebhookDelivery.Status
# a delivery leaves `pending` once: posted, or given up after MAX_ATTEMPTS (the log is the record)
DELIVERIES = Workflow.of(
    "webhook.delivery", WebhookDelivery, {PENDING: (DELIVERED, FAILED)}, audited=False
)
_SENDER = Actor.system("webhooks")
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
TIMEOUT_SECONDS = 10
# a delivery being posted is leased for this long, so two workers never post it twice
LEASE_SECONDS = 60


class UnsafeUrl(ValueError):
    """A webhook URL SIGAP must not call; the message says why (user-facing)."""


# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, present `host` (Host header, TLS SNI)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for raw in settings.SIGAP_WEBHOOK_TRUSTED_NETWORKS:
        try:
            out.append(ipaddress.ip_network(str(raw).strip(), strict=False))
        except ValueError:
            log.warning("SIGAP_WEBHOOK_TRUSTED_NETWORKS: %r is not a network; ignored", raw)
    return out


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_loopback(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version == 6 and (inner := _embedded_v4(ip)) is not None:
        return inner.is_loopback
    return ip.is_loopback


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet (never loopback, private, link-local,
    CGNAT, multicast, reserved or an IPv4 of those hidden in an IPv6 address)."""
    if ip.version == 6:
        if (inner := _embedded_v4(ip)) is not None:
            return is_public(inner)
        if ip.teredo is not None:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str) -> Target:
    """Resolve `url`'s host once and return the address to connect to, or raise UnsafeUrl.
    Every address the name resolves to must be allowed (a name that answers one public and
    one private address is refused)."""
    allow_loopback = settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl(_("Alamat URL tidak sah.")) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("https", "http") or not host:
        raise UnsafeUrl(_("Alamat webhook harus https://."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("Alamat webhook tidak boleh memuat nama pengguna atau sandi."))
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise UnsafeUrl(_("Nama host webhook tidak dapat di-resolve.")) from None
    if not addresses:
        raise UnsafeUrl(_("Nama host webhook tidak dapat di-resolve."))
    trusted = _trusted_networks()
    only_loopback = True
    for raw in addresses:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
        if allow_loopback and is_loopback(ip):
            continue
        if not (is_public(ip) or any(ip in net for net in trusted)):
            raise UnsafeUrl(
                _("Alamat webhook menuju jaringan internal (%(ip)s); hanya alamat publik.")
                % {"ip": ip}
            )
        only_loopback = False
    if scheme != "https" and not only_loopback:
        raise UnsafeUrl(_("Alamat webhook harus https://."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path, addresses[0])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    now: float | None = None,
    once: str | None = None,
) -> bool:
    """True when `signature` signs `body` at `timestamp` with `secret` and the timestamp is
    within SIGAP_SIGNATURE_MAX_SKEW seconds of now (a replayed old call is refused).

    With `once` (the caller's scope, e.g. "agency:12"), a signature is accepted only the
    first time inside the window: the replay cache (Django's cache, shared by every process)
    remembers it for twice the allowed skew, so the same signed call sent again is refused."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - ts) > settings.SIGAP_SIGNATURE_MAX_SKEW:
        return False
    if not hmac.compare_digest(sign(secret, str(ts), body), signature or ""):
        return False
    return once is None or first_use(f"{once}:{ts}:{signature}")


def first_use(token: str) -> bool:
    """True the first time `token` is seen inside 2 x SIGAP_SIGNATURE_MAX_SKEW seconds, False
    on a replay (an atomic cache add: two processes cannot both see it first)."""
    key = "sigap:replay:" + hashlib.sha256(token.encode()).hexdigest()
    return cache.add(key, 1, timeout=2 * settings.SIGAP_SIGNATURE_MAX_SKEW + 1)


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
        endpoint=endpoint,
        event=event,
        ref=clip(ref, WebhookDelivery, "ref"),
        body=body,
        next_attempt_at=timezone.now(),
    )


def retry_delay(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, ... capped at an hour."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def send(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST `body` to the checked `target`: the connection goes to `target.address` (not to a
    new lookup of the name), TLS verifies the certificate for `target.host`, no redirect is
    followed. Returns (status, the first 2,000 characters of the answer)."""
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=TIMEOUT_SECONDS,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=TIMEOUT_SECONDS, retries=False, maxsize=1
        )
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            return response.status, response.read(2000).decode(errors="replace")
        finally:
            response.release_conn()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """Post once; returns (status code or None, response text, error)."""
    try:
        target = check_url(delivery.endpoint.url)
    except UnsafeUrl as exc:
        return None, "", clip(f"refused: {exc}", WebhookDelivery, "last_error")
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SIGAP-webhook/1",
        "X-Sigap-Event": delivery.event,
        "X-Sigap-Delivery": str(delivery.public_id),
        "X-Sigap-Timestamp": timestamp,
        "X-Sigap-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    try:
        code, text = send(target, body, headers)
    except (urllib3.exceptions.HTTPError, TimeoutError, OSError, ValueError) as exc:
        return None, "", clip(str(exc), WebhookDelivery, "last_error")
    return code, text, "" if 200 <= code < 300 else f"HTTP {code}"


def attempt(delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Post a claimed delivery once and record the outcome."""
    now = now or timezone.now()
    code, text, error = _post(delivery)
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_attempt_at": now, "last_status_code": code,
               "response_body": text, "last_error": error}  # fmt: skip
    if code is not None and 200 <= code < 300:
        DELIVERIES.move(_SENDER, delivery, DELIVERED, changes={**changes, "delivered_at": now})
    elif attempts >= MAX_ATTEMPTS:
        DELIVERIES.move(_SENDER, delivery, FAILED, changes=changes)
        log.warning("webhook %s to %s gave up: %s", delivery.event, delivery.endpoint, error)
    else:
        changes["next_attempt_at"] = now + retry_delay(attempts)
        for name, value in changes.items():
            setattr(delivery, name, value)
        delivery.save(update_fields=[*changes, "updated_at"])
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
        try:
            attempt(delivery, now)
        except Conflict:
            continue  # finished elsewhere meanwhile (an admin retry, a second worker)
        done += 1
    return done
