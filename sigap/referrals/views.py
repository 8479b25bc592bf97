"""Referral pages: send form, hospital inbox, one referral, and the health office's
escalations and payer-fairness report. Thin: reads through `selectors`, writes through
`services`; every page works without JavaScript, the script adds the ICD-10 search, the live
recommendation, the running answer clock and the inbox refresh."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core import exports
from sigap.core.errors import NotFound, SigapError
from sigap.core.models import Role
from sigap.core.services import Actor, audit_list_read, audit_read
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind, Service

from . import icd10, selectors, services
from .models import Referral, ReferralReason

# what the send page posts: a sender's ReferralInput without the staff identifiers
FORM_FIELDS = [
    f.name for f in services.input_fields(leave_out=services.HANDOVER_ONLY + services.STAFF_IDS)
]


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _get_referral(request: HttpRequest, ref: str) -> Referral:
    pk = _uuid(ref)
    referral = (
        Referral.objects.select_related(
            "receiver",
            "sender",
            "reason",
            "service",
            "bed_hold",
            "proposed",
            "room_class",
            "bed_class",
        )
        .filter(public_id=pk)
        .first()
        if pk
        else None
    )
    if referral is None or not services.can_view(request.user, referral):
        raise Http404
    return referral


def _is_office(request: HttpRequest) -> bool:
    return services.is_office(request.user)


def _area(request: HttpRequest) -> str:
    user = request.user
    return user.area_code or ("" if user.is_superuser else settings.SIGAP_AREA_CODE)


# --- landing --------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each role starts: hospitals at the inbox, the office at escalations, senders at
    their sent list."""
    user = request.user
    if user.role == Role.HOSPITAL_OPERATOR:
        return redirect("referrals:inbox")
    if user.role == Role.ANALYST:
        return redirect("referrals:office")
    if not (user.is_admin_role or user.role in services.SENDER_ROLES):
        raise PermissionDenied
    rows = selectors.sent_by(user)
    audit_list_read(Actor.from_request(request), Referral, [r["id"] for r in rows], list="sent")
    return render(request, "referrals/home.html", {"rows": rows})


# --- send -----------------------------------------------------------------------------------


def _senders(request: HttpRequest) -> list[Facility]:
    return list(facility_services.facilities_operated_by(request.user).order_by("name")[:500])


def _form_context(request: HttpRequest, values: dict, error: SigapError | None = None) -> dict:
    senders = _senders(request)
    sender = None
    if values.get("sender"):
        sender = next((f for f in senders if str(f.public_id) == values["sender"]), None)
    elif senders:
        sender = senders[0]
        values["sender"] = str(sender.public_id)
    recommendations = []
    origin = sender or Facility.objects.filter(kind_id=Kind.HOSPITAL).first()
    if origin is not None and (values.get("service") or values.get("bed_class")):
        room = services.room_class_for(
            values.get("payer", ""), values.get("bed_class") or None, values.get("jkn_class", "")
        )
        recommendations = selectors.recommend(
            lat=origin.latitude,
            lon=origin.longitude,
            service=values.get("service", ""),
            bed_class=room or "",
            exclude={sender.pk} if sender else set(),
            diagnosis=values.get("diagnosis", ""),
            urgency=values.get("urgency", ""),
        )
    hospitals = list(
        Facility.objects.filter(kind_id=Kind.HOSPITAL, is_active=True)
        .order_by("name")
        .values("public_id", "name")[:1000]
    )
    diagnosis = icd10.lookup(values.get("diagnosis", "")) if values.get("diagnosis") else None
    return {
        "values": values,
        "error": error,
        "senders": senders,
        "is_unit": request.user.role in services.UNIT_ROLES,
        "hospitals": hospitals,
        "recommendations": recommendations,
        "reasons": ReferralReason.objects.all(),
        "services_list": Service.objects.all(),
        "bed_classes": bed_services.public_bed_classes(),
        "kinds": Referral.Kind.choices,
        "urgencies": Referral.Urgency.choices,
        "payers": Referral.Payer.choices,
        "diagnosis": diagnosis,
        "answer_minutes": {u: services.answer_minutes(u) for u in Referral.Urgency.values},
    }


