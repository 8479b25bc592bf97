"""Nutrition and maternal/child health pages: the indicator dashboard, the posyandu entry
form, the e-PPGBM import, severe cases with their actions, mortality and death reviews.

Thin views: reads through `selectors`, writes through `services`; domain errors are shown on
the page with a 4xx status and nothing written.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from sigap.core import exports
from sigap.core.errors import InvalidInput, SigapError
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel, audit_list_read, audit_read
from sigap.regions.models import Region
from sigap.regions.services import villages_in

from . import charts, importer, quality, selectors, services
from . import classification as cls
from .importer import import_eppgbm
from .models import (
    CaseAction,
    Child,
    Death,
    DeathReview,
    Measurement,
    NutritionCase,
    Pregnancy,
)

PAGE_ROLES = (Role.ANALYST, Role.ADMIN, Role.PUSKESMAS_STAFF)


def _reader(request: HttpRequest) -> User:
    user = request.user
    if not (user.is_superuser or user.role in PAGE_ROLES):
        raise PermissionDenied
    return user


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not (user.is_superuser or user.role in (Role.PUSKESMAS_STAFF, Role.ADMIN)):
        raise PermissionDenied
    return user


def _area(user: User) -> str:
    return user.area_code or ("" if user.is_superuser else settings.SIGAP_AREA_CODE)


def _month(value: str | None, default: date) -> date:
    try:
        return datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return default


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, channel=Channel.WEB)


def _band_label(key: str) -> str:
    return str(selectors.BAND_LABELS.get(key, "")) if key else ""


def _kecamatans(area: str) -> list[Region]:
    return list(Region.objects.filter(level=3, code__startswith=area).order_by("name"))


# --- dashboard --------------------------------------------------------------------------------


def _dashboard_filters(request: HttpRequest, user: User, area: str):
    """The dashboard's (and its export's) filters: the user's kecamatans, the chosen one ('' =
    the whole area), the months with data, the month (by default the last complete one, never
    the month still being entered) and the level."""
    kecamatans = _kecamatans(area)
    kec = request.GET.get("kecamatan", "")
    kec = kec if kec in {k.code for k in kecamatans} else ""
    months = selectors.available_months(user, kec or area)
    month = _month(request.GET.get("bulan"), selectors.default_month(months))
    level = request.GET.get("tingkat", "kelurahan" if kec else "kecamatan")
    level = level if level in selectors.LEVELS else "kecamatan"
    return kecamatans, kec, months, month, level


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    area = _area(user)
    kecamatans, kec, months, month, level = _dashboard_filters(request, user, area)
    if month not in months:
        months = sorted({*months, month}, reverse=True)
    dash = selectors.dashboard(user, month=month, level=level, area=kec or area)
    for row in [*dash.units, dash.totals]:
        row["stunting_band_label"] = _band_label(row["stunting_band"])
        row["wasting_band_label"] = _band_label(row["wasting_band"])
    labels = [
        _("%(month)s (berjalan)") % {"month": date_format(m, "M Y")}
        if selectors.month_in_progress(m)
        else date_format(m, "M Y")
        for m in dash.months
    ]
    chart = charts.trend_chart(
        _("Prevalensi per bulan"),
        labels,
        {
            _("Stunting (TB/U < -2 SD)"): dash.trend["stunting"],
            _("Wasting (BB/TB < -2 SD)"): dash.trend["wasting"],
            _("Underweight (BB/U < -2 SD)"): dash.trend["underweight"],
        },
        no_data=_("Belum ada data"),
    )
    falter = selectors.faltering(user, month=month, area=kec or area, limit=100)
    config = {
        "points": dash.map_points,
        "tile_url": settings.SIGAP_TILE_URL,
        "i18n": {
            "stunting": _("Stunting"),
            "wasting": _("Wasting"),
            "measured": _("Anak diukur"),
            "bands": {k: str(v) for k, v in selectors.BAND_LABELS.items()},
            "too_few": _("terlalu sedikit untuk dinilai"),
            "ci": _("IK 95%"),
        },
    }
    return render(
        request,
        "nutrition/dashboard.html",
        {
            "dash": dash,
            "chart": chart,
            "month": month,
            "month_value": month.strftime("%Y-%m"),
            "months": [
                (
                    m.strftime("%Y-%m"),
                    _("%(month)s (berjalan)") % {"month": date_format(m, "F Y")}
                    if selectors.month_in_progress(m)
                    else date_format(m, "F Y"),
                )
                for m in months
            ],
            "level": level,
            "levels": [
                ("kecamatan", _("Kecamatan")),
                ("kelurahan", _("Kelurahan")),
                ("posyandu", _("Posyandu")),
            ],
            "kecamatans": kecamatans,
            "kecamatan": kec,
            "faltering": falter,
            "quality": _dashboard_quality(user, month, level, kec or area),
            "active_cases": sum(
                n
                for k, n in selectors.case_counts(user, kec or area).items()
                if k in (NutritionCase.Status.OPEN, NutritionCase.Status.ACTING)
            ),
            "map_config": config,
            "area_name": Region.objects.filter(code=kec or area)
            .values_list("name", flat=True)
            .first()
            or _("semua wilayah"),
        },
    )


EXPORT_INDICATORS = [
    ("stunting", gettext_lazy("Stunting")),
    ("severe_stunting", gettext_lazy("Sangat pendek")),
    ("wasting", gettext_lazy("Wasting")),
    ("severe_wasting", gettext_lazy("Gizi buruk")),
    ("underweight", gettext_lazy("Underweight")),
    ("overweight", gettext_lazy("Gizi lebih")),
    ("faltering", gettext_lazy("BB tidak naik")),
]


def export_rows(dash: selectors.Dashboard) -> tuple[list[str], list[list]]:
    """The dashboard's units and total as rows: per indicator the percentage (empty when
    too few), its 95% interval, the denominator and a note; the same rule as the page.
    (sigap.core.exports writes them formula-safe.)"""
    header = [str(_("Bulan")), str(_("Keterangan bulan")), str(_("Kode")), str(_("Wilayah"))]
    header.append(str(_("Anak diukur")))
    for _key, label in EXPORT_INDICATORS:
        header += [
            f"{label} (%)",
            f"{label} " + str(_("IK 95% bawah")),
            f"{label} " + str(_("IK 95% atas")),
            f"{label} " + str(_("penyebut (anak)")),
            f"{label} " + str(_("catatan")),
        ]
    note_month = str(_("bulan berjalan, data belum lengkap")) if dash.in_progress else ""
    too_few = str(_("terlalu sedikit untuk dinilai"))
    rows = []
    total = {**dash.totals, "code": "", "name": str(_("Total"))}
    for u in [*dash.units, total]:
        row = [dash.month.strftime("%Y-%m"), note_month, u["code"], u["name"], u["measured"]]
        for key, _label in EXPORT_INDICATORS:
            row += [
                u[key],
                u[f"{key}_low"],
                u[f"{key}_high"],
                u[f"{key}_den"],
                too_few if u[f"{key}_too_few"] else "",
            ]
        rows.append(row)
    return header, rows


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's table as CSV or XLSX (aggregates only, no personal data)."""
    user = _reader(request)
    area = _area(user)
    _kecs, kec, _months, month, level = _dashboard_filters(request, user, area)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    dash = selectors.dashboard(user, month=month, level=level, area=kec or area)
    header, rows = export_rows(dash)
    name = f"prevalensi-gizi-{month.strftime('%Y-%m')}-{level}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.xlsx_bytes("prevalensi", header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = exports.csv_text(header, rows)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- entry form -------------------------------------------------------------------------------


