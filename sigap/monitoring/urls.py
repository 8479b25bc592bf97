from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("dinkes/", views.situation, name="situation"),
    path("dinkes/laporan/", views.report, name="report"),
    path("dinkes/laporan/bulanan.pdf", views.monthly_pdf, name="monthly_pdf"),
]
