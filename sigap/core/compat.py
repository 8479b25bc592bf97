"""The kit the compatibility front doors (BPJS Aplicare, SIRS Online, SISRUTE) are built from:
the body reader, the credential checks and the view wrapper that answers every refusal in the
protocol's own envelope (never a 500, never Django's HTML error page).

Each protocol supplies its envelope and its codes as a `Protocol`; everything else is here, so
the three doors read bodies, check timestamps and signatures, and refuse replays the same way.

Replays (issue 17): BPJS-style signatures (Aplicare, SISRUTE) cover only "consid&timestamp",
not the body, and public bridges reuse one header set for a burst of calls (a loop over the
hospital's rooms signs once, or once a second). So a header set is accepted from the address
that used it first, and only for `SIGAP_SIGNATURE_BURST_SECONDS` (60 s) after that first use;
later in the timestamp window, or from another address, it is refused whatever the body.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .errors import Conflict, Forbidden, NotFound, SigapError
from .services import Actor, client_ip

MAX_BODY = 64 * 1024  # a room report or a referral is a few kilobytes
ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
DEFAULT_BURST_SECONDS = 60


def _now() -> float:
    return time.time()


class CompatError(Exception):
    """A refusal in protocol terms: `code` is what the protocol's envelope carries (Aplicare
    metadata code, SIRS status string, SISRUTE status)."""

    def __init__(self, code: int | str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- the envelope and the view wrapper ------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    """One front door's envelope and codes. `answer(code, message, http_status)` builds the
    protocol's error body; `not_found_message` replaces the service's message where the
    protocol fixes the wording (Aplicare's "Data tidak ada di database" drives bridges)."""

    answer: Callable[[int | str, str, int], JsonResponse]
    invalid: int | str
    not_found: int | str
    forbidden: int | str
    conflict: int | str
    method: int | str
    fields: dict[str, str] = field(default_factory=dict)
    not_found_message: Callable[[], str] | None = None

    def service_message(self, exc: SigapError) -> str:
        """The service's message with the field named as the protocol names it."""
        where = self.fields.get(exc.field or "", exc.field)
        return f"{exc.message} ({where})" if where else str(exc.message)

    def refusal(self, exc: Exception) -> JsonResponse:
        if isinstance(exc, CompatError):
            return self.answer(exc.code, exc.message, 200)
        if isinstance(exc, NotFound):
            message = self.not_found_message() if self.not_found_message else str(exc.message)
            return self.answer(self.not_found, message, 200)
        if isinstance(exc, Forbidden):
            return self.answer(self.forbidden, str(exc.message), 200)
        if isinstance(exc, Conflict):
            return self.answer(self.conflict, self.service_message(exc), 200)
        assert isinstance(exc, SigapError)
        return self.answer(self.invalid, self.service_message(exc), 200)


def compat_view(protocol: Protocol, methods: str | tuple[str, ...]) -> Callable:
    """CSRF exemption, the method check (405 in the envelope) and the protocol's refusal for
    every CompatError or SigapError the view raises. Bridges read the body on every answer, so
    a refusal is HTTP 200 with the outcome inside, as the original services answer."""
    allowed = (methods,) if isinstance(methods, str) else tuple(methods)

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in allowed:
                message = _("Metode HTTP tidak diizinkan; gunakan %(m)s.") % {
                    "m": "/".join(allowed)
                }
                return protocol.answer(protocol.method, message, 405)
            try:
                return view(request, *args, **kwargs)
            except (CompatError, SigapError) as exc:
                return protocol.refusal(exc)

        return inner

    return wrap


def bridge_actor(request: HttpRequest, channel: str, ident: str) -> Actor:
    """The actor of a bridge call: no user, the channel, `<channel>:<login id>`."""
    return Actor(
        user=None, channel=channel, label=f"{channel}:{ident}", remote_addr=client_ip(request)
    )


# --- the body -------------------------------------------------------------------------------


def read_body(
    request: HttpRequest, error_code: int | str, *, form: bool = True, empty_ok: bool = False
) -> dict[str, Any]:
    """The request's fields as a dict: JSON whatever the Content-Type (bridges send
    `Application/JSON`, `text/plain`, even `application/x-www-form-urlencoded` over JSON), or,
    with `form`, form-encoded fields. Size is checked before the body is read. With `empty_ok`
    a body that carries nothing (no bytes, `[]`, `null`: what PHP bridges send for an empty
    array or an unset one) is `{}`."""
    too_big = _("Isi permintaan terlalu besar.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise CompatError(error_code, too_big)
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise CompatError(error_code, too_big) from exc
    if len(raw) > MAX_BODY:
        raise CompatError(error_code, too_big)
    try:
        text = raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise CompatError(error_code, _("Isi permintaan bukan teks UTF-8.")) from exc
    if not text:
        if empty_ok:
            return {}
        raise CompatError(error_code, _("Isi permintaan kosong."))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
        if form and "=" in text and not text.startswith(("{", "[")):
            data = dict(parse_qsl(text, keep_blank_values=True)) or None
        if data is None:
            raise CompatError(error_code, _("Isi permintaan bukan JSON yang sah.")) from None
    if empty_ok and data in ([], None):
        return {}
    if not isinstance(data, dict):
        raise CompatError(error_code, _("Isi permintaan harus berupa objek JSON."))
    return data


# --- credentials ----------------------------------------------------------------------------


def check_timestamp(raw: str, error_code: int | str, header: str, *, iso: bool = False) -> None:
    """Unix seconds (and, with `iso`, ISO 8601 with a zone, as some SIRS bridges send) within
    SIGAP_SIGNATURE_MAX_SKEW of now."""
    raw = raw.strip()
    if re.fullmatch(r"[0-9]{1,12}", raw):
        stamp = float(raw)
    elif iso:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise CompatError(error_code, _("%(h)s tidak sah.") % {"h": header})
        stamp = parsed.timestamp()
    else:
        raise CompatError(error_code, _("%(h)s harus detik Unix.") % {"h": header})
    if abs(_now() - stamp) > settings.SIGAP_SIGNATURE_MAX_SKEW:
        raise CompatError(
            error_code,
            _("%(h)s kedaluwarsa atau dari masa depan; periksa jam server.") % {"h": header},
        )


def consumer_signature(key: str, consid: str, stamp: str) -> str:
    """The BPJS-style signature: base64(HMAC-SHA256(key, "{consid}&{timestamp}"))."""
    digest = hmac.new(key.encode(), f"{consid}&{stamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def consumer_signature_ok(key: str, consid: str, stamp: str, signature: str) -> bool:
    """`signature` against the BPJS-style signature, in constant time."""
    expected = consumer_signature(key, consid, stamp).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def burst_seconds() -> int:
    return int(getattr(settings, "SIGAP_SIGNATURE_BURST_SECONDS", DEFAULT_BURST_SECONDS))


def header_set_usable(token: str, holder: str) -> str | None:
    """None when a verified header set may be used now; else why not ("address" or "burst").

    The first use stores its holder and time in Django's cache (an atomic `add`: shared by
    every process when the cache is) for the whole timestamp window; a later use must come from
    the same holder within the burst. Call only after the signature checked out, so that
    forged headers cannot claim a slot."""
    key = "sigap:compat:sig:" + hashlib.sha256(token.encode()).hexdigest()
    now = _now()
    if cache.add(key, f"{now}|{holder}", timeout=2 * settings.SIGAP_SIGNATURE_MAX_SKEW + 1):
        return None
    first, _sep, first_holder = str(cache.get(key) or f"{now}|{holder}").partition("|")
    if not hmac.compare_digest(first_holder.encode(), holder.encode()):
        return "address"
    if now - float(first) > burst_seconds():
        return "burst"
    return None


@dataclass(frozen=True)
class SignedHeaders:
    """The header names of a BPJS-style signed protocol (matched case-insensitively)."""

    consid: str = "X-cons-id"
    timestamp: str = "X-timestamp"
    signature: str = "X-signature"


def signed_credential(
    request: HttpRequest,
    *,
    scope: str,
    error_code: int | str,
    find: Callable[[str], Any | None],
    key_of: Callable[[Any], str],
    dummy_key: str,
    headers: SignedHeaders = SignedHeaders(),  # noqa: B008 - frozen, shared safely
) -> Any:
    """The credential that signed this request, or CompatError(error_code).

    `find(consid)` returns the active credential or None, `key_of(cred)` its HMAC key. An
    unknown cons-id is verified against `dummy_key` so that known and unknown ids take the same
    time. Then the replay rule of this module's docstring."""
    consid = (request.headers.get(headers.consid) or "").strip()
    stamp = (request.headers.get(headers.timestamp) or "").strip()
    signature = (request.headers.get(headers.signature) or "").strip()
    if not (consid and stamp and signature):
        raise CompatError(
            error_code,
            _("Header %(a)s, %(b)s dan %(c)s wajib ada.")
            % {"a": headers.consid, "b": headers.timestamp, "c": headers.signature},
        )
    check_timestamp(stamp, error_code, headers.timestamp)
    cred = find(consid) if ID_RE.match(consid) else None
    key = key_of(cred) if cred is not None else dummy_key
    if not consumer_signature_ok(key, consid, stamp, signature) or cred is None:
        raise CompatError(error_code, _("Consumer ID atau signature tidak sah."))
    why = header_set_usable(f"{scope}:{consid}&{stamp}&{signature}", client_ip(request) or "-")
    if why == "address":
        raise CompatError(
            error_code,
            _("Signature ini sudah dipakai dari alamat lain; buat ulang dengan X-timestamp baru."),
        )
    if why == "burst":
        raise CompatError(
            error_code,
            _("Signature ini sudah dipakai lebih dari %(n)s detik lalu; buat ulang dengan "
              "X-timestamp baru.") % {"n": burst_seconds()},
        )  # fmt: skip
    return cred


def password_header_ok(stored_md5: str, given: str, forms: tuple[str, ...]) -> bool:
    """A SIRS-style `X-pass` against the stored MD5 of the password, in constant time.

    `forms` says what the header may hold: "password" (the password itself, what every public
    SIRS Online bridge sends) and/or "md5" (its MD5 hex, what SIGAP's example bridge sends).
    With "password" only, the stored MD5 is a hash again rather than the credential itself."""
    stored = stored_md5.lower().encode()
    raw = given.encode("utf-8", "replace")
    as_md5 = hmac.compare_digest(stored, raw.lower())
    as_password = hmac.compare_digest(
        stored, hashlib.md5(raw, usedforsecurity=False).hexdigest().encode()
    )
    return ("md5" in forms and as_md5) | ("password" in forms and as_password)
