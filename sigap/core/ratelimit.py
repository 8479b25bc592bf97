"""Per-address limits for public endpoints (SOS button, public JKN check).

Counts live in Django's cache; with several app processes the cache must be shared
(e.g. Redis or the database cache), otherwise each process counts on its own."""

from django.core.cache import cache
from django.http import HttpRequest

from .services import client_ip


def over_limit(request: HttpRequest, scope: str, limit: int, seconds: int) -> bool:
    """Count one use of `scope` by this address; True once the window's `limit` is passed."""
    key = f"ratelimit:{scope}:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        used = 1
    return used > limit
