"""SIGAP's URLs plus `/bench/fixed/`: a bare Django view returning a fixed JSON, the
framework's ceiling on this machine (same middleware stack, no database, no ORM)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from sigap.urls import urlpatterns as sigap_urlpatterns

FIXED = [
    {"name": "RS Contoh", "latitude": -6.99, "longitude": 110.42, "free": {"KL3": 4}},
] * 10


def fixed_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(FIXED, safe=False)


urlpatterns = [path("bench/fixed/", fixed_json), *sigap_urlpatterns]
