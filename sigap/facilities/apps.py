from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "sigap.facilities"
    label = "facilities"
