"""Limits for public endpoints (SOS button, public JKN check, staff look-ups), shared by every
app process and server.

Counts live in Django's cache, which settings point at a shared store: Redis when REDIS_URL
is set, otherwise the database cache table (created by a migration). A window is a fixed
slot of `seconds`; each use takes the next free numbered key of the window with `cache.add`,
which is atomic in every shared backend (Redis SET NX, the database's primary key), so two
processes never count the same use twice or lose one (`incr` on the database cache is a
read-then-write and would).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .services import client_ip


def _now() -> float:
    return time.time()


def _base(key: str, seconds: int) -> str:
    window = int(_now() // max(1, seconds))
    return f"ratelimit:{key}:{seconds}:{window}"


def hit(key: str, limit: int, seconds: int) -> int:
    """Count one use of `key` in the current window; returns the uses so far including this
    one (at most limit + 1: past the limit nothing more is stored)."""
    base = _base(key, seconds)
    hint = cache.get(f"{base}:n") or 0  # a lower bound: where to start looking
    for slot in range(int(hint), limit + 1):
        if cache.add(f"{base}:{slot}", 1, seconds):
            cache.set(f"{base}:n", slot + 1, seconds)
            return slot + 1
    cache.set(f"{base}:n", limit + 1, seconds)
    return limit + 1


def used_up(key: str, limit: int, seconds: int) -> bool:
    """True when `limit` uses of `key` were already counted in this window (counts nothing)."""
    if limit <= 0:
        return True
    return cache.get(f"{_base(key, seconds)}:{limit - 1}") is not None


def over(key: str, limit: int, seconds: int) -> bool:
    """Count one use of `key`; True once the window's `limit` is passed."""
    return hit(key, limit, seconds) > limit


def private_key(value: str) -> str:
    """A cache key part for personal data (a NIK): keyed hash, never the value itself."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def address_key(request: HttpRequest, scope: str) -> str:
    return f"{scope}:{client_ip(request) or 'unknown'}"


def over_limit(request: HttpRequest, scope: str, limit: int, seconds: int) -> bool:
    """Count one use of `scope` by this address; True once the window's `limit` is passed."""
    return over(address_key(request, scope), limit, seconds)
