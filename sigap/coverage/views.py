"""Coverage pages: the health office's dashboard, imports with rejection reports, the
uninsured list, the quota run, the workers' register; and the public JKN check.

Thin views: reads through `selectors`, writes through `services`; every download of
person-level data is recorded in the audit trail.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from sigap.core import exports, ratelimit
from sigap.core.errors import InvalidInput, SigapError, TooManyRequests
from sigap.core.models import Role
from sigap.core.services import Actor, record_audit
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from . import charts, conf, engine, selectors, services
from .models import (
    EnrolmentStatus,
    FlagReason,
    QuotaRun,
    Snapshot,
    SnapshotKind,
    SnapshotStatus,
    Worker,
    WorkerEnrolment,
)

PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office(request: HttpRequest) -> str:
    """The office user's area (refuses other roles)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    if not (user.is_admin_role or user.role == Role.ANALYST):
        raise PermissionDenied
    return user.area_code or settings.SIGAP_AREA_CODE


def _area_name(code: str) -> str:
    return Region.objects.filter(code=code).values_list("name", flat=True).first() or code


def download(rows: list[list], columns: list[str], name: str, fmt: str) -> HttpResponse:
    """Rows as a CSV or XLSX attachment (formula-safe: sigap.core.exports)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        resp = HttpResponse(exports.xlsx_bytes(name[:30], columns, rows), content_type=XLSX)
    else:
        text = exports.csv_text(columns, rows)
        resp = HttpResponse(text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return resp


def _fmt(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    return fmt


def _floor_pct(values: list[float | None]) -> int:
    """A y-axis floor a little under the lowest share, so that small changes show."""
    low = min([v for v in values if v is not None] or [0.9])
    return max(0, int(low * 100) - 2)


def _pct_text(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _month_label(d: date) -> str:
    return f"{d:%Y-%m}"


# --- dashboard ---------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    area = _office(request)
    kecamatan = (request.GET.get("kecamatan") or "").strip()
    kecamatans = list(
        Region.objects.filter(level=Region.Level.DISTRICT, code__startswith=area).order_by("name")
    )
    if kecamatan not in {k.code for k in kecamatans}:
        kecamatan = ""
    scope = kecamatan or area
    summary = selectors.area_summary(scope)
    trend = selectors.trend(scope)
    no_data = _("Belum ada data")
    t = conf.uhc()
    threshold_name = _("Ambang UHC %(p)s%%") % {"p": round(t.predicate_coverage * 100)}
    trend_svg = charts.line_chart(
        _("Cakupan JKN per bulan"),
        [_month_label(r["period"]) for r in trend],
        {
            _("Cakupan"): [r["coverage"] for r in trend],
            _("Aktif (dari peserta)"): [r["active_share"] for r in trend],
            threshold_name: [t.predicate_coverage for _r in trend],
        },
        no_data=no_data,
        y_range=(_floor_pct([r["coverage"] for r in trend] + [t.predicate_coverage]), 100),
        dashed=(threshold_name,),
    )
    breakdowns = {by: selectors.breakdown(scope, by) for by in ("segment", "sex", "age")}
    titles = {"sex": _("Cakupan menurut jenis kelamin"), "age": _("Cakupan menurut umur")}
    bars = {}
    for by in ("sex", "age"):
        rows = breakdowns[by]
        bars[by] = charts.bar_chart(
            titles[by],
            [r["name"] for r in rows],
            {_("Cakupan"): [r["coverage"] for r in rows],
             _("Aktif"): [selectors.share(r["active"], r["population"]) for r in rows]},
            no_data=no_data,
        )  # fmt: skip
    level = "kelurahan" if kecamatan else request.GET.get("tingkat", "kecamatan")
    level = level if level in ("kelurahan", "kecamatan") else "kecamatan"
    rows = selectors.coverage_by_area(scope, level)
    for r in rows:
        r["coverage_pct"] = None if r["coverage"] is None else round(r["coverage"] * 100, 2)
        r["active_pct"] = None if r["active_share"] is None else round(r["active_share"] * 100, 1)
    uhc = summary["uhc"]
    kpi = {k: _pct_text(getattr(uhc, k)) for k in ("coverage", "active", "pemda")}
    return render(
        request,
        "coverage/dashboard.html",
        {
            "kpi": kpi,
            "area_name": _area_name(scope),
            "summary": summary,
            "period": selectors.latest_period(),
            "uhc": summary["uhc"],
            "trend_svg": trend_svg,
            "bars": bars,
            "segments": breakdowns["segment"],
            "rows": rows,
            "level": level,
            "kecamatan": kecamatan,
            "kecamatans": kecamatans,
            "thresholds_pct": (
                _pct_text(t.predicate_coverage, 0),
                _pct_text(t.predicate_active, 0),
            ),
        },
    )


# --- imports -------------------------------------------------------------------------------


class ImportUploadHandler(TemporaryFileUploadHandler):
    """Streams a register upload to the one spool folder (a single temporary copy, named by
    process so that a killed import's copy is swept), refusing it once past the size limit
    instead of reading it to the end."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = conf.max_upload_bytes()
        self.too_big = False
        self.received = 0

    def new_file(self, field_name, file_name, *args, **kwargs):
        super(TemporaryFileUploadHandler, self).new_file(field_name, file_name, *args, **kwargs)
        self.file = _SpooledUpload(self.file_name, self.content_type, 0, self.charset,
                                   self.content_type_extra)  # fmt: skip

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_big = True
            self.file.close()
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


class _SpooledUpload(TemporaryUploadedFile):
    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        suffix = Path(name or "").suffix.lower()[:10]
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - an UploadedFile closes it
            suffix=f".upload{suffix}", dir=engine.spool_dir(), prefix=engine.spool_prefix()
        )
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


