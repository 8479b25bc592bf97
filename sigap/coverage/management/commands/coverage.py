"""`sigap coverage compute|import|quota ...`: JKN coverage from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.core.errors import SigapError
from sigap.core.services import Actor
from sigap.coverage import engine, selectors, services


def cli_actor() -> Actor:
    """Whoever can run manage.py on the server is trusted like an admin."""
    return Actor(user=None, channel="cli", label="cli")


class Command(BaseCommand):
    help = "JKN coverage: file-to-file report, imports of registers, the monthly enrolment quota."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser(
            "compute",
            help="coverage by kelurahan from a population and a membership file (no database)",
        )
        compute.add_argument("--population", required=True, help="CSV/Parquet/XLSX: nik, "
                             "kelurahan_code, birth_date, sex, status")  # fmt: skip
        compute.add_argument("--membership", required=True, help="CSV/Parquet/XLSX: nik, "
                             "segment, active")  # fmt: skip
        compute.add_argument("--out", required=True, help="the report (CSV)")
        compute.add_argument("--memory-limit", default=engine.DEFAULT_MEMORY_LIMIT)
        compute.add_argument("--threads", type=int, default=engine.DEFAULT_THREADS)
        imp = sub.add_parser("import", help="import a monthly register file into SIGAP")
        imp.add_argument("kind", choices=["population", "membership", "welfare"])
        imp.add_argument("file", help="CSV, XLSX or Parquet")
        imp.add_argument("--period", required=True, help="month of the data, YYYY-MM")
        imp.add_argument("--rejections", help="write the rejection report to this CSV")
        imp.add_argument("--no-progress", action="store_true")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, f"handle_{action}")(**opts)

    def handle_compute(self, **opts) -> None:
        try:
            result = engine.compute_coverage(
                opts["population"],
                opts["membership"],
                opts["out"],
                memory_limit=opts["memory_limit"],
                threads=opts["threads"],
            )
        except (engine.EngineError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        share = result.covered / result.population * 100 if result.population else 0.0
        self.stdout.write(
            f"{result.kelurahan} kelurahan, {result.population} residents alive, "
            f"{result.covered} covered ({share:.2f}%), {result.active} active, "
            f"{result.uncovered} uncovered -> {opts['out']}"
        )

    def handle_import(self, **opts) -> None:
        from tqdm import tqdm

        try:
            period = services.parse_period(opts["period"])
            with tqdm(
                total=None, unit=" rows", desc=f"{opts['kind']} {period:%Y-%m}",
                disable=opts["no_progress"], file=self.stderr._out,
            ) as bar:  # fmt: skip
                result = services.import_snapshot(
                    cli_actor(), opts["kind"], opts["file"], period, progress=bar.update
                )
        except SigapError as exc:
            raise CommandError(str(exc.message)) from exc
        snap = result.snapshot
        if not result.created:
            self.stdout.write(
                f"already imported as snapshot {snap.public_id} on {snap.created_at:%Y-%m-%d}: "
                "nothing changed"
            )
            return
        self.stdout.write(
            f"{snap.rows_total} rows: {snap.rows_accepted} accepted, "
            f"{snap.rows_rejected} rejected"
            + ("" if result.applied else " (older than the month in force: recorded only)")
        )
        if opts["rejections"]:
            with open(opts["rejections"], "w", newline="") as fh:
                selectors.write_rejections_csv(snap, fh, masked=False)
            self.stdout.write(f"rejection report -> {opts['rejections']}")