@login_required
def send(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_admin_role or user.role in services.SENDER_ROLES):
        raise PermissionDenied
    if request.method != "POST":
        values = {
            "kind": "2",
            "urgency": "emergency",
            "payer": "jkn_pbi",
            "consciousness": "1",
            "pain": "0",
        }
        return render(request, "referrals/send.html", _form_context(request, values))
    values = {name: (request.POST.get(name) or "").strip() for name in FORM_FIELDS}
    values["receiver"] = values["receiver"] or (request.POST.get("receiver_other") or "").strip()
    if request.POST.get("action") == "recommend" or not values["receiver"]:
        return render(request, "referrals/send.html", _form_context(request, values))
    data = services.ReferralInput(**{k: v for k, v in values.items()})
    try:
        referral = services.send_referral(Actor.from_request(request), data)
    except SigapError as exc:
        return render(
            request, "referrals/send.html", _form_context(request, values, exc), status=exc.status
        )
    messages.success(
        request,
        _("Rujukan %(no)s terkirim ke %(rs)s.")
        % {"no": referral.number, "rs": referral.receiver.name},
    )
    return redirect("referrals:detail", ref=referral.public_id)


# --- hospital inbox -------------------------------------------------------------------------


def _operated_hospitals(request: HttpRequest):
    return facility_services.facilities_operated_by(request.user).filter(kind_id=Kind.HOSPITAL)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    facilities = list(_operated_hospitals(request).order_by("name")[:1000])
    if not facilities:
        if request.user.role != Role.HOSPITAL_OPERATOR and not request.user.is_admin_role:
            raise PermissionDenied
        return render(request, "referrals/inbox.html", {"facility": None, "facilities": []})
    pick = _uuid(request.GET.get("rs"))
    facility = next((f for f in facilities if f.public_id == pick), facilities[0])
    status = request.GET.get("status", "open")
    if status not in ("open", "active", "closed", "rejected", "cancelled", "expired"):
        status = "open"
    now = timezone.now()
    rows = selectors.inbox(facility, status=status, now=now)
    audit_list_read(
        Actor.from_request(request), Referral, [r["id"] for r in rows], scope=facility,
        list="inbox", status=status,
    )  # fmt: skip
    return render(
        request,
        "referrals/inbox.html",
        {
            "facility": facility,
            "facilities": facilities,
            "status": status,
            "rows": rows,
            "counts": selectors.inbox_counts(facility),
            "feed_url": reverse("api:referrals_inbox")
            + f"?rs={facility.public_id}&status={status}",
        },
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The operator's SIMRS webhook per facility: register or replace (the secret is shown
    once, in the answer to that POST) or remove."""
    operated = (
        facility_services.facilities_operated_by(request.user)
        .filter(kind_id__in=(Kind.HOSPITAL, Kind.PUSKESMAS))
        .select_related("referral_webhook__endpoint")
        .order_by("name")
    )
    facilities = list(operated[:200])
    if not facilities:
        raise PermissionDenied
    shown = None  # (facility, secret) right after a registration
    if request.method == "POST":
        pick = _uuid(request.POST.get("facility"))
        facility = next((f for f in facilities if f.public_id == pick), None)
        if facility is None:
            raise Http404
        actor = Actor.from_request(request)
        try:
            if request.POST.get("action") == "remove":
                services.remove_webhook(actor, facility)
                messages.success(request, _("Webhook dihapus."))
                return redirect("referrals:settings")
            _hook, secret = services.register_webhook(actor, facility, request.POST.get("url", ""))
            shown = (facility, secret)
        except SigapError as exc:
            messages.error(request, str(exc.message))
            return redirect("referrals:settings")
        facilities = list(operated[:200])  # again, one query: the registration changed a row
    rows = [(f, getattr(f, "referral_webhook", None)) for f in facilities]
    return render(
        request,
        "referrals/settings.html",
        {"rows": rows, "shown": shown, "events": services.WEBHOOK_EVENT_NAMES},
    )


# --- one referral ---------------------------------------------------------------------------


@login_required
def detail(request: HttpRequest, ref: str) -> HttpResponse:
    referral = _get_referral(request, ref)
    user = request.user
    actor = Actor.from_request(request)
    receiver_op = facility_services.can_operate(user, referral.receiver)
    sender_side = referral.created_by_id == user.pk or (
        referral.sender is not None and facility_services.can_operate(user, referral.sender)
    )
    office = _is_office(request)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            msg = _act(actor, referral, action, request.POST)
        except SigapError as exc:
            error = exc
        else:
            messages.success(request, msg)
            return redirect("referrals:detail", ref=referral.public_id)
        referral = _get_referral(request, ref)
    proposal_list = []
    if (sender_side or office) and referral.status in ("rejected", "escalated"):
        origin = referral.sender or referral.receiver
        proposal_list = selectors.recommend(
            lat=origin.latitude,
            lon=origin.longitude,
            service=referral.service_id or "",
            bed_class=referral.room_class_id or "",
            exclude=services.tried_facility_ids(referral)
            | ({referral.sender_id} if referral.sender_id else set()),
            diagnosis=referral.diagnosis_code,
            urgency=referral.urgency,
        )
    if error is None:  # a refused form writes nothing, the audit trail included
        audit_read(actor, referral, label=referral.number)
    return render(
        request,
        "referrals/detail.html",
        {
            "r": referral,
            "events": selectors.detail_events(referral),
            "receiver_op": receiver_op,
            "sender_side": sender_side,
            "office": office,
            "error": error,
            "proposals": proposal_list,
            "seconds_left": int((referral.answer_due_at - timezone.now()).total_seconds()),
            "hold_policy": _hold_minutes(referral.receiver),
        },
        status=error.status if error else 200,
    )


def _hold_minutes(facility: Facility) -> int:
    policy = bed_services.hold_policy(facility)
    return policy.max_minutes if policy.allows_holds else 0


def _act(actor: Actor, referral: Referral, action: str, post) -> str:
    if action == "accept":
        services.answer_referral(
            actor,
            referral,
            accept=True,
            note=post.get("note", ""),
            hold_bed=post.get("hold_bed") == "1",
        )
        return _("Rujukan diterima.")
    if action == "reject":
        services.answer_referral(actor, referral, accept=False, note=post.get("note", ""))
        return _("Rujukan ditolak.")
    if action == "arrive":
        services.record_arrival(actor, referral)
        return _("Kedatangan pasien dicatat.")
    if action == "close":
        services.close_referral(actor, referral, back_referral=post.get("back_referral", ""))
        return _("Rujuk balik dikirim; rujukan selesai.")
    if action == "cancel":
        services.cancel_referral(actor, referral, reason=post.get("reason", ""))
        return _("Rujukan dibatalkan.")
    if action == "redirect":
        pk = _uuid(post.get("receiver"))
        target = Facility.objects.filter(public_id=pk, is_active=True).first() if pk else None
        if target is None:
            raise NotFound(_("Rumah sakit tidak dikenal."), field="receiver")
        services.redirect_referral(actor, referral, target)
        return _("Rujukan dialihkan ke %(rs)s.") % {"rs": target.name}
    raise NotFound(_("Tindakan tidak dikenal."), field="action")


# --- health office --------------------------------------------------------------------------


def _require_office(request: HttpRequest) -> None:
    if not _is_office(request):
        raise PermissionDenied


@login_required
def office(request: HttpRequest) -> HttpResponse:
    """Escalated and rejected referrals waiting for a new hospital, with the proposal."""
    _require_office(request)
    rows = selectors.escalations(_area(request))
    audit_list_read(Actor.from_request(request), Referral, [r["id"] for r in rows], list="office")
    return render(request, "referrals/office.html", {"rows": rows})


@login_required
def fairness(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    try:
        days = int(request.GET.get("hari", "90"))
    except ValueError:
        days = 90
    days = days if days in (30, 90, 180, 365) else 90
    area = _area(request)
    report = selectors.fairness_report(area, days=days)
    if request.GET.get("format") == "csv":
        return _fairness_csv(request, report, days, area)
    return render(
        request,
        "referrals/fairness.html",
        {
            "report": report,
            "days": days,
            "periods": (30, 90, 180, 365),
            "payers": Referral.Payer.choices,
        },
    )


def _fairness_csv(request: HttpRequest, report: dict, days: int, area: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rujukan-penjamin-{days}h.csv"'
    writer = exports.csv_writer(response)
    writer.writerow(
        [
            "rumah_sakit",
            "penjamin",
            "tawaran",
            "diterima",
            "rasio_diterima",
            "median_menit_jawab",
            "median_menit_tunggu",
            "p_diterima_adj",
            "p_jawab_adj",
            "p_tunggu_adj",
            "ditandai",
        ]
    )
    rows = 0
    for h in report["hospitals"]:
        for g in h["groups"]:
            writer.writerow(
                [
                    h["name"],
                    g["payer"],
                    g["offers"],
                    g["accepted"],
                    g["rate"],
                    g["answer_median"],
                    g["wait_median"],
                    h["p_adj"].get("acceptance"),
                    h["p_adj"].get("answer"),
                    h["p_adj"].get("wait"),
                    int(h["flagged"]),
                ]
            )
            rows += 1
    services.audit_download(
        Actor.from_request(request), "fairness.csv", rows, {"days": days, "area": area}
    )
    return response