def _too_big_message() -> str:
    return _("Berkas lebih dari %(mb)s MB: gunakan perintah `sigap coverage import`.") % {
        "mb": conf.max_upload_bytes() // (1024 * 1024)
    }


@csrf_exempt
@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """The upload replaces the upload handlers before the body is read (so it is exempt from
    the middleware's CSRF check and checks CSRF itself, as Django's documentation shows)."""
    _office(request)
    handler = None
    if request.method == "POST":
        engine.sweep_spool()
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > conf.max_upload_bytes() + 64 * 1024:
            # refused before the body is read
            return _imports_page(request, _too_big_message(), status=413)
        handler = ImportUploadHandler(request)
        request.upload_handlers = [handler]  # every POST's file is a _SpooledUpload
    return _imports(request, handler)


@csrf_protect
def _imports(request: HttpRequest, handler) -> HttpResponse:
    if request.method != "POST":
        return _imports_page(request)
    actor = Actor.from_request(request)
    action = request.POST.get("aksi", "impor")
    if action == "pulihkan":
        try:
            snap = services.restore_previous(actor, request.POST.get("jenis", ""),
                                             request.POST.get("catatan", ""))  # fmt: skip
        except SigapError as exc:
            return _imports_page(request, str(exc.message), status=exc.status)
        messages.success(request, _("Snapshot %(month)s dipulihkan dan berlaku kembali.")
                         % {"month": _month_label(snap.period)})  # fmt: skip
        return redirect("coverage:snapshot", public_id=snap.public_id)
    upload = request.FILES.get("berkas")
    kind = request.POST.get("jenis", "")
    if handler.too_big:
        return _imports_page(request, _too_big_message(), status=413)
    try:
        period = services.parse_period(request.POST.get("periode", ""))
        if upload is None:
            raise SigapError(_("Pilih berkas."), field="berkas")
        result = services.import_snapshot(actor, kind, Path(upload.temporary_file_path()),
                                          period, filename=upload.name)  # fmt: skip
    except SigapError as exc:
        return _imports_page(request, str(exc.message), status=exc.status)
    finally:
        if upload is not None:
            upload.close()
    snap = result.snapshot
    if not result.created:
        messages.info(request, _("Snapshot ini sudah pernah diimpor; tidak ada perubahan."))
    elif result.held:
        messages.warning(request, _("%(ok)s baris diterima, %(bad)s ditolak. Snapshot DITAHAN: "
                                    "periksa dan konfirmasi sebelum diterapkan.")
                         % {"ok": snap.rows_accepted, "bad": snap.rows_rejected})  # fmt: skip
    elif snap.status == SnapshotStatus.EMPTY:
        messages.error(request, _("Semua %(bad)s baris ditolak: tidak ada yang diterapkan.")
                       % {"bad": snap.rows_rejected})  # fmt: skip
    else:
        text = _("%(ok)s baris diterima, %(bad)s ditolak.")
        messages.success(request, text % {"ok": snap.rows_accepted,
                                          "bad": snap.rows_rejected})  # fmt: skip
    return redirect("coverage:snapshot", public_id=snap.public_id)


