"""`sigap coverage compute|import|quota ...`: JKN coverage from the command line."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sigap.core.errors import SigapError
from sigap.core.services import Actor, Channel, record_audit
from sigap.coverage import engine, selectors, services
from sigap.coverage.models import QuotaRun, Snapshot
from sigap.coverage.views import download


def cli_actor() -> Actor:
    """Whoever can run manage.py on the server is trusted like an admin."""
    return Actor(user=None, channel=Channel.CLI, label="cli")


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
        snap = sub.add_parser("snapshot", help="confirm or discard a held snapshot, or "
                              "restore the previous one")  # fmt: skip
        snap.add_argument("step", choices=["list", "confirm", "discard", "restore"])
        snap.add_argument("target", nargs="?", help="confirm/discard: the snapshot id; "
                          "restore: membership or welfare")  # fmt: skip
        snap.add_argument("--note", default="")
        quota = sub.add_parser("quota", help="the monthly PBI APBD enrolment quota")
        quota.add_argument("step", choices=["run", "export", "submit", "activate", "reject"])
        quota.add_argument("--period", required=True, help="YYYY-MM")
        quota.add_argument("--area", default=None, help="region code (default SIGAP_AREA_CODE)")
        quota.add_argument("--quota", type=int, help="run: people this month (default setting)")
        quota.add_argument("--budget", type=int, help="run: budget this month (Rp)")
        quota.add_argument("--out", help="export: the list for BPJS (.csv or .xlsx)")
        quota.add_argument("--niks", help="activate/reject: a text file with one NIK per line")

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
        engine.sweep_spool()
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
        notes = {
            "recorded": " (older than the month in force: recorded only)",
            "empty": " (every row refused: nothing applied)",
            "held": f" HELD for confirmation ({snap.hold_reason}; would remove "
            f"{snap.rows_removed} of {snap.rows_in_force}): "
            f"sigap coverage snapshot confirm {snap.public_id}",
        }
        self.stdout.write(
            f"{snap.rows_total} rows: {snap.rows_accepted} accepted, "
            f"{snap.rows_rejected} rejected" + notes.get(snap.status, "")
        )
        if opts["rejections"]:
            with open(opts["rejections"], "w", newline="") as fh:
                selectors.write_rejections_csv(snap, fh, masked=False)
            self.stdout.write(f"rejection report -> {opts['rejections']}")

    def handle_snapshot(self, **opts) -> None:
        step, target = opts["step"], opts["target"]
        try:
            if step == "list":
                for s in Snapshot.objects.order_by("-created_at")[:30]:
                    self.stdout.write(f"{s.public_id} {s.kind:<10} {s.period:%Y-%m} {s.status:<9} "
                                      f"{s.rows_accepted}/{s.rows_total} {s.filename}")  # fmt: skip
                return
            if step == "restore":
                snap = services.restore_previous(cli_actor(), target or "", opts["note"])
                self.stdout.write(f"restored {snap.kind} {snap.period:%Y-%m} ({snap.public_id})")
                return
            snap = Snapshot.objects.filter(public_id=target).first() if target else None
            if snap is None:
                raise CommandError("give the id of a held snapshot (see `snapshot list`)")
            if step == "confirm":
                services.confirm_snapshot(cli_actor(), snap, opts["note"])
            else:
                services.discard_snapshot(cli_actor(), snap, opts["note"])
            self.stdout.write(f"{step}ed {snap.kind} {snap.period:%Y-%m}")
        except SigapError as exc:
            raise CommandError(str(exc.message)) from exc
        except (ValueError, ValidationError) as exc:
            raise CommandError("not a snapshot id") from exc

    def handle_quota(self, **opts) -> None:
        actor = cli_actor()
        area = opts["area"] or settings.SIGAP_AREA_CODE
        try:
            period = services.parse_period(opts["period"])
            if opts["step"] == "run":
                run = services.run_quota(actor, period, area_code=area, quota=opts["quota"],
                                         budget=opts["budget"])  # fmt: skip
                self.stdout.write(
                    f"{run.period:%Y-%m}: {run.selected} of {run.candidates} candidates chosen "
                    f"(quota {run.quota}, Rp {run.monthly_budget:,} a month)"
                )
                return
            run = QuotaRun.objects.filter(
                program=QuotaRun.Program.JKN, period=period, area_code=area,
                status=QuotaRun.Status.DONE,
            ).first()  # fmt: skip
            if run is None:
                raise CommandError(f"no quota run for {period:%Y-%m} in {area}")
            if opts["step"] == "export":
                if not opts["out"]:
                    raise CommandError("--out is required")
                self._export(actor, run, opts["out"])
            elif opts["step"] == "submit":
                self.stdout.write(f"{services.submit_run(actor, run)} marked as sent to BPJS")
            else:
                if not opts["niks"]:
                    raise CommandError("--niks is required")
                with open(opts["niks"]) as fh:
                    niks = fh.read().split()
                n = services.record_activations(actor, run, niks,
                                                rejected=opts["step"] == "reject")  # fmt: skip
                self.stdout.write(f"{n} enrolments moved to {opts['step']}")
        except SigapError as exc:
            raise CommandError(str(exc.message)) from exc

    def _export(self, actor, run, out: str) -> None:
        fmt = out.rsplit(".", 1)[-1].lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError("--out must end in .csv or .xlsx")
        rows = selectors.enrolment_rows(run)
        resp = download(rows, selectors.ENROLMENT_COLUMNS, "daftar", fmt)
        with open(out, "wb") as fh:
            fh.write(resp.content)
        record_audit(actor, "coverage.download.enrolment_list", run,
                     after={"rows": len(rows), "format": fmt, "channel": "cli"})  # fmt: skip
        self.stdout.write(f"{len(rows)} rows -> {out}")
