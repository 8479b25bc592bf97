"""`sigap demo [--area 3374] [--fresh] [--serve]`: migrate, load the area's regions, build
the synthetic demo (idempotent) and optionally serve it."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.demo.services import DEMO_PASSWORD, DemoBuilder, wipe_demo
from sigap.regions.models import Region


class Command(BaseCommand):
    help = "Bangun data demo SIGAP (wilayah nyata, fasilitas sintetis) dan jalankan server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--area", default="3374", help="Kode provinsi (2 digit) atau kab/kota (4 digit)."
        )
        parser.add_argument("--fresh", action="store_true", help="Hapus data demo lama dulu.")
        parser.add_argument("--serve", action="store_true", help="Lalu jalankan server web.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=8000, type=int)

    def handle(self, *args, area: str, fresh: bool, serve: bool, host: str, port: int, **kw):
        if not (area.isdigit() and len(area) in (2, 4)):
            raise CommandError("--area harus kode provinsi (2 digit) atau kab/kota (4 digit)")
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("regions", "load", "--province", area[:2], stdout=self.stdout)
        if not Region.objects.filter(code=area).exists():
            raise CommandError(f"Wilayah {area} tidak dikenal")
        if fresh:
            self.stdout.write(f"Data demo lama dihapus: {wipe_demo()} fasilitas.")
        builder = DemoBuilder(area, log=self.stdout.write)
        result = builder.build()
        self.stdout.write(
            f"\nDemo {result.area.name} ({area}) siap dalam {time.monotonic() - started:.1f} s: "
            f"{result.hospitals} rumah sakit, {result.puskesmas} Puskesmas, {result.pustu} Pustu "
            f"({result.created_facilities} fasilitas baru). Semua fasilitas SINTETIS."
        )
        self.print_accounts(result)
        for line in result.capability_lines:
            self.stdout.write(line)
        if serve:
            call_command("serve", host=host, port=port, demo=True)
        else:
            self.stdout.write(f"\nJalankan server: sigap serve --demo --host {host} --port {port}")

    def print_accounts(self, result) -> None:
        w = self.stdout.write
        w(f"\nAkun demo (kata sandi semua akun: {DEMO_PASSWORD})")
        rows = [("username", "peran", "fasilitas")] + [
            (a.username, a.role, a.facility) for a in result.accounts
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for i, r in enumerate(rows):
            w("  " + "  ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip())
            if i == 0:
                w("  " + "  ".join("-" * x for x in widths))
