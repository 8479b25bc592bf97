"""`sigap serve [--host 127.0.0.1] [--port 8000]`: collect static files, then run gunicorn and
the background worker (`sigap worker`) side by side until either stops or a signal arrives."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Jalankan SIGAP dengan gunicorn (sigap.wsgi) dan pekerja latar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=8000, type=int)
        parser.add_argument(
            "--workers", default=int(os.environ.get("SIGAP_WORKERS", "2")), type=int
        )
        parser.add_argument(
            "--threads", default=int(os.environ.get("SIGAP_THREADS", "4")), type=int
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument(
            "--demo", action="store_true", help="serve the demo (allows the published demo key)"
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        threads: int,
        no_worker: bool,
        demo: bool = False,
        **kw,
    ) -> None:
        if settings.SECRET_KEY == settings.DEMO_SECRET_KEY and not demo:
            raise CommandError(
                "SIGAP_SECRET_KEY is not set: the published demo key would sign this server's "
                "sessions. Set SIGAP_SECRET_KEY (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'), or serve the demo with --demo."
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sigap.settings")
        web = [
            sys.executable, "-m", "gunicorn", "sigap.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(max(1, workers)),
            "--worker-class", "gthread",
            "--threads", str(max(1, threads)),
            "--access-logfile", "-",
        ]  # fmt: skip
        children = [subprocess.Popen(web)]  # noqa: S603 - fixed argv, no shell
        if not no_worker:
            worker = [sys.executable, "-m", "sigap.cli", "worker"]
            children.append(subprocess.Popen(worker))  # noqa: S603
        self.stdout.write(f"SIGAP berjalan di http://{host}:{port}/  (Ctrl-C untuk berhenti)")
        self.stdout.flush()

        def stop(signum, _frame) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # when one child ends (crash or signal), stop the other and return its status
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        stop(signal.SIGTERM, None)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        code = next((c.returncode for c in children if c.returncode), 0)
        if code and code not in (-signal.SIGTERM, -signal.SIGINT):
            sys.exit(code)
