"""Authentication for the JSON API: API keys for machine clients, the session for pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, django_auth

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
