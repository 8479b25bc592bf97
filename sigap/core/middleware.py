from django.conf import settings
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
