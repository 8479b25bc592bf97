from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sigap.core"
    label = "core"
    verbose_name = "SIGAP core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.utils.module_loading import autodiscover_modules

        from . import checks  # noqa: F401 - registers the deployment checks
        from .auth import note_login_failure
        from .ops import register as register_ops

        user_login_failed.connect(note_login_failure, dispatch_uid="sigap-login-address")

        # each app's tasks.py registers its background tasks and periodic sweeps
        autodiscover_modules("tasks")
        # /metrics gauges, the worker heartbeat, database metrics, task ids in logs
        register_ops()
