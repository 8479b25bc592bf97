from django.apps import AppConfig


class NutritionConfig(AppConfig):
    name = "sigap.nutrition"
    label = "nutrition"
