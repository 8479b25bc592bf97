"""URLs of the SIMRS-compatible endpoints, at the paths the original services use (with or
without a trailing slash, as bridges write them either way)."""

from django.urls import re_path

from . import compat

_APLICARE = r"^aplicaresws/rest/"
_PPK = r"(?P<kodeppk>[^/]+)"

urlpatterns = [
    re_path(_APLICARE + r"ref/kelas/?$", compat.aplicare_ref_kelas, name="aplicare-ref-kelas"),
    re_path(_APLICARE + rf"bed/create/{_PPK}/?$", compat.aplicare_create, name="aplicare-create"),
    re_path(_APLICARE + rf"bed/update/{_PPK}/?$", compat.aplicare_update, name="aplicare-update"),
    re_path(_APLICARE + rf"bed/delete/{_PPK}/?$", compat.aplicare_delete, name="aplicare-delete"),
    re_path(
        _APLICARE + rf"bed/read/{_PPK}/(?P<start>[^/]+)/(?P<limit>[^/]+)/?$",
        compat.aplicare_read,
        name="aplicare-read",
    ),
    re_path(r"^fo/index\.php/Fasyankes/?$", compat.sirs_fasyankes, name="sirs-fasyankes"),
    re_path(
        r"^fo/index\.php/[Rr]eferensi/tempat_tidur/?$",
        compat.sirs_ref_tempat_tidur,
        name="sirs-ref-tempat-tidur",
    ),
]
