"""The health office's situation page (/dinkes/)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import exports
from sigap.core.errors import InvalidInput, NotFound

from . import display, periods, report_files, reports, selectors

POLL_SECONDS = 45  # the tiles refresh at this pace (the issue asks for 30-60 s)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(figures: dict, fmt: str) -> HttpResponse:
    """The figures as a CSV or XLSX attachment (formula-safe: sigap.core.exports)."""
    rows = selectors.export_rows(figures)
    name = f"situasi-{figures['area']['code']}-{timezone.localtime():%Y%m%d-%H%M}"
    if fmt == "xlsx":
        body = exports.xlsx_bytes("situasi", selectors.EXPORT_COLUMNS, rows)
        response = HttpResponse(body, content_type=XLSX)
    else:
        text = exports.csv_text(selectors.EXPORT_COLUMNS, rows)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def situation(request: HttpRequest) -> HttpResponse:
    """Every capability's figures for the user's area (or a kab/kota of their province)."""
    if not selectors.may_see(request.user):
        raise PermissionDenied
    try:
        scope = selectors.office_scope(request.user, request.GET.get("wilayah", ""))
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    figures = selectors.situation(request.user, scope)
    fmt = request.GET.get("format", "")
    if fmt:
        if fmt not in ("csv", "xlsx"):
            raise Http404
        return _download(figures, fmt)
    poll_url = reverse("api:monitoring_situation")
    if scope.code != scope.home:
        poll_url += f"?wilayah={scope.code}"
    return render(
        request,
        "monitoring/situation.html",
        {
            "scope": scope,
            "fig": figures,
            "text": display.texts(figures),
            "triage": display.triage_labels(),
            "poll_url": poll_url,
            "poll_seconds": POLL_SECONDS,
            "wilayah": "" if scope.code == scope.home else scope.code,
            "stale_hours": selectors.stale_hours(figures["beds"]["stale_after_minutes"]),
        },
    )


# --- reports over any period ---------------------------------------------------------------


def _office_scope(request: HttpRequest) -> selectors.Scope:
    if not selectors.may_see(request.user):
        raise PermissionDenied
    try:
        return selectors.office_scope(request.user, request.GET.get("wilayah", ""))
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _attachment(body: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The report over a month, quarter, year or range, by area or facility; `format=csv`
    or `xlsx` with `tabel=KEY` downloads one table, `format=xlsx` alone the whole report."""
    scope = _office_scope(request)
    q = request.GET
    today = timezone.localdate()
    kind = q.get("periode", "bulan")
    context = {
        "scope": scope,
        "kinds": [("bulan", _("Bulan")), ("triwulan", _("Triwulan")), ("tahun", _("Tahun")),
                  ("rentang", _("Rentang tanggal"))],
        "breakdowns": [("kecamatan", _("Kecamatan")), ("kelurahan", _("Kelurahan/desa")),
                       ("fasilitas", _("Puskesmas / rumah sakit"))],
        "q": q,
        "kind": kind,
        "by": q.get("menurut", "kecamatan"),
        "wilayah": "" if scope.code == scope.home else scope.code,
        "last_month": f"{(today.replace(day=1) - timedelta(days=1)):%Y-%m}",
    }  # fmt: skip
    try:
        period = periods.parse_period(
            kind, q.get(kind, ""), today, since=q.get("dari", ""), until=q.get("sampai", "")
        )
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "monitoring/report.html", context, status=400)
    built = reports.build(request.user, scope, period, context["by"])
    fmt = q.get("format", "")
    stem = f"laporan-{scope.code}-{period.value.replace('..', '_')}"
    if fmt:
        key = q.get("tabel", "")
        table = built.table(key) if key else None
        if fmt not in ("csv", "xlsx") or (key and table is None) or (fmt == "csv" and not key):
            raise Http404
        if table is None:
            return _attachment(report_files.report_xlsx(built), XLSX, f"{stem}.xlsx")
        if fmt == "csv":
            text = report_files.table_csv(table)
            return _attachment(text, "text/csv; charset=utf-8", f"{stem}-{key}.csv")
        return _attachment(report_files.table_xlsx(table), XLSX, f"{stem}-{key}.xlsx")
    context.update({"period": period, "report": built, "query": _query(q)})
    return render(request, "monitoring/report.html", context)


def _query(q) -> str:
    """The page's own query without format/tabel, for the download links."""
    kept = q.copy()
    for k in ("format", "tabel"):
        kept.pop(k, None)
    return kept.urlencode()


@login_required
def monthly_pdf(request: HttpRequest) -> HttpResponse:
    """The monthly report for the head of the office (`month=YYYY-MM`, default last month)."""
    scope = _office_scope(request)
    today = timezone.localdate()
    value = request.GET.get("month") or f"{(today.replace(day=1) - timedelta(days=1)):%Y-%m}"
    try:
        period = periods.month_period(value, today)
    except InvalidInput as exc:
        return HttpResponse(str(exc.message), status=400, content_type="text/plain; charset=utf-8")
    built = reports.build(request.user, scope, period, "kecamatan")
    body = report_files.monthly_pdf(built)
    return _attachment(body, "application/pdf", f"laporan-bulanan-{scope.code}-{period.value}.pdf")
