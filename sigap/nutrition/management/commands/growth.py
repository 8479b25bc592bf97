"""`sigap growth zscores IN.csv OUT.csv` and `sigap growth import FILE`: child growth from files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.core.errors import SigapError
from sigap.core.models import User
from sigap.core.services import Actor, Channel
from sigap.nutrition.growthfile import GrowthFileError, zscores_file
from sigap.nutrition.importer import import_eppgbm


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
        imp = sub.add_parser(
            "import", help="import an e-PPGBM export (CSV/XLSX) as a Puskesmas staff account"
        )
        imp.add_argument("file")
        imp.add_argument("--user", required=True, help="username that the import acts as")
        imp.add_argument("--rejections", help="write the rejected rows to this CSV")

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

    def handle_import(self, file: str, user: str, rejections: str | None = None, **opts) -> None:
        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"no active user {user!r}")
        try:
            with open(file, "rb") as stream:
                report = import_eppgbm(Actor(user=account, channel=Channel.CLI), stream, file)
        except OSError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except SigapError as exc:
            raise CommandError(f"{file}: {exc.message}") from exc
        self.stdout.write(
            f"{report.rows} rows: {report.accepted} accepted, {len(report.rejected)} rejected; "
            f"{report.children_created} new children, {report.measurements_created} new and "
            f"{report.measurements_replaced} replaced measurements, {report.cases_opened} new "
            f"severe cases"
        )
        for w in report.warnings[:20]:
            self.stdout.write(f"  warning row {w.row} {w.column}: {w.message}")
        if rejections:
            with open(rejections, "w", encoding="utf-8", newline="") as out:
                out.write(report.rejections_csv())
        else:
            for r in report.rejected[:50]:
                self.stdout.write(f"  rejected row {r.row} {r.column}: {r.message}")
        if report.rows and not report.accepted:
            raise CommandError("no row was accepted")