def _imports_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    snapshots = Snapshot.objects.select_related("created_by").order_by("-created_at")[:50]
    restorable = []
    for kind in services.SAVED_ROWS:
        current, previous = services.in_force_and_previous(kind)
        if previous is not None:
            restorable.append({"kind": kind, "label": SnapshotKind(kind).label,
                               "current": current, "previous": previous})  # fmt: skip
    return render(
        request,
        "coverage/imports.html",
        {"snapshots": snapshots, "kinds": SnapshotKind.choices, "error": error,
         "default_period": _month_label(timezone.localdate()),
         "posted_kind": request.POST.get("jenis", "") if request.method == "POST" else "",
         "restorable": restorable, "max_mb": conf.max_upload_bytes() // (1024 * 1024)},
        status=status,
    )  # fmt: skip


@login_required
def snapshot(request: HttpRequest, public_id) -> HttpResponse:
    _office(request)
    snap = Snapshot.objects.filter(public_id=public_id).first()
    if snap is None:
        raise Http404
    if request.method == "POST":
        actor = Actor.from_request(request)
        action = request.POST.get("aksi")
        note = request.POST.get("catatan", "")
        try:
            if action == "konfirmasi":
                services.confirm_snapshot(actor, snap, note)
                messages.success(request, _("Snapshot dikonfirmasi dan diterapkan."))
            elif action == "batalkan":
                services.discard_snapshot(actor, snap, note)
                messages.info(request, _("Snapshot dibatalkan; data yang berlaku tidak berubah."))
            else:
                raise Http404
        except SigapError as exc:
            messages.error(request, str(exc.message))
        return redirect("coverage:snapshot", public_id=snap.public_id)
    if request.GET.get("format"):
        fmt = _fmt(request)
        rows = selectors.rejection_rows(snap, masked=False)
        record_audit(Actor.from_request(request), "coverage.download.rejections", snap,
                     after={"rows": len(rows), "format": fmt})  # fmt: skip
        return download(rows, selectors.REJECTION_COLUMNS, "penolakan", fmt)
    return render(
        request,
        "coverage/snapshot.html",
        {"snap": snap, "summary": selectors.rejection_summary(snap),
         "rows": selectors.rejection_rows(snap, limit=200),
         "hold_reasons": services.hold_reasons(snap) if snap.status == SnapshotStatus.HELD else [],
         "in_force": services.in_force(snap.kind)},
    )  # fmt: skip


# --- uninsured ---------------------------------------------------------------------------------


@login_required
def uninsured(request: HttpRequest) -> HttpResponse:
    area = _office(request)
    kelurahan = (request.GET.get("kelurahan") or "").strip()
    villages = list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area).order_by("name")
    )
    if kelurahan not in {v.code for v in villages}:
        kelurahan = ""
    if request.GET.get("format"):
        fmt = _fmt(request)
        rows = selectors.uninsured_rows(area, kelurahan, masked=False)
        record_audit(
            Actor.from_request(request), "coverage.download.uninsured",
            object_type="coverage.uninsured", object_id=kelurahan or area,
            after={"rows": len(rows), "format": fmt, "area": kelurahan or area},
        )  # fmt: skip
        return download(rows, selectors.UNINSURED_COLUMNS, "belum-terdaftar-jkn", fmt)
    qs = selectors.uninsured(area, kelurahan)
    page = Paginator(qs.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("hal"))
    ids = list(page.object_list)
    rows = selectors.uninsured_rows(area, kelurahan, masked=True, ids=ids)
    return render(
        request,
        "coverage/uninsured.html",
        {"rows": rows, "page": page, "villages": villages, "kelurahan": kelurahan,
         "total": page.paginator.count},
    )  # fmt: skip


# --- quota -----------------------------------------------------------------------------------


