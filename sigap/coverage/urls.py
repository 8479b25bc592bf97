from django.urls import path

from . import views

app_name = "coverage"
urlpatterns = [
    path("cek-jkn/", views.check, name="check"),
    path("dinkes/jkn/", views.dashboard, name="dashboard"),
    path("dinkes/jkn/impor/", views.imports, name="imports"),
    path("dinkes/jkn/impor/<uuid:public_id>/", views.snapshot, name="snapshot"),
    path("dinkes/jkn/belum-terdaftar/", views.uninsured, name="uninsured"),
    path("dinkes/jkn/kuota/", views.quota, name="quota"),
    path("dinkes/jkn/kuota/<uuid:public_id>/", views.run_detail, name="run"),
    path("dinkes/jkn/pekerja/", views.workers, name="workers"),
]
