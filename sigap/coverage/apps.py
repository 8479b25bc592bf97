from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "sigap.coverage"
    label = "coverage"