def projection(area: str, pace: int, months: int = 24) -> dict:
    """When the area reaches the UHC thresholds if `pace` uninsured residents a month are
    enrolled (and stay active), from the latest month's figures."""
    summary = selectors.area_summary(area)
    pop, covered = summary["population"], summary["covered"]
    t = conf.uhc()
    history = selectors.trend(area)
    start = history[-1]["period"] if history else timezone.localdate().replace(day=1)
    labels, actual, projected = [], [], []
    for r in history:
        labels.append(_month_label(r["period"]))
        actual.append(r["coverage"])
        projected.append(None)
    if projected:
        projected[-1] = actual[-1]
    reach: dict[str, str | None] = {"predicate": None, "utama": None}
    month = start
    for _i in range(months):
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        covered = min(pop, covered + pace)
        share = covered / pop if pop else None
        labels.append(_month_label(month))
        actual.append(None)
        projected.append(share)
        if share is not None:
            if reach["predicate"] is None and share > t.predicate_coverage:
                reach["predicate"] = _month_label(month)
            if reach["utama"] is None and share >= t.utama_coverage:
                reach["utama"] = _month_label(month)
    now = summary["coverage"]
    if now is not None and now > t.predicate_coverage:
        reach["predicate"] = _("sudah tercapai")
    if now is not None and now >= t.utama_coverage:
        reach["utama"] = _("sudah tercapai")
    svg = charts.line_chart(
        _("Proyeksi cakupan dengan %(n)s pendaftaran per bulan") % {"n": f"{pace:,}"},
        labels,
        {
            _("Cakupan"): actual,
            _("Proyeksi"): projected,
            _("Ambang UHC"): [t.predicate_coverage] * len(labels),
            _("UHC Utama"): [t.utama_coverage] * len(labels),
        },
        no_data=_("Belum ada data"),
        y_range=(_floor_pct(actual + projected), 100),
        dashed=(_("Ambang UHC"), _("UHC Utama")),
    )
    return {"svg": svg, "reach": reach, "pace": pace}


