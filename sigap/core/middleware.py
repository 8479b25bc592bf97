import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
