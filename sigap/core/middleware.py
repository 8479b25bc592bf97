import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("sigap.input")


class IndonesianFirstLocaleMiddleware(LocaleMiddleware):
    """Bahasa Indonesia unless the visitor chose English with the switch (the language
    cookie). A browser's Accept-Language is ignored: many phones in Indonesia are set to
    English, and the public pages must not change language behind the user's back."""

    def process_request(self, request: HttpRequest) -> None:
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in dict(settings.LANGUAGES):
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()


class SessionIdleTimeoutMiddleware:
    """Logs a session out after SIGAP_SESSION_IDLE_MINUTES without a request (ASVS 3.3.2);
    SESSION_COOKIE_AGE bounds its whole life. The last-seen time is written at most once a
    minute, so a console polling every few seconds does not rewrite its session each time."""

    KEY = "_sigap_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(self.KEY)
            idle = settings.SIGAP_SESSION_IDLE_MINUTES * 60
            if last_seen is not None and now - int(last_seen) > idle:
                logout(request)
            elif last_seen is None or now - int(last_seen) >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)


class RefuseBadInputMiddleware:
    """No 500s from input the database cannot store.

    A NUL character in a query value, a form field or a JSON string is refused with a 400
    before any view runs (PostgreSQL cannot store it in text; no form of SIGAP needs it).
    Form-encoded and JSON bodies are read at once, multipart forms once the view is known.
    A value the database still refuses in a page view (DataError: too long, out of range)
    becomes a 400 too; the API answers those itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if _carries_nul(request):
            return _bad_input(request, _("Masukan memuat karakter NUL yang tidak diizinkan."))
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """Multipart forms: their text fields, once the view is known. A view exempt from
        CSRF reads its upload itself (its own upload handlers, size checks before parsing),
        so its body is not parsed here."""
        content_type = request.META.get("CONTENT_TYPE", "")
        if (
            request.method == "POST"
            and content_type.startswith("multipart/")
            and not getattr(view_func, "csrf_exempt", False)
            and any("\x00" in v for _k, values in request.POST.lists() for v in values)
        ):
            return _bad_input(request, _("Masukan memuat karakter NUL yang tidak diizinkan."))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DataError) and not request.path.startswith("/api/"):
            logger.warning("value refused by the database on %s: %s", request.path, exception)
            return _bad_input(request, _("Ada nilai yang terlalu panjang atau di luar batas."))
        return None


def _carries_nul(request: HttpRequest) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") or any(
        "\x00" in v for values in request.GET.lists() for v in values[1]
    ):
        return True
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    form = content_type == "application/x-www-form-urlencoded"
    if request.method in ("GET", "HEAD", "OPTIONS") or not (form or content_type.endswith("json")):
        return False  # uploads and other streams are read by their views, within their limits
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # Django refuses it on its own
    if form:
        return b"%00" in body or b"\x00" in body
    return b"\x00" in body or b"\\u0000" in body


def _bad_input(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {"code": "invalid_input", "message": message, "field": None}
        return JsonResponse(body, status=400)
    return render(request, "core/error.html", {"status": 400, "message": message}, status=400)
