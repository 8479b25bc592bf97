"""`sigap worker`: run background tasks (django-tasks-db) and the periodic sweeps.

One process: the database worker of django-tasks-db, and the sweep clock
(`sigap.core.periodic.run_due`) in a thread beside it. `sigap serve` starts it beside gunicorn.
"""

import logging
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from sigap.core import periodic

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Jalankan pekerjaan latar (tugas dan sapuan berkala)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between checks")
        parser.add_argument(
            "--once", action="store_true", help="run due sweeps and queued tasks once, then exit"
        )

    def handle(self, *args, interval: float, once: bool, **kw) -> None:
        if once:
            periodic.run_due()
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
            return
        # db_worker installs signal handlers, so it must own the main thread; the sweep clock
        # runs beside it and dies with the process.
        threading.Thread(
            target=self._clock, args=(interval,), daemon=True, name="sigap-sweeps"
        ).start()
        self.stdout.write(
            f"SIGAP worker: {len(periodic.sweeps())} sapuan berkala, tugas dari basis data."
        )
        self.stdout.flush()
        call_command("db_worker", interval=interval, startup_delay=False, reload=False)

    @staticmethod
    def _clock(interval: float) -> None:
        while True:
            try:
                periodic.run_due()
            except Exception:  # e.g. the database restarting: try again on the next tick
                log.exception("periodic sweeps failed")
            finally:
                close_old_connections()
            time.sleep(interval)
