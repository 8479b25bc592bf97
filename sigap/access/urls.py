from django.urls import path

from . import plan_views, views

app_name = "access"

urlpatterns = [
    path("akses/", views.access, name="map"),
    path("akses/ekspor/", views.export, name="export"),
    path("akses/penduduk/", views.population_upload, name="population"),
    path("akses/rencana/", plan_views.plan, name="plan"),
    path("akses/rencana/banding/", plan_views.compare, name="compare"),
    path("akses/rencana/banding/ekspor/", plan_views.compare_export, name="compare_export"),
    path("akses/rencana/<str:public_id>/", plan_views.scenario, name="scenario"),
]
