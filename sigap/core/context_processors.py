from django.conf import settings
from django.http import HttpRequest

from . import nav, notify


def sigap(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "SIGAP_AREA_CODE": settings.SIGAP_AREA_CODE,
        "SIGAP_TILE_URL": settings.SIGAP_TILE_URL,
        # lazy: only pages that show the bell pay for the query
        "nav_items": lambda: nav.items_for(user),
        "unread_notifications": (
            (lambda: notify.unread_count(user)) if user and user.is_authenticated else 0
        ),
    }
