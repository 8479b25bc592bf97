from django.urls import path, re_path

from . import compat, views

app_name = "referrals"

_SISRUTE = r"^sisrute/"
_NO = r"(?P<nomor>[^/]+)"
_KODE = r"(?P<kode>[A-Za-z0-9._-]{1,32})"

urlpatterns = [
    path("rujukan/", views.home, name="home"),
    path("rujukan/kirim/", views.send, name="send"),
    path("rujukan/masuk/", views.inbox, name="inbox"),
    path("rujukan/pengaturan/", views.settings_page, name="settings"),
    path("rujukan/<str:ref>/", views.detail, name="detail"),
    path("dinkes/rujukan/", views.office, name="office"),
    path("dinkes/rujukan/penjamin/", views.fairness, name="fairness"),
    # SISRUTE-compatible endpoints (base URL <site>/sisrute/), with or without trailing slash
    re_path(_SISRUTE + r"rujukan/?$", compat.rujukan, name="sisrute-rujukan"),
    re_path(_SISRUTE + rf"rujukan/notifrujukan/{_NO}/?$", compat.notif, name="sisrute-notif"),
    re_path(_SISRUTE + rf"rujukan/notif/{_NO}/?$", compat.notif, name="sisrute-notif-put"),
    re_path(_SISRUTE + rf"rujukan/jawab/{_NO}/?$", compat.jawab, name="sisrute-jawab"),
    re_path(_SISRUTE + rf"rujukan/batal/{_NO}/?$", compat.batal, name="sisrute-batal"),
    re_path(_SISRUTE + rf"rujukan/{_NO}/?$", compat.rujukan_one, name="sisrute-rujukan-one"),
    re_path(_SISRUTE + r"referensi/faskes/?$", compat.ref_faskes, name="sisrute-faskes"),
    re_path(_SISRUTE + r"referensi/alasanrujukan/?$", compat.ref_alasan, name="sisrute-alasan"),
    re_path(_SISRUTE + r"referensi/diagnosa/?$", compat.ref_diagnosa, name="sisrute-diagnosa"),
    # one entry by code, as bridges ask: referensi/<list>/{kode}
    re_path(_SISRUTE + rf"referensi/faskes/{_KODE}/?$", compat.ref_faskes),
    re_path(_SISRUTE + rf"referensi/alasanrujukan/{_KODE}/?$", compat.ref_alasan),
    re_path(_SISRUTE + rf"referensi/diagnosa/{_KODE}/?$", compat.ref_diagnosa),
]
