from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "sigap.emergency"
    label = "emergency"
