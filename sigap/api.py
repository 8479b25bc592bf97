"""The JSON API (django-ninja); OpenAPI at /api/docs and /api/openapi.json."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from sigap.core.errors import SigapError

api = NinjaAPI(
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


def _mount() -> None:
    from sigap.beds.api import router as beds_router
    from sigap.coverage.api import router as coverage_router
    from sigap.emergency.api import router as emergency_router
    from sigap.facilities.api import router as facilities_router
    from sigap.homecare.api import router as homecare_router
    from sigap.nutrition.api import router as nutrition_router
    from sigap.referrals.api import router as referrals_router
    from sigap.regions.api import router as regions_router

    api.add_router("/v1/", beds_router)
    api.add_router("/v1/facilities/", facilities_router)
    api.add_router("/v1/regions/", regions_router)
    api.add_router("/v1/emergency/", emergency_router)
    api.add_router("/v1/referrals/", referrals_router)
    api.add_router("/v1/homecare/", homecare_router)
    api.add_router("/v1/coverage/", coverage_router)
    api.add_router("/v1/nutrition/", nutrition_router)


_mount()
