from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("akses/", views.access, name="map"),
    path("akses/ekspor/", views.export, name="export"),
    path("akses/penduduk/", views.population_upload, name="population"),
]
