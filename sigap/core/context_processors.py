from django.conf import settings
from django.http import HttpRequest


def sigap(request: HttpRequest) -> dict:
    return {
        "SIGAP_AREA_CODE": settings.SIGAP_AREA_CODE,
        "SIGAP_TILE_URL": settings.SIGAP_TILE_URL,
    }
