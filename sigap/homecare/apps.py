from django.apps import AppConfig


class HomecareConfig(AppConfig):
    name = "sigap.homecare"
    label = "homecare"
