from django.urls import path

from . import views

app_name = "beds"
urlpatterns = [
    path("tempat-tidur/", views.board, name="board"),
    path("operator/", views.operator, name="operator"),
    path("dinkes/tempat-tidur/", views.office, name="office"),
]
