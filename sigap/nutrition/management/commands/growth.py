"""`sigap growth zscores IN.csv OUT.csv` and `sigap growth import FILE`: child growth from files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.nutrition.growthfile import GrowthFileError, zscores_file


class Command(BaseCommand):
    help = "Child growth: WHO 2006 z-scores file to file; import of e-PPGBM exports."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        z = sub.add_parser(
            "zscores",
            help="IN.csv (sex, age_days, weight_kg, length_cm, measured) -> OUT.csv with "
            "haz, waz, whz and the Permenkes 2/2020 classifications (no database)",
        )
        z.add_argument("input")
        z.add_argument("output")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, f"handle_{action}")(**opts)

    def handle_zscores(self, input: str, output: str, **opts) -> None:
        try:
            s = zscores_file(input, output)
        except GrowthFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{s.rows} rows: HAZ {s.with_haz}, WAZ {s.with_waz}, WHZ {s.with_whz}; "
            f"{s.unusable} without any z-score; {s.implausible} implausible (WHO flags) -> {output}"
        )
