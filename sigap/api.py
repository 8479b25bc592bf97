"""The JSON API (django-ninja); OpenAPI at /api/docs and /api/openapi.json.

Every error under /api/ answers SIGAP's shape `{code, message, field}`: domain errors, bad
input, a missing object, a method the path does not take, and an unexpected exception (500,
logged with its traceback on the server, never shown to the client)."""

import functools
import logging

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from sigap.core.errors import SigapError

logger = logging.getLogger("sigap.api")


def _json_not_allowed(view):
    """django-ninja answers a method a path does not take with an empty 405; give it the
    error shape (keeping the Allow header)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            message = _("Metode %(m)s tidak diterima di alamat ini.") % {"m": request.method}
            allowed = response["Allow"]
            response = _error(request, 405, "method_not_allowed", message)
            response["Allow"] = allowed
        return response

    return wrapped


class SigapAPI(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            if callback is not None:
                pattern.callback = _json_not_allowed(callback)
        return urls


api = SigapAPI(
    title="SIGAP API",
    version="1",
    description=(
        "SIGAP - health services of a regional health office. Errors answer "
        "`{code, message, field}`."
    ),
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(
        request, {"code": code, "message": message, "field": field}, status=status
    )


@api.exception_handler(SigapError)
def on_sigap_error(request: HttpRequest, exc: SigapError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.field)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    return _error(request, 422, "invalid", first.get("msg", "invalid input"), ".".join(loc) or None)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    return _error(request, 401, "not_authenticated", "Kredensial tidak ada atau tidak sah.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return _error(request, 404, "not_found", _("Data tidak ditemukan."))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied):
    return _error(request, 403, "forbidden", _("Anda tidak berhak melakukan ini."))


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request: HttpRequest, exc: Exception):
    """A value the database cannot hold (an offset or id of 10**30: SQLite raises
    OverflowError, PostgreSQL a DataError; a NUL character or an over-long text on PostgreSQL)
    is bad input that validation missed, not a server fault: 422, logged to be fixed."""
    logger.warning("API %s %s: value the database refused: %s", request.method, request.path, exc)
    message = _("Ada nilai yang terlalu besar, terlalu panjang atau berisi karakter tidak sah.")
    return _error(request, 422, "invalid_value", message)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception):
    """Anything else is SIGAP's fault: logged with its traceback, answered in the error shape
    without the details."""
    logger.error("API %s %s failed", request.method, request.path, exc_info=exc)
    message = _("Terjadi kesalahan di server. Coba lagi nanti.")
    return _error(request, 500, "server_error", message)


def _mount() -> None:
    from sigap.access.api import router as access_router
    from sigap.beds.api import router as beds_router
    from sigap.coverage.api import router as coverage_router
    from sigap.emergency.api import router as emergency_router
    from sigap.emergency.console_api import router as emergency_console_router
    from sigap.facilities.api import router as facilities_router
    from sigap.homecare.api import router as homecare_router
    from sigap.monitoring.api import router as monitoring_router
    from sigap.nutrition.api import router as nutrition_router
    from sigap.referrals.api import router as referrals_router
    from sigap.regions.api import router as regions_router

    api.add_router("/v1/", beds_router)
    api.add_router("/v1/facilities/", facilities_router)
    api.add_router("/v1/regions/", regions_router)
    api.add_router("/v1/emergency/", emergency_router)
    api.add_router("/v1/emergency/", emergency_console_router)
    api.add_router("/v1/referrals/", referrals_router)
    api.add_router("/v1/homecare/", homecare_router)
    api.add_router("/v1/coverage/", coverage_router)
    api.add_router("/v1/nutrition/", nutrition_router)
    api.add_router("/v1/access/", access_router)
    api.add_router("/v1/monitoring/", monitoring_router)


_mount()
