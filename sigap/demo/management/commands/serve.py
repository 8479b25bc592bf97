"""`sigap serve [--host 127.0.0.1] [--port 8000]`: collect static files, then run gunicorn in
the foreground (the process is replaced, so Ctrl-C and signals reach gunicorn directly)."""

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Jalankan SIGAP dengan gunicorn (sigap.wsgi)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=8000, type=int)
        parser.add_argument(
            "--workers", default=int(os.environ.get("SIGAP_WORKERS", "2")), type=int
        )
        parser.add_argument(
            "--threads", default=int(os.environ.get("SIGAP_THREADS", "4")), type=int
        )

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **kw) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            sys.executable, "-m", "gunicorn", "sigap.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(max(1, workers)),
            "--worker-class", "gthread",
            "--threads", str(max(1, threads)),
            "--access-logfile", "-",
        ]  # fmt: skip
        self.stdout.write(f"SIGAP berjalan di http://{host}:{port}/  (Ctrl-C untuk berhenti)")
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigap.settings")
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell
