from django.apps import AppConfig


class BedsConfig(AppConfig):
    name = "sigap.beds"
    label = "beds"
