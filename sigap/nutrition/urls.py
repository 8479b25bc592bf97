from django.urls import path

from . import views

app_name = "nutrition"
urlpatterns = [
    path("gizi/", views.dashboard, name="dashboard"),
    path("gizi/ekspor/", views.export, name="export"),
    path("gizi/ukur/", views.entry, name="entry"),
    path("gizi/pengukuran/<str:key>/", views.measurement_edit, name="measurement"),
    path("gizi/mutu-data/", views.quality_page, name="quality"),
    path("gizi/impor/", views.import_view, name="import"),
    path("gizi/impor/penolakan.csv", views.import_rejections, name="import_rejections"),
    path("gizi/kasus/", views.case_list, name="cases"),
    path("gizi/kasus/<str:key>/", views.case_detail, name="case"),
    path("kia/", views.mch, name="mch"),
    path("kia/ibu-hamil/baru/", views.pregnancy_new, name="pregnancy_new"),
    path("kia/kajian-kematian/", views.review_list, name="reviews"),
    path("kia/kajian-kematian/<str:key>/", views.review_detail, name="review"),
]
