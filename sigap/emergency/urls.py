from django.urls import path

from . import views

app_name = "emergency"
urlpatterns = [
    path("gawat-darurat/", views.home, name="home"),
    path("gawat-darurat/panggilan/", views.intake, name="intake"),
    path("gawat-darurat/dispatcher/", views.console, name="console"),
    path("gawat-darurat/kru/", views.crew, name="crew"),
    path("gawat-darurat/cakupan/", views.coverage, name="coverage"),
    path("gawat-darurat/laporan/", views.report, name="report"),
    path("gawat-darurat/rs/masuk/", views.incoming, name="incoming"),
    path("sos/", views.sos, name="sos"),
]
