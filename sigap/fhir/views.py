"""The FHIR R4 REST interface at /fhir/: metadata, read and search, JSON only.

Every answer, errors included, is a FHIR resource (errors as OperationOutcome). Public types
need no key; the others need a SIGAP API key (`Authorization: Bearer sgp_...` or
`X-API-Key`) or a logged-in session, and show only what the key's user may see in SIGAP;
a record outside that scope answers 404 like a missing one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.resource import Resource

from sigap.core.services import Actor, Channel, audit_list_read, audit_read, authenticate_api_key

from .capability import capability_statement
from .handlers import RESOURCE_TYPES
from .search import (
    TOTAL_MODES,
    FhirError,
    ResourceType,
    filtered,
    invalid,
    objects_of,
    parse_count,
    parse_offset,
    parse_params,
    run,
    searchset,
)

FHIR_JSON = "application/fhir+json"
PLAIN_JSON = "application/json"
# media types and _format values answered with JSON (application/json+fhir: the pre-R4 name
# that older clients still send)
JSON_FORMATS = {"json", FHIR_JSON, PLAIN_JSON, "application/json+fhir", "text/json"}
ANY_TYPES = {"*/*", "application/*"}
READ_METHODS = ("GET", "HEAD")
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _media_types(header: str) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()]


def content_type(request: HttpRequest) -> str:
    """The JSON flavour to answer with, from `_format` or the Accept header (406 when the
    client accepts neither)."""
    fmt = request.GET.get("_format")
    if fmt is not None:
        fmt = fmt.split(";")[0].strip().lower()
        if fmt not in JSON_FORMATS:
            raise FhirError(
                406,
                "not-supported",
                _("Format tidak didukung: %(format)s; hanya JSON") % {"format": fmt},
            )
        return PLAIN_JSON if fmt == PLAIN_JSON else FHIR_JSON
    accepted = _media_types(request.headers.get("Accept", ""))
    if not accepted or FHIR_JSON in accepted or "application/json+fhir" in accepted:
        return FHIR_JSON
    if PLAIN_JSON in accepted or "text/json" in accepted:
        return PLAIN_JSON
    if ANY_TYPES & set(accepted):
        return FHIR_JSON
    raise FhirError(406, "not-supported", _("Server ini hanya menjawab application/fhir+json"))


def _answer(resource: Resource, status: int, request: HttpRequest, media: str) -> HttpResponse:
    body = resource.json()
    if request.GET.get("_pretty") == "true":
        body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type=f"{media}; charset=utf-8")
    if request.method == "HEAD":
        response.content = b""
    return response


def outcome(error: FhirError) -> OperationOutcome:
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error", code=error.issue_code, diagnostics=error.diagnostics
            )
        ]
    )


def _error(request: HttpRequest, error: FhirError) -> HttpResponse:
    response = _answer(outcome(error), error.status, request, FHIR_JSON)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SIGAP FHIR"'
    if error.status == 405:
        response["Allow"] = ", ".join(READ_METHODS)
    return response


def client_user(request: HttpRequest) -> Any:
    """The user behind the request's API key or session; a key that is sent but wrong is
    refused (401) even for public types, so that a client notices its broken key."""
    authorization = request.headers.get("Authorization", "")
    raw = request.headers.get("X-API-Key")
    if authorization:
        scheme, _sep, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise FhirError(401, "login", _("Header Authorization harus 'Bearer <kunci API>'"))
        raw = token.strip()
    if raw is not None:
        user = authenticate_api_key(raw)
        if user is None:
            raise FhirError(401, "login", _("Kunci API tidak dikenal, dicabut, atau tidak aktif"))
        request.auth_user = user
        return user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _resource_type(name: str) -> ResourceType:
    rtype = RESOURCE_TYPES.get(name)
    if rtype is None:
        served = ", ".join(RESOURCE_TYPES)
        raise FhirError(
            404,
            "not-supported",
            _("Jenis sumber daya %(type)r tidak dilayani (%(served)s)")
            % {"type": name, "served": served},
        )
    return rtype


def _user_for(request: HttpRequest, rtype: ResourceType) -> Any:
    user = client_user(request)
    if rtype.personal and user is None:
        raise FhirError(
            401,
            "login",
            _("%(type)s memerlukan kunci API (Authorization: Bearer)") % {"type": rtype.name},
        )
    return user


def _server_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def _strict(request: HttpRequest) -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(p.strip().lower() == "handling=strict" for p in prefer.split(";"))


def _audit_list(request: HttpRequest, rtype: ResourceType, page) -> None:
    actor = Actor.from_request(request, channel=Channel.API)
    for model, rows in objects_of(page).items():
        audit_list_read(
            actor, model, [getattr(o, "public_id", o.pk) for o in rows], fhir=rtype.name
        )


def _guarded(handler):
    """Answer FhirError as OperationOutcome, refuse methods other than GET/HEAD."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method not in READ_METHODS:
                raise FhirError(
                    405,
                    "not-supported",
                    _("Metode %(method)s tidak didukung; hanya baca") % {"method": request.method},
                )
            params = [(k, v) for k, values in request.GET.lists() for v in values]
            if any("\x00" in key or "\x00" in value for key, value in params):
                raise invalid(_("Parameter memuat karakter NUL"))
            return handler(request, *args, **kwargs)
        except FhirError as error:
            return _error(request, error)
        except DataError:
            # a value the database cannot compare (out of range, ...): the client's input
            return _error(request, invalid(_("Nilai parameter tidak dapat diproses")))

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


