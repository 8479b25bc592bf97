"""Authentication for the JSON API: API keys for machine clients, the session for pages."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from .ratelimit import address_key, over_limit
from .services import authenticate_api_key


class BearerKey(HttpBearer):
    """`Authorization: Bearer sgp_...`"""

    def authenticate(self, request: HttpRequest, token: str):
        user = authenticate_api_key(token)
        if user is not None:
            request.auth_user = user
        return user


class HeaderKey(APIKeyHeader):
    """`X-API-Key: sgp_...`"""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = authenticate_api_key(key)
        if user is not None:
            request.auth_user = user
        return user


# Operator endpoints accept a machine key or a logged-in session (with CSRF).
operator_auth = [BearerKey(), HeaderKey(), django_auth]


# --- failed logins per address (django-axes locks a username+address pair; this locks an
# address that sprays one guess over many usernames) ---
_LOGIN_WINDOW_SECONDS = 15 * 60


def note_login_failure(sender, credentials=None, request: HttpRequest | None = None, **kw) -> None:
    """Receiver of `user_login_failed`: counts the address's failures; over the limit the
    address is locked for the window."""
    if request is None:
        return
    limit = settings.SIGAP_LOGIN_ADDRESS_FAILURE_LIMIT
    if over_limit(request, "login-failed", limit, _LOGIN_WINDOW_SECONDS):
        cache.set(address_key(request, "login-locked"), True, _LOGIN_WINDOW_SECONDS)


def login_address_locked(request: HttpRequest) -> bool:
    return bool(cache.get(address_key(request, "login-locked")))