@login_required
def quota(request: HttpRequest) -> HttpResponse:
    area = _office(request)
    actor = Actor.from_request(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("aksi")
        try:
            if action == "aturan":
                services.set_priority_rule(actor, {f: request.POST.get(f)
                                                   for f in services.RULE_FIELDS})  # fmt: skip
                messages.success(request, _("Aturan prioritas disimpan."))
                return redirect("coverage:quota")
            if action == "jalankan":
                period = services.parse_period(request.POST.get("periode", ""))
                quota_n = _int_or_none(request.POST.get("kuota"), "kuota")
                budget = _int_or_none(request.POST.get("anggaran"), "anggaran")
                run = services.run_quota(actor, period, area_code=area, quota=quota_n,
                                         budget=budget)  # fmt: skip
                messages.success(request, _("%(n)s warga dipilih untuk bulan %(m)s.")
                                 % {"n": run.selected, "m": _month_label(run.period)})  # fmt: skip
                return redirect("coverage:run", public_id=run.public_id)
            raise Http404
        except SigapError as exc:
            errors[exc.field or "form"] = str(exc.message)
    runs = QuotaRun.objects.filter(program=QuotaRun.Program.JKN, area_code=area)[:24]
    recent = [r.selected for r in runs if r.status == QuotaRun.Status.DONE][:3]
    pace = round(sum(recent) / len(recent)) if recent else conf.monthly_quota()
    rule = services.priority_rule()
    return render(
        request,
        "coverage/quota.html",
        {
            "runs": runs, "rule": rule, "errors": errors, "projection": projection(area, pace),
            "default_quota": conf.monthly_quota(), "premium": conf.premium(),
            "default_period": _month_label(timezone.localdate()),
            "rule_fields": [(f, rule_labels()[f], getattr(rule, f)) for f in services.RULE_FIELDS],
            "flag_reasons": FlagReason.choices,
        },
    )  # fmt: skip


def rule_labels() -> dict[str, str]:
    return {
        "max_decile": _("Desil miskin/rentan sampai"),
        "poverty_points": _("Poin miskin/rentan (desil)"),
        "pregnant_points": _("Poin ibu hamil"),
        "infant_points": _("Poin bayi"),
        "elderly_points": _("Poin lansia"),
        "chronic_points": _("Poin penyakit kronis"),
        "homecare_points": _("Poin pasien home care"),
        "flagged_points": _("Poin ditandai layanan lain"),
        "infant_max_months": _("Bayi: umur di bawah (bulan)"),
        "elderly_min_years": _("Lansia: umur mulai (tahun)"),
    }


def _int_or_none(value: str | None, field: str) -> int | None:
    value = (value or "").strip().replace(".", "").replace(",", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise SigapError(_("Harus bilangan bulat."), field=field) from None


@login_required
def run_detail(request: HttpRequest, public_id) -> HttpResponse:
    area = _office(request)
    run = QuotaRun.objects.filter(public_id=public_id, area_code=area).first()
    if run is None:
        raise Http404
    actor = Actor.from_request(request)
    if request.GET.get("format"):
        fmt = _fmt(request)
        if run.program == QuotaRun.Program.WORKERS:
            rows, cols = _worker_rows(run), WORKER_LIST_COLUMNS
        else:
            rows, cols = selectors.enrolment_rows(run), selectors.ENROLMENT_COLUMNS
        record_audit(actor, "coverage.download.enrolment_list", run,
                     after={"rows": len(rows), "format": fmt})  # fmt: skip
        return download(rows, cols, f"daftar-{run.program}-{_month_label(run.period)}", fmt)
    if request.method == "POST":
        action = request.POST.get("aksi")
        niks = (request.POST.get("nik") or "").replace(",", "\n").split()
        try:
            if action == "kirim":
                n = services.submit_run(actor, run)
            elif action == "aktif":
                n = services.record_activations(actor, run, niks)
            elif action == "tolak":
                n = services.record_activations(actor, run, niks, rejected=True,
                                                reason=request.POST.get("alasan", ""))  # fmt: skip
            elif action == "batal":
                services.cancel_quota_run(actor, run, request.POST.get("alasan", ""))
                n = run.selected
            elif action in ("pekerja-aktif", "pekerja-tolak"):
                to = (WorkerEnrolment.Status.ACTIVE if action == "pekerja-aktif"
                      else WorkerEnrolment.Status.REJECTED)  # fmt: skip
                n = services.set_worker_enrolments(actor, run, niks, to)
            else:
                raise Http404
            messages.success(request, _("%(n)s data diperbarui.") % {"n": n})
        except SigapError as exc:
            messages.error(request, str(exc.message))
        return redirect("coverage:run", public_id=run.public_id)
    if run.program == QuotaRun.Program.WORKERS:
        enrolments = run.worker_enrolments.select_related("worker").order_by("worker_id")[:500]
        counts = {s: run.worker_enrolments.filter(status=s).count()
                  for s in WorkerEnrolment.Status.values}  # fmt: skip
        budget = sum(run.worker_enrolments.values_list("premium", flat=True))
    else:
        enrolments = run.enrolments.order_by("rank")[:500]
        counts = selectors.enrolment_counts(run)
        budget = run.monthly_budget
    return render(
        request,
        "coverage/run.html",
        {"run": run, "enrolments": enrolments, "counts": counts, "budget": budget,
         "statuses": EnrolmentStatus.choices,
         "is_workers": run.program == QuotaRun.Program.WORKERS},
    )  # fmt: skip


# --- workers ---------------------------------------------------------------------------------

WORKER_LIST_COLUMNS = ["nik", "nama", "pekerjaan", "kode_kelurahan", "jkk", "jkm", "jht",
                       "iuran", "status"]  # fmt: skip


def _worker_rows(run: QuotaRun) -> list[list]:
    return [
        [e.worker.nik, e.worker.name, e.worker.occupation, e.worker.kelurahan_code,
         "Y", "Y", "Y" if e.jht else "N", e.premium, e.status]
        for e in run.worker_enrolments.select_related("worker").order_by("worker_id")
    ]  # fmt: skip


@login_required
def workers(request: HttpRequest) -> HttpResponse:
    area = _office(request)
    actor = Actor.from_request(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("aksi") == "daftar":
                services.register_worker(
                    actor, nik=request.POST.get("nik", ""), name=request.POST.get("nama", ""),
                    occupation=request.POST.get("pekerjaan", ""),
                    kelurahan_code=request.POST.get("kelurahan", ""),
                    wants_jht=request.POST.get("jht") == "1",
                )  # fmt: skip
                messages.success(request, _("Pekerja terdaftar."))
                return redirect("coverage:workers")
            if request.POST.get("aksi") == "bulanan":
                period = services.parse_period(request.POST.get("periode", ""))
                run = services.run_workers_month(
                    actor, period, area_code=area,
                    quota=_int_or_none(request.POST.get("kuota"), "kuota"),
                )  # fmt: skip
                return redirect("coverage:run", public_id=run.public_id)
            raise Http404
        except SigapError as exc:
            errors[exc.field or "form"] = str(exc.message)
    qs = Worker.objects.filter(kelurahan_code__startswith=area).order_by("-created_at")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("hal"))
    names = dict(Region.objects.filter(code__in={w.kelurahan_code for w in page})
                 .values_list("code", "name"))  # fmt: skip
    for w in page:
        w.kelurahan_name = names.get(w.kelurahan_code, w.kelurahan_code)
    runs = QuotaRun.objects.filter(program=QuotaRun.Program.WORKERS, area_code=area)[:12]
    villages = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=area)
    return render(
        request,
        "coverage/workers.html",
        {"page": page, "runs": runs, "errors": errors, "villages": villages.order_by("name"),
         "premiums": conf.workers_premiums(), "default_quota": conf.workers_quota(),
         "default_period": _month_label(timezone.localdate()), "post": request.POST},
    )  # fmt: skip


# --- public check --------------------------------------------------------------------------


def public_answer(request: HttpRequest, nik: str, number: str, number_field: str = "nomor") -> str:
    """The public check: active | inactive | pending | uncovered | unknown. Raises
    InvalidInput for a NIK that cannot be a NIK or a missing KK / card number, and
    TooManyRequests past the address's limit or after repeated misses (per address, and per
    NIK from any address). Limits are counted in the shared cache, so they hold across app
    processes and servers."""
    try:
        nik = validate_nik(nik, check_region=False).nik
    except SigapError as exc:
        raise InvalidInput(_("NIK ini tidak sah: %(reason)s") % {"reason": exc.message},
                           field="nik") from None  # fmt: skip
    number = services.normalise_number(number)
    if not (number.isdigit() and len(number) in (13, 16)):
        raise InvalidInput(_("Isi nomor KK (16 angka) atau nomor kartu JKN (13 angka)."),
                           field=number_field)  # fmt: skip
    count, seconds = conf.lookup_rate()
    if ratelimit.over(ratelimit.address_key(request, "coverage-check"), count, seconds):
        raise TooManyRequests(_("Terlalu banyak pemeriksaan dari alamat ini. Coba lagi nanti."),
                              code="rate_limited")  # fmt: skip
    miss_count, miss_seconds = conf.lookup_miss_rate()
    nik_count, nik_seconds = conf.lookup_nik_miss_rate()
    miss_address = ratelimit.address_key(request, "coverage-check-miss")
    miss_nik = f"coverage-check-miss-nik:{ratelimit.private_key(nik)}"
    if ratelimit.used_up(miss_address, miss_count, miss_seconds) or ratelimit.used_up(
        miss_nik, nik_count, nik_seconds
    ):
        raise TooManyRequests(
            _("Terlalu banyak pemeriksaan yang tidak cocok. Coba lagi nanti, atau tanyakan ke "
              "kelurahan / BPJS Kesehatan (Care Center 165)."), code="too_many_misses",
        )  # fmt: skip
    result = services.coverage_status(nik, proof=number)
    if result is None:
        ratelimit.hit(miss_address, miss_count, miss_seconds)
        ratelimit.hit(miss_nik, nik_count, nik_seconds)
        return "unknown"
    if result.covered:
        return "active" if result.active else "inactive"
    return "pending" if result.enrolment else "uncovered"


def check(request: HttpRequest) -> HttpResponse:
    """Public: is this NIK covered by JKN? Answers only yes/no/unknown and what to do next.
    Asks for the KK or JKN card number beside the NIK (a NIK alone, or with the birth date
    it encodes, would make this an oracle)."""
    answer = None
    error = ""
    status = 200
    if request.method == "POST":
        try:
            answer = public_answer(request, (request.POST.get("nik") or "").strip(),
                                   request.POST.get("nomor") or "")  # fmt: skip
        except SigapError as exc:
            error, status = str(exc.message), exc.status
    return render(request, "coverage/check.html", {"answer": answer, "error": error},
                  status=status)  # fmt: skip