def _float(value: str | None, field: str) -> float | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(_("Harus berupa angka."), field=field) from None
    if not math.isfinite(number):  # "inf", "nan": not a measurement
        raise InvalidInput(_("Harus berupa angka."), field=field)
    return number


def _date(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput(_("Tanggal tidak sah."), field=field) from None


def _entry_child(request: HttpRequest, actor: Actor, posyandu) -> Child | services.ChildInput:
    """The child the form is about: a stored one, or the input of a new one (created only
    together with its measurement, see services.register_and_measure)."""
    p = request.POST
    key = (p.get("child") or "").strip()
    nik = (p.get("nik") or "").strip()
    if key:
        try:
            return services.get_child(actor, key)
        except (SigapError, ValueError):
            raise InvalidInput(_("Anak tidak ditemukan."), field="nik") from None
    if nik:
        existing = Child.objects.filter(nik=nik).first()
        if existing is not None:
            services.require_kelurahan(actor, existing.kelurahan_id)
            return existing
    return services.ChildInput(
        name=p.get("name", ""),
        sex=p.get("sex", ""),
        birth_date=_date(p.get("birth_date"), "birth_date"),
        kelurahan_code=posyandu.village_id,
        nik=nik,
        mother_nik=p.get("mother_nik", ""),
        parent_name=p.get("parent_name", ""),
        birth_weight_kg=_float(p.get("birth_weight"), "birth_weight_kg"),
        posyandu=posyandu,
        phone=p.get("phone", ""),
        address=p.get("address", ""),
    )


@login_required
def entry(request: HttpRequest) -> HttpResponse:
    """The posyandu volunteers' form: one child after another, keyboard only."""
    user = _staff(request)
    posyandus = list(services.posyandu_for(user).order_by("name")[:2000])
    by_id = {str(p.public_id): p for p in posyandus}
    chosen = request.POST.get("posyandu") or request.GET.get("posyandu") or ""
    chosen = chosen if chosen in by_id else (str(posyandus[0].public_id) if posyandus else "")
    posyandu = by_id.get(chosen)
    today = timezone.localdate()
    error: SigapError | None = None
    if request.method == "POST":
        if posyandu is None:
            error = InvalidInput(_("Pilih posyandu."), field="posyandu")
        else:
            actor = _actor(request)
            p = request.POST
            try:
                data = services.MeasurementInput(
                    measured_on=_date(p.get("measured_on"), "measured_on"),
                    weight_kg=_float(p.get("weight"), "weight_kg"),
                    length_cm=_float(p.get("length"), "length_cm"),
                    position=(p.get("position") or "").strip().upper(),
                    muac_cm=_float(p.get("muac"), "muac_cm"),
                    oedema=p.get("oedema") == "1",
                )
                child = _entry_child(request, actor, posyandu)
                if isinstance(child, Child):
                    m = services.record_measurement(actor, child, data)
                else:
                    # a new child is created only together with its measurement
                    m = services.register_and_measure(actor, child, data)
            except SigapError as exc:
                error = exc
            else:
                request.session["nutrition_last"] = str(m.public_id)
                q = urlencode({"posyandu": chosen, "tanggal": data.measured_on.isoformat()})
                return redirect(reverse("nutrition:entry") + "?" + q)
    last = None
    if request.method == "GET" and request.session.get("nutrition_last"):
        last = (
            Measurement.objects.select_related("child")
            .filter(public_id=request.session.pop("nutrition_last"))
            .first()
        )
    day = request.GET.get("tanggal") or request.POST.get("measured_on") or today.isoformat()
    recent = []
    if posyandu is not None:
        recent = list(
            Measurement.objects.filter(posyandu=posyandu)
            .select_related("child")
            .order_by("-updated_at")[:15]
        )
    if error is None and (last or recent):  # children just measured at this posyandu
        shown = [x.child.public_id for x in ([last] if last else []) + recent]
        audit_list_read(_actor(request), Child, dict.fromkeys(shown), list="entry")
    context = {
        "posyandus": posyandus,
        "posyandu": chosen,
        "day": day,
        "today": today.isoformat(),
        "last": _describe(last) if last else None,
        "recent": [_describe(m) for m in recent],
        "error": error,
        "form": request.POST if error else {},
        "search_url": reverse("api:nutrition_children"),
    }
    return render(request, "nutrition/entry.html", context, status=error.status if error else 200)


def _describe(m: Measurement) -> dict:
    return {
        "m": m,
        "child": m.child,
        "nik": services.mask_nik_encoded(m.child.nik),
        "haz_label": cls.label("haz", m.haz_class),
        "waz_label": cls.label("waz", m.waz_class),
        "whz_label": cls.label("whz", m.whz_class),
        "alert": m.whz_class == cls.WHZ_SEVERE or m.haz_class == cls.HAZ_SEVERELY_STUNTED,
    }


# --- correcting or deleting a measurement ---------------------------------------------------


@login_required
def measurement_edit(request: HttpRequest, key: str) -> HttpResponse:
    """Correct a measurement's values or date, or delete it with a reason (recorders of its
    kelurahan). The child's gains, the month's counts and its cases follow (a case opened by
    a value that the correction removes is closed; one the correction calls for is opened);
    every change is audited."""
    _staff(request)
    actor = _actor(request)
    try:
        m = services.get_measurement(actor, key)
    except (SigapError, ValueError) as exc:
        if getattr(exc, "status", 404) == 403:
            raise PermissionDenied from None
        raise Http404 from None
    error: SigapError | None = None
    if request.method == "POST":
        p = request.POST
        op = p.get("op")
        try:
            if op == "delete":
                services.delete_measurement(actor, m, reason=p.get("reason", ""))
                messages.success(request, _("Pengukuran dihapus."))
                return redirect(reverse("nutrition:entry"))
            if op != "correct":
                raise InvalidInput(_("Perintah tidak dikenal."), field="op")
            services.correct_measurement(
                actor,
                m,
                services.MeasurementInput(
                    measured_on=_date(p.get("measured_on"), "measured_on"),
                    weight_kg=_float(p.get("weight"), "weight_kg"),
                    length_cm=_float(p.get("length"), "length_cm"),
                    position=(p.get("position") or "").strip().upper(),
                    muac_cm=_float(p.get("muac"), "muac_cm"),
                    oedema=p.get("oedema") == "1",
                ),
            )
        except SigapError as exc:
            error = exc
        else:
            messages.success(request, _("Pengukuran dikoreksi."))
            return redirect("nutrition:measurement", key=key)
    m = Measurement.objects.select_related("child", "posyandu").get(pk=m.pk)
    child = m.child
    if error is None:  # a refused form writes nothing, the audit trail included
        audit_read(actor, child, label=child.name, measurement=str(m.public_id))
    form = (
        request.POST
        if error
        else {
            "measured_on": m.measured_on.isoformat(),
            "weight": "" if m.weight_kg is None else m.weight_kg,
            "length": "" if m.length_cm is None else m.length_cm,
            "position": m.position,
            "muac": "" if m.muac_cm is None else m.muac_cm,
            "oedema": "1" if m.oedema else "",
        }
    )
    return render(
        request,
        "nutrition/measurement.html",
        {
            "r": _describe(m),
            "child": child,
            "nik": services.mask_nik_encoded(child.nik),
            "form": form,
            "error": error,
            "cases": list(child.cases.order_by("-opened_on", "-id")[:20]),
            "history": [_describe(h) for h in selectors.child_history(child)],
            "today": timezone.localdate().isoformat(),
        },
        status=error.status if error else 200,
    )


# --- import -----------------------------------------------------------------------------------


@csrf_exempt  # checked by _import_view once the size is known to be acceptable
@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """An upload larger than the limit is refused from its Content-Length, before Django
    reads the body (and before the CSRF check, which would parse it): nothing is written."""
    _staff(request)
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # the form fields around the file take a few hundred bytes
        if length > importer.limit("MAX_UPLOAD_BYTES") + 64 * 1024:
            error = importer.too_big()
            return render(request, "nutrition/import.html", {"error": error}, status=413)
    return _import_view(request)


@csrf_protect
def _import_view(request: HttpRequest) -> HttpResponse:
    report, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = InvalidInput(_("Pilih berkas e-PPGBM (CSV atau XLSX)."), field="file")
        else:
            try:
                report = import_eppgbm(_actor(request), upload, upload.name)
            except SigapError as exc:
                error = exc
            else:
                request.session["nutrition_rejections"] = report.rejections_csv()[:2_000_000]
    status = error.status if error else 200
    return render(
        request, "nutrition/import.html", {"report": report, "error": error}, status=status
    )


@login_required
def import_rejections(request: HttpRequest) -> HttpResponse:
    _staff(request)
    text = request.session.get("nutrition_rejections")
    if not text:
        raise Http404
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="penolakan-eppgbm.csv"'
    return response


# --- cases ------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    status = request.GET.get("status", "active")
    rows = selectors.cases(user, status=status, area=_area(user))
    audit_list_read(_actor(request), Child, [c.child.public_id for c in rows], list="cases")
    return render(
        request,
        "nutrition/cases.html",
        {
            "cases": [(c, services.mask_nik_encoded(c.child.nik)) for c in rows],
            "status": status,
            "statuses": [("active", _("aktif")), *NutritionCase.Status.choices, ("", _("semua"))],
            "counts": selectors.case_counts(user, _area(user)),
        },
    )


@login_required
def case_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = _reader(request)
    actor = _actor(request)
    try:
        case = services.get_case(actor, key)
    except (SigapError, ValueError):
        raise Http404 from None
    error = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "take":
                services.take_case(actor, case)
                messages.success(request, _("Kasus sekarang Anda tangani."))
            elif op == "action":
                services.add_action(
                    actor, case, request.POST.get("kind", ""), note=request.POST.get("note", "")
                )
                messages.success(request, _("Tindakan dicatat."))
            elif op == "status":
                services.move_case(
                    actor,
                    case,
                    request.POST.get("to", ""),
                    reason=request.POST.get("reason", ""),
                    expected=request.POST.get("expected") or None,
                )
                messages.success(request, _("Status kasus diperbarui."))
            elif op == "action_status":
                action = case.actions.filter(public_id=request.POST.get("action")).first()
                if action is None:
                    raise InvalidInput(_("Tindakan tidak ditemukan."), field="action")
                services.move_action(actor, action, request.POST.get("to", ""))
                messages.success(request, _("Status tindakan diperbarui."))
            else:
                raise InvalidInput(_("Perintah tidak dikenal."), field="op")
        except SigapError as exc:
            error = exc
        else:
            return redirect("nutrition:case", key=key)
        case = services.get_case(actor, key)
    history = selectors.child_history(case.child)
    if error is None:  # a refused form writes nothing, the audit trail included
        audit_read(actor, case.child, label=case.child.name, case=str(case.public_id))
    can_act = user.is_superuser or user.role in (Role.PUSKESMAS_STAFF, Role.ADMIN)
    return render(
        request,
        "nutrition/case.html",
        {
            "case": case,
            "nik": services.mask_nik_encoded(case.child.nik),
            "history": [_describe(m) for m in history],
            "actions": list(case.actions.select_related("owner")),
            "action_kinds": CaseAction.Kind.choices,
            "next_statuses": [
                (s, NutritionCase.Status(s).label)
                for s in sorted(services.CASES.next_states(case.status))
            ],
            "action_next": {k: sorted(v) for k, v in services.ACTIONS.graph.items()},
            "can_act": can_act,
            "error": error,
        },
        status=error.status if error else 200,
    )


# --- mothers and infants ---------------------------------------------------------------------


@login_required
def mch(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("tahun", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), this_year)
    level = request.GET.get("tingkat", "kecamatan")
    level = level if level in ("kota", "kecamatan", "kelurahan") else "kecamatan"
    report = selectors.mortality(user, year=year, level=level, area=_area(user))
    return render(
        request,
        "nutrition/mch.html",
        {
            "report": report,
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
            "level": level,
            "pregnancies": [
                (
                    p,
                    services.mask_nik_encoded(p.mother_nik),
                    services.risk_reasons(p),
                )
                for p in selectors.high_risk_pregnancies(user, _area(user), 100)
            ],
            "review_counts": selectors.review_counts(user, _area(user)),
        },
    )


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    status = request.GET.get("status", "")
    return render(
        request,
        "nutrition/reviews.html",
        {
            "reviews": selectors.reviews(user, status=status, area=_area(user)),
            "status": status,
            "statuses": [("", _("semua")), *DeathReview.Status.choices],
            "counts": selectors.review_counts(user, _area(user)),
        },
    )


@login_required
def review_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = _reader(request)
    actor = _actor(request)
    try:
        review = services.get_review(actor, key)
    except (SigapError, ValueError):
        raise Http404 from None
    error = None
    if request.method == "POST":
        p = request.POST
        avoidable = {"1": True, "0": False}.get(p.get("avoidable", ""))
        try:
            services.move_review(
                actor,
                review,
                p.get("to", ""),
                findings=p.get("findings", ""),
                avoidable=avoidable,
                delays=p.getlist("delays"),
                recommendations=p.get("recommendations", ""),
                reason=p.get("reason", ""),
                expected=p.get("expected") or None,
            )
        except SigapError as exc:
            error = exc
        else:
            messages.success(request, _("Status kajian diperbarui."))
            return redirect("nutrition:review", key=key)
    death: Death = review.death
    return render(
        request,
        "nutrition/review.html",
        {
            "review": review,
            "death": death,
            "nik": services.mask_nik_encoded(death.nik or death.mother_nik),
            "next_statuses": [
                (s, DeathReview.Status(s).label)
                for s in sorted(services.REVIEWS.next_states(review.status))
            ],
            "delays": list(services.DELAYS.items()),
            "can_close": user.is_admin_role or user.role == Role.ANALYST,
            "error": error,
            "form": request.POST if error else {},
        },
        status=error.status if error else 200,
    )


# --- pregnancy register (ANC first visit) ----------------------------------------------------


def _int(value: str | None, field: str) -> int | None:
    number = _float(value, field)
    if number is None:
        return None
    if number != int(number):
        raise InvalidInput(_("Isi bilangan bulat."), field=field)
    return int(number)


def _optional_date(value: str | None, field: str) -> date | None:
    return _date(value, field) if (value or "").strip() else None


@login_required
def pregnancy_new(request: HttpRequest) -> HttpResponse:
    """Register a pregnancy from the ANC register: first-visit values and the KSPR
    checklist; the page answers with the risk factors found and the home-care hand-off."""
    user = _staff(request)
    villages = list(
        villages_in(_area(user))
        .filter(services.scope_filter(user, "code"))
        .order_by("name")
        .values_list("code", "name")[:2000]
    )
    error: SigapError | None = None
    if request.method == "POST":
        p = request.POST
        try:
            pregnancy = services.register_pregnancy(
                _actor(request),
                services.PregnancyInput(
                    mother_nik=p.get("mother_nik", ""),
                    mother_name=p.get("mother_name", ""),
                    kelurahan_code=p.get("kelurahan_code", ""),
                    risk_factors=p.getlist("risk"),
                    last_period=_optional_date(p.get("last_period"), "last_period"),
                    gravida=_int(p.get("gravida"), "gravida") or 1,
                    parity=_int(p.get("parity"), "parity") or 0,
                    last_birth_date=_optional_date(p.get("last_birth_date"), "last_birth_date"),
                    height_cm=_float(p.get("height_cm"), "height_cm"),
                    muac_cm=_float(p.get("muac_cm"), "muac_cm"),
                    hb_g_dl=_float(p.get("hb_g_dl"), "hb_g_dl"),
                    systolic_mmhg=_int(p.get("systolic_mmhg"), "systolic_mmhg"),
                    diastolic_mmhg=_int(p.get("diastolic_mmhg"), "diastolic_mmhg"),
                    phone=p.get("phone", ""),
                    address=p.get("address", ""),
                ),
            )
        except SigapError as exc:
            error = exc
        else:
            request.session["nutrition_pregnancy"] = str(pregnancy.public_id)
            return redirect("nutrition:pregnancy_new")
    last = None
    key = request.session.pop("nutrition_pregnancy", None) if request.method == "GET" else None
    if key:
        found = Pregnancy.objects.filter(public_id=key).first()
        if found is not None:
            last = {
                "p": found,
                "nik": services.mask_nik_encoded(found.mother_nik),
                "reasons": services.risk_reasons(found),
            }
    return render(
        request,
        "nutrition/pregnancy.html",
        {
            "villages": villages,
            "measured": list(services.MEASURED_RISKS.items()),
            "checklist": list(services.CHECKLIST_RISKS.items()),
            "last": last,
            "error": error,
            "form": request.POST if error else {},
            "ticked": request.POST.getlist("risk") if error else [],
        },
        status=error.status if error else 200,
    )


# --- data quality of the measurements (quality.py) ----------------------------------------------


def _dashboard_quality(user: User, month: date, level: str, area: str):
    """The quality view beside the dashboard's prevalence: the same month and units."""
    return quality.report(user, month=month, area=area, level=level, window=1, trend_months=1)


@login_required
def quality_page(request: HttpRequest) -> HttpResponse:
    """Can the measurements be trusted? WHO flags, z-score spread, digit preference and age
    heaping per unit, the area per month, and the posyandu whose data need a visit."""
    user = _reader(request)
    area = _area(user)
    kecamatans = _kecamatans(area)
    args = quality.parse_query(request.GET, user, area, {k.code for k in kecamatans})
    ctx = {"kecamatans": kecamatans, "args": args, "error": args.error}
    if args.error is None:
        ctx["report"] = quality.report(
            user,
            month=args.month,
            area=args.kecamatan or area,
            level=args.level,
            window=args.window,
            posyandu=args.posyandu,
        )
    ctx.update(quality.page_context(args))
    return render(
        request,
        "nutrition/_quality_page.html",
        ctx,
        status=args.error.status if args.error else 200,
    )
