import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.db import DataError
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
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


class RefuseBadInputMiddleware(MiddlewareMixin):
    """No 500s from a value the database refuses in a page view.

    A DataError (a NUL character PostgreSQL cannot store in text, a value too long for its
    column, a number out of range) that reaches the middleware answers 422 with a plain
    message instead of a server error; the request's atomic blocks have rolled back by then.
    The JSON API answers these itself (sigap.api); views that check their input first keep
    their own, more precise messages."""

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DataError) and not request.path.startswith("/api/"):
            logger.warning("value refused by the database on %s: %s", request.path, exception)
            message = _("Ada nilai yang tidak dapat disimpan (terlalu panjang, di luar batas, "
                        "atau memuat karakter NUL).")  # fmt: skip
            context = {"status": 422, "message": message}
            return render(request, "core/error.html", context, status=422)
        return None


class RequestIdMiddleware:
    """Gives every request an id: a well-formed incoming X-Request-ID (from the proxy or the
    caller) or a new one. It is on the response's X-Request-ID and on every log line written
    while the request is served (sigap.core.logs), so one failing call can be followed from
    the proxy's log to the traceback. First in MIDDLEWARE so that every log line has it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from sigap.core import logs

        request_id = logs.accept_request_id(request.headers.get(logs.HEADER))
        request.request_id = request_id
        token = logs.bind_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            logs.unbind_request_id(token)
        response[logs.HEADER] = request_id
        return response
