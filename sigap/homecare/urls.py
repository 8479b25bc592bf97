from django.urls import path

from . import views

app_name = "homecare"
urlpatterns = [
    path("perawatan-rumah/minta/", views.request_form, name="request_form"),
    path("perawatan-rumah/minta/batal/", views.resident_cancel, name="resident_cancel"),
    path("perawatan-rumah/puskesmas/", views.inbox, name="inbox"),
    path(
        "perawatan-rumah/puskesmas/permintaan-baru/",
        views.staff_create_request,
        name="staff_request",
    ),
    path("perawatan-rumah/permintaan/<uuid:public_id>/", views.request_detail, name="request"),
    path(
        "perawatan-rumah/permintaan/<uuid:public_id>/kelayakan/",
        views.eligibility,
        name="eligibility",
    ),
    path("perawatan-rumah/permintaan/<uuid:public_id>/rencana/", views.care_plan, name="care_plan"),
    path(
        "perawatan-rumah/permintaan/<uuid:public_id>/kelola/",
        views.manage_request,
        name="manage_request",
    ),
    path(
        "perawatan-rumah/eskalasi/<uuid:public_id>/",
        views.close_escalation,
        name="close_escalation",
    ),
    path("perawatan-rumah/petugas/", views.roster, name="roster"),
    path("perawatan-rumah/petugas/<uuid:public_id>/", views.worker_detail, name="worker"),
    path("perawatan-rumah/rencana/", views.day_plan, name="plan"),
    path("perawatan-rumah/rencana/lembar/", views.route_sheet, name="route_sheet"),
    path("perawatan-rumah/kunjungan-saya/", views.my_visits, name="my_visits"),
    path("perawatan-rumah/kunjungan/<uuid:public_id>/", views.visit_detail, name="visit"),
    path("perawatan-rumah/jemput-antar/", views.transport, name="transport"),
    path("perawatan-rumah/jemput-antar/armada/", views.fleet, name="fleet"),
]
