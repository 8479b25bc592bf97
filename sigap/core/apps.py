from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sigap.core"
    label = "core"
    verbose_name = "SIGAP core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # each app's tasks.py registers its background tasks and periodic sweeps
        autodiscover_modules("tasks")
