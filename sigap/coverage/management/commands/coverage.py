"""`sigap coverage compute|import|quota ...`: JKN coverage from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sigap.coverage import engine


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