@_guarded
def metadata(request: HttpRequest) -> HttpResponse:
    """GET /fhir/metadata: the CapabilityStatement (public)."""
    media = content_type(request)
    return _answer(capability_statement(_server_base(request)), 200, request, media)


@_guarded
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    """GET /fhir/<type>?params: a searchset Bundle, paged with _count and _offset."""
    rtype = _resource_type(resource_type)
    media = content_type(request)
    user = _user_for(request, rtype)
    items = [(key, value) for key, values in request.GET.lists() for value in values]
    terms, result, _ignored = parse_params(rtype, items, strict=_strict(request))
    count = 0 if result.get("_summary") == "count" else parse_count(result.get("_count"))
    offset = parse_offset(result.get("_offset"))
    total_mode = result.get("_total", "accurate")
    if total_mode not in TOTAL_MODES:
        raise invalid(
            _("_total harus salah satu dari %(modes)s") % {"modes": ", ".join(sorted(TOTAL_MODES))}
        )
    page = run(rtype, user, terms, count, offset)
    if rtype.personal and page.rows:
        _audit_list(request, rtype, page)
    kept = [(f"{n}:{m}" if m else n, v) for n, m, v in terms]
    if "_total" in result:
        kept.append(("_total", total_mode))
    bundle = searchset(
        page,
        base=f"{_server_base(request)}/{rtype.name}",
        server_base=_server_base(request),
        kept=kept,
        count=count,
        offset=offset,
        total_mode=total_mode,
    )
    return _answer(bundle, 200, request, media)


@_guarded
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """GET /fhir/<type>/<id>: one resource; 404 when missing or outside the client's scope."""
    rtype = _resource_type(resource_type)
    media = content_type(request)
    user = _user_for(request, rtype)
    if not FHIR_ID.fullmatch(resource_id):
        raise FhirError(
            404, "not-found", _("%(ref)s tidak ditemukan") % {"ref": f"{rtype.name}/{resource_id}"}
        )
    for source in rtype.sources:
        obj = filtered(source, user, [("_id", "", resource_id)]).first()
        if obj is not None:
            resource = source.build(obj)
            if rtype.personal:
                actor = Actor.from_request(request, channel=Channel.API)
                audit_read(actor, obj, label=f"FHIR {rtype.name}/{resource.id}")
            return _answer(resource, 200, request, media)
    raise FhirError(
        404, "not-found", _("%(ref)s tidak ditemukan") % {"ref": f"{rtype.name}/{resource_id}"}
    )


@_guarded
def not_served(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /fhir/ (system search, history, operations)."""
    raise FhirError(404, "not-supported", _("/fhir/%(path)s tidak dilayani") % {"path": rest})
