"""SISRUTE-compatible endpoints, so that a SIMRS bridge written for SISRUTE (the national
integrated referral system) works against SIGAP by changing its base URL (`<site>/sisrute/`)
and its credentials.

Paths (from the reference doc): `POST rujukan`, `GET rujukan?nomor=&tanggal=`,
`PUT rujukan/{no}`, `POST rujukan/notifrujukan/{no}`, `PUT rujukan/jawab/{no}`,
`PUT rujukan/batal/{no}`, `GET referensi/faskes`, `referensi/alasanrujukan`,
`referensi/diagnosa`. What public bridges add, and is accepted here too: `PUT rujukan/notif/{no}`
(another path for the reminder), `referensi/<list>/{kode}` (one entry by code) and
`?query=` on every reference list, and `create=true` on `GET rujukan`.

Auth: like Aplicare, but the HMAC key is md5(password): `X-cons-id`, `X-Timestamp` (Unix
seconds, UTC), `X-Signature` = base64(HMAC-SHA256(key=md5hex(password), msg="{consid}&{timestamp}"))
(header names are case-insensitive; bridges send both `X-signature` and `X-Signature`).

Answers: `{"status": <HTTP-like code>, "success": <bool>, "detail": <message>, "data": ...}`,
plus `"total"` on lists, with HTTP 200 whenever the request reached an endpoint: bridges read
`status`/`success`/`detail` from the body (one copies `status` into its own HTTP answer), and
one common bridge library does not catch an HTTP error at all; 405 for a wrong method.
`GET rujukan` lists the referrals the caller's facility RECEIVED; with `create=true` the ones it
SENT (as bridges use it); without `nomor` and `tanggal`, today's. In a referral, coded fields are
objects `{KODE, NAMA}` (JENIS_KELAMIN, JENIS_RUJUKAN, FASKES_ASAL/TUJUAN, ALASAN, DIAGNOSA,
KESADARAN, NYERI, STATUS) as bridges read them; on input a code or such an object is accepted.
ALASAN and DIAGNOSA follow the consumer's `coded_shape` (admin): `{KODE, NAMA}` by default, the
bare code for SIMRS that read them as strings. `jawab`, `batal` and `notif` take an object or
nothing (`[]`, `null`, no bytes: what PHP bridges send), in any content type. `PETUGAS.NIK` is the
bridge's staff identifier (often its login id), stored and echoed as sent: no NIK check; the
answer echoes the answering officer as `JAWABAN.PETUGAS {NIK, NAMA}`.
`STATUS.NAMA` is "Belum direspon" until the hospital answers and "Sudah direspon" after (the two
values bridges count); SIGAP's own state is in `STATUS_SIGAP`. Nothing is written unless the
whole request is valid. The status codes (`STATUS.KODE`) and the list of statuses are SIGAP's:
no public client showed SISRUTE's.

Reason codes (`referensi/alasanrujukan`) are SIGAP's own reference data (ReferralReason): public
bridges fetch SISRUTE's list at run time and none we read shows its codes, so a bridge must take
the codes from this endpoint, as it does from SISRUTE's.

Field names outside the reference doc's lists are SIGAP extensions, all optional:
`RUJUKAN.URGENSI` (emergency/elective; default from JENIS_RUJUKAN: 2 -> emergency),
`RUJUKAN.PENJAMIN` (jkn_pbi/jkn_non_pbi/general/private; default jkn_non_pbi with a JKN card,
else general), `RUJUKAN.LAYANAN` (service code), `RUJUKAN.KELAS` (kodekelas), `RUJUKAN.HAK_KELAS`
and, in a jawab, `TAHAN_TT` (1 = hold a bed of the referral's class).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import compat as kit
from sigap.core.compat import CompatError, Protocol
from sigap.core.errors import Forbidden, NotFound
from sigap.core.services import Actor, Channel
from sigap.core.text import clip
from sigap.facilities.models import Facility, Kind

from . import icd10, services
from .models import Referral, ReferralReason, SisruteCredential

_NO_RE = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
_DUMMY_KEY = "0" * 32  # verify against this when the cons-id is unknown (same answer time)

OK, INVALID, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, METHOD, CONFLICT = (
    200,
    400,
    401,
    403,
    404,
    405,
    409,
)

# SIGAP field -> SISRUTE field, for error messages a bridge's operator can act on
FIELD_NAMES = {
    "patient_name": "PASIEN.NAMA",
    "patient_nik": "PASIEN.NIK",
    "patient_jkn": "PASIEN.NO_KARTU_JKN",
    "patient_sex": "PASIEN.JENIS_KELAMIN",
    "patient_birth_date": "PASIEN.TANGGAL_LAHIR",
    "patient_birth_place": "PASIEN.TEMPAT_LAHIR",
    "patient_address": "PASIEN.ALAMAT",
    "patient_contact": "PASIEN.KONTAK",
    "patient_mrn": "PASIEN.NORM",
    "kind": "RUJUKAN.JENIS_RUJUKAN",
    "receiver": "RUJUKAN.FASKES_TUJUAN",
    "reason": "RUJUKAN.ALASAN",
    "reason_text": "RUJUKAN.ALASAN_LAINNYA",
    "diagnosis": "RUJUKAN.DIAGNOSA",
    "doctor_nik": "RUJUKAN.DOKTER.NIK",
    "officer_nik": "RUJUKAN.PETUGAS.NIK",
    "urgency": "RUJUKAN.URGENSI",
    "payer": "RUJUKAN.PENJAMIN",
    "service": "RUJUKAN.LAYANAN",
    "bed_class": "RUJUKAN.KELAS",
    "jkn_class": "RUJUKAN.HAK_KELAS",
    "anamnesis": "KONDISI_UMUM.ANAMNESIS_DAN_PEMERIKSAAN_FISIK",
    "consciousness": "KONDISI_UMUM.KESADARAN",
    "blood_pressure": "KONDISI_UMUM.TEKANAN_DARAH",
    "pulse": "KONDISI_UMUM.FREKUENSI_NADI",
    "temperature": "KONDISI_UMUM.SUHU",
    "respiration": "KONDISI_UMUM.PERNAPASAN",
    "general_condition": "KONDISI_UMUM.KEADAAN_UMUM",
    "pain": "KONDISI_UMUM.NYERI",
    "allergies": "KONDISI_UMUM.ALERGI",
    "lab_results": "PENUNJANG.LABORATORIUM",
    "radiology_results": "PENUNJANG.RADIOLOGI",
    "therapy": "PENUNJANG.TERAPI_ATAU_TINDAKAN",
    "note": "KETERANGAN",
    "reason_cancel": "KETERANGAN",
}

STATUS_CODES = {
    "sent": 1,
    "accepted": 2,
    "rejected": 3,
    "escalated": 4,
    "arrived": 5,
    "closed": 6,
    "cancelled": 7,
    "expired": 8,
}


# KONDISI_UMUM.NYERI 0-3, as the SIMRS forms that fill it name the scale
PAIN_NAMES = {0: "Tidak nyeri", 1: "Ringan", 2: "Sedang", 3: "Berat"}


def _answer(status: int, detail: str, data: Any = None, http_status: int = 200) -> JsonResponse:
    body = {"status": status, "success": status == OK, "detail": detail, "data": data}
    if isinstance(data, list):
        body["total"] = len(data)  # bridges test `total > 0` before reading a list
    return JsonResponse(body, status=http_status, json_dumps_params={"ensure_ascii": False})


SISRUTE = Protocol(
    answer=lambda code, message, status: _answer(int(code), message, http_status=status),
    invalid=INVALID,
    not_found=NOT_FOUND,
    forbidden=FORBIDDEN,
    conflict=CONFLICT,
    method=METHOD,
    fields=FIELD_NAMES,
)


def _active_credential(consid: str) -> SisruteCredential | None:
    return (
        SisruteCredential.objects.select_related("facility")
        .filter(cons_id=consid, is_active=True, facility__is_active=True)
        .first()
    )


def _credential(request: HttpRequest) -> SisruteCredential:
    """Like Aplicare with key = md5(password). SISRUTE signs only "consid&timestamp", and
    bridges send several requests with one header set, so the kit binds a set to the address
    that used it first and to a short burst (issue 17, replays)."""
    return kit.signed_credential(
        request,
        scope="sisrute",
        error_code=UNAUTHORIZED,
        find=_active_credential,
        key_of=lambda cred: cred.password_md5.lower(),
        dummy_key=_DUMMY_KEY,
    )


def _body(request: HttpRequest) -> dict[str, Any]:
    return kit.read_body(request, INVALID, form=False)


def _action_body(request: HttpRequest) -> dict[str, Any]:
    """The body of `jawab`, `batal` and `notif`: an object, or nothing at all as bridges send
    it there (no bytes, `[]` from a PHP client's empty array, `null` from an unset one)."""
    return kit.read_body(request, INVALID, form=False, empty_ok=True)


def _obj(data: dict, key: str) -> dict:
    value = data.get(key)
    if value is None or value == []:  # PHP's json_encode writes an empty array as []
        return {}
    if not isinstance(value, dict):
        raise CompatError(INVALID, _("%(f)s harus berupa objek.") % {"f": key})
    return value


def _s(value: Any) -> str:
    """A scalar as text (bridges send numbers as strings and the reverse)."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise CompatError(INVALID, _("Nilai harus berupa teks atau angka."))
    return str(value).strip()


def _code(value: Any) -> str:
    """`ALASAN`, `DIAGNOSA`, `FASKES_TUJUAN` may be a code or an object {KODE, NAMA}."""
    if isinstance(value, dict):
        return _s(value.get("KODE"))
    return _s(value)


def _view(methods: str | tuple[str, ...]) -> Callable:
    """The kit's wrapper plus the signed credential: the view gets (request, cred, actor)."""

    def wrap(func: Callable) -> Callable:
        def authenticated(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            cred = _credential(request)
            actor = kit.bridge_actor(request, Channel.SISRUTE, cred.cons_id)
            return func(request, cred, actor, *args, **kwargs)

        authenticated.__name__, authenticated.__doc__ = func.__name__, func.__doc__
        return kit.compat_view(SISRUTE, methods)(authenticated)

    return wrap


# --- shapes ---------------------------------------------------------------------------------


def _faskes(f: Facility | None, label: str = "") -> dict:
    if f is None:
        return {"KODE": "", "NAMA": label}
    return {"KODE": f.kemenkes_code or f.bpjs_kodeppk or str(f.public_id), "NAMA": f.name}


def _coded(code: str, name: object) -> dict:
    return {"KODE": code, "NAMA": str(name)}


def _status_name(status: str) -> str:
    """The two names bridges count (unanswered / answered); a withdrawn or lapsed referral
    says so."""
    if status in ("sent", "escalated"):
        return "Belum direspon"
    if status in ("cancelled", "expired"):
        return str(Referral.Status(status).label)
    return "Sudah direspon"


def _referral_json(r: Referral, shape: str = SisruteCredential.CodedShape.OBJECT) -> dict:
    """One referral as SISRUTE answers it; `shape` is the consumer's ALASAN/DIAGNOSA shape."""
    local = timezone.localtime(r.created_at)
    as_text = shape == SisruteCredential.CodedShape.STRING
    return {
        "PASIEN": {
            "NORM": r.patient_mrn,
            "NIK": r.patient_nik,
            "NO_KARTU_JKN": r.patient_jkn,
            "NAMA": r.patient_name,
            "JENIS_KELAMIN": _coded(
                {"L": "1", "P": "2"}.get(r.patient_sex, ""),
                Referral.Sex(r.patient_sex).label if r.patient_sex else "",
            ),
            "TANGGAL_LAHIR": r.patient_birth_date.isoformat() if r.patient_birth_date else "",
            "TEMPAT_LAHIR": r.patient_birth_place,
            "ALAMAT": r.patient_address,
            "KONTAK": r.patient_contact,
        },
        "RUJUKAN": {
            "NOMOR": r.number,
            "JENIS_RUJUKAN": _coded(str(r.kind), Referral.Kind(r.kind).label),
            "TANGGAL": local.strftime("%Y-%m-%d %H:%M:%S"),
            "FASKES_ASAL": _faskes(r.sender, r.sender_label),
            "FASKES_TUJUAN": _faskes(r.receiver),
            "ALASAN": r.reason_id if as_text else {"KODE": r.reason_id, "NAMA": r.reason.name},
            "ALASAN_LAINNYA": r.reason_text,
            "DIAGNOSA": r.diagnosis_code
            if as_text
            else {"KODE": r.diagnosis_code, "NAMA": r.diagnosis_name},
            "DOKTER": {"NIK": r.doctor_nik, "NAMA": r.doctor_name},
            "PETUGAS": {"NIK": r.officer_nik, "NAMA": r.officer_name},
            "STATUS": {"KODE": str(STATUS_CODES[r.status]), "NAMA": _status_name(r.status)},
            "STATUS_SIGAP": _coded(r.status, Referral.Status(r.status).label),
            "URGENSI": r.urgency,
            "PENJAMIN": r.payer,
            "LAYANAN": r.service_id or "",
            "KELAS": r.room_class_id or "",
            "BATAS_JAWAB": timezone.localtime(r.answer_due_at).strftime("%Y-%m-%d %H:%M:%S"),
            "JAWABAN": {
                "DITERIMA": None
                if r.answered_at is None
                else int(r.status in ("accepted", "arrived", "closed")),
                "KETERANGAN": r.answer_note,
                "TANGGAL": timezone.localtime(r.answered_at).strftime("%Y-%m-%d %H:%M:%S")
                if r.answered_at
                else "",
                # the officer as the answering bridge sent them, never SIGAP's actor label
                "PETUGAS": {"NIK": r.answer_officer_id, "NAMA": r.answer_officer_name},
            },
        },
        "KONDISI_UMUM": {
            "ANAMNESIS_DAN_PEMERIKSAAN_FISIK": r.anamnesis,
            "KESADARAN": _coded(
                str(r.consciousness), Referral.Consciousness(r.consciousness).label
            ),
            "TEKANAN_DARAH": r.blood_pressure,
            "FREKUENSI_NADI": "" if r.pulse is None else str(r.pulse),
            "SUHU": "" if r.temperature is None else str(r.temperature),
            "PERNAPASAN": "" if r.respiration is None else str(r.respiration),
            "KEADAAN_UMUM": r.general_condition,
            "NYERI": _coded(str(r.pain), PAIN_NAMES.get(r.pain, "")),
            "ALERGI": r.allergies,
        },
        "PENUNJANG": {
            "LABORATORIUM": r.lab_results,
            "RADIOLOGI": r.radiology_results,
            "TERAPI_ATAU_TINDAKAN": r.therapy,
        },
    }


def _input(body: dict, cred: SisruteCredential) -> services.ReferralInput:
    pasien, rujukan = _obj(body, "PASIEN"), _obj(body, "RUJUKAN")
    kondisi, penunjang = _obj(body, "KONDISI_UMUM"), _obj(body, "PENUNJANG")
    dokter, petugas = _obj(rujukan, "DOKTER"), _obj(rujukan, "PETUGAS")
    if not rujukan:
        raise CompatError(INVALID, _("RUJUKAN wajib diisi."))
    kind = _code(rujukan.get("JENIS_RUJUKAN"))
    urgency = _s(rujukan.get("URGENSI")) or ("emergency" if kind == "2" else "elective")
    jkn = _s(pasien.get("NO_KARTU_JKN"))
    payer = _s(rujukan.get("PENJAMIN")) or ("jkn_non_pbi" if jkn else "general")
    return services.ReferralInput(
        sender=str(cred.facility.public_id),
        receiver=_code(rujukan.get("FASKES_TUJUAN")),
        kind=kind,
        urgency=urgency,
        payer=payer,
        patient_mrn=_s(pasien.get("NORM")),
        patient_nik=_s(pasien.get("NIK")),
        patient_jkn=jkn,
        patient_name=_s(pasien.get("NAMA")),
        patient_sex=_code(pasien.get("JENIS_KELAMIN")),
        patient_birth_date=_s(pasien.get("TANGGAL_LAHIR"))[:10],
        patient_birth_place=_s(pasien.get("TEMPAT_LAHIR")),
        patient_address=_s(pasien.get("ALAMAT")),
        patient_contact=_s(pasien.get("KONTAK")),
        diagnosis=_code(rujukan.get("DIAGNOSA")),
        reason=_code(rujukan.get("ALASAN")),
        reason_text=_s(rujukan.get("ALASAN_LAINNYA")),
        doctor_nik=_s(dokter.get("NIK")),
        doctor_name=_s(dokter.get("NAMA")),
        officer_nik=_s(petugas.get("NIK")),
        officer_name=_s(petugas.get("NAMA")),
        anamnesis=_s(kondisi.get("ANAMNESIS_DAN_PEMERIKSAAN_FISIK")),
        consciousness=_code(kondisi.get("KESADARAN")) or "1",
        blood_pressure=_s(kondisi.get("TEKANAN_DARAH")),
        pulse=_s(kondisi.get("FREKUENSI_NADI")),
        temperature=_s(kondisi.get("SUHU")),
        respiration=_s(kondisi.get("PERNAPASAN")),
        general_condition=_s(kondisi.get("KEADAAN_UMUM")),
        pain=_code(kondisi.get("NYERI")) or "0",
        allergies=_s(kondisi.get("ALERGI")),
        lab_results=_s(penunjang.get("LABORATORIUM")),
        radiology_results=_s(penunjang.get("RADIOLOGI")),
        therapy=_s(penunjang.get("TERAPI_ATAU_TINDAKAN")),
        service=_s(rujukan.get("LAYANAN")),
        bed_class=_s(rujukan.get("KELAS")),
        jkn_class=_s(rujukan.get("HAK_KELAS")),
    )


def _with_parties() -> QuerySet[Referral]:
    return Referral.objects.select_related("receiver", "sender", "reason")


def _stored(r: Referral, cred: SisruteCredential, message: str) -> JsonResponse:
    """The answer to a write: the referral as now stored."""
    return _answer(OK, message, _referral_json(_with_parties().get(pk=r.pk), cred.coded_shape))


def _signed_by(actor: Actor, petugas: dict) -> Actor:
    """The bridge's actor, named after the officer in `PETUGAS` (jawab and batal carry one)."""
    name = clip(_s(petugas.get("NAMA")), Referral, "answer_officer_name")
    if not name:
        return actor
    label = f"{actor.label} ({name})"
    return Actor(user=None, channel=actor.channel, label=label, remote_addr=actor.remote_addr)


def _mine(cred: SisruteCredential, nomor: str) -> Referral:
    """A referral the credential's facility sent or received (404 for anything else)."""
    if not _NO_RE.match(nomor or ""):
        raise NotFound(_("Data rujukan tidak ditemukan."))
    r = (
        _with_parties()
        .filter(number=nomor)
        .filter(Q(sender=cred.facility) | Q(receiver=cred.facility))
        .first()
    )
    if r is None:
        raise NotFound(_("Data rujukan tidak ditemukan."))
    return r


# --- endpoints ------------------------------------------------------------------------------


@_view(("GET", "POST"))
def rujukan(request: HttpRequest, cred: SisruteCredential, actor: Actor) -> JsonResponse:
    """POST creates a referral from the credential's facility. GET lists the referrals the
    facility received (`create=true`: the ones it sent), by `nomor` and/or `tanggal`
    (YYYY-MM-DD); with neither, today's."""
    if request.method == "POST":
        r = services.send_referral(actor, _input(_body(request), cred))
        return _stored(r, cred, _("Rujukan berhasil dibuat."))
    sent = (request.GET.get("create") or "").strip().lower() in ("true", "1")
    mine = Q(sender=cred.facility) if sent else Q(receiver=cred.facility)
    qs = _with_parties().filter(mine)
    nomor = (request.GET.get("nomor") or "").strip()
    tanggal = (request.GET.get("tanggal") or "").strip()
    if nomor:
        if not _NO_RE.match(nomor):
            raise NotFound(_("Data rujukan tidak ditemukan."))
        qs = qs.filter(number=nomor)
    if tanggal or not nomor:
        try:
            day = date.fromisoformat(tanggal) if tanggal else timezone.localdate()
        except ValueError:
            raise CompatError(INVALID, _("tanggal harus YYYY-MM-DD.")) from None
        start = timezone.make_aware(datetime.combine(day, dt_time.min))
        qs = qs.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    rows = [_referral_json(r, cred.coded_shape) for r in qs.order_by("created_at", "pk")[:500]]
    if nomor and not rows:
        raise NotFound(_("Data rujukan tidak ditemukan."))
    return _answer(OK, _("Data rujukan ditemukan."), rows)


@_view("PUT")
def rujukan_one(
    request: HttpRequest, cred: SisruteCredential, actor: Actor, nomor: str
) -> JsonResponse:
    r = _mine(cred, nomor)
    if r.sender_id != cred.facility.pk:
        raise Forbidden(_("Hanya faskes asal yang dapat mengubah rujukan."))
    data = _input(_body(request), cred)
    if data.receiver and data.receiver not in (
        r.receiver.kemenkes_code,
        r.receiver.bpjs_kodeppk,
        str(r.receiver.public_id),
    ):
        raise CompatError(INVALID, _("FASKES_TUJUAN tidak dapat diubah; batalkan dan kirim ulang."))
    r = services.update_referral(actor, r, data)
    return _stored(r, cred, _("Rujukan berhasil diubah."))


@_view(("POST", "PUT"))
def notif(request: HttpRequest, cred: SisruteCredential, actor: Actor, nomor: str) -> JsonResponse:
    r = _mine(cred, nomor)
    if r.sender_id != cred.facility.pk:
        raise Forbidden(_("Hanya faskes asal yang dapat mengirim notifikasi."))
    _action_body(request)  # nothing in it is used, but it must be readable
    services.renotify(actor, r)
    return _answer(OK, _("Notifikasi rujukan terkirim."), {"NOMOR": r.number})


@_view("PUT")
def jawab(request: HttpRequest, cred: SisruteCredential, actor: Actor, nomor: str) -> JsonResponse:
    """`{"DITERIMA": 0|1, "KETERANGAN": ..., "PETUGAS": {NIK, NAMA}}` from the receiver.
    `PETUGAS.NIK` is whatever identifies the officer in the bridge (often the login id): kept
    and echoed as sent. A body without DITERIMA (`[]`, nothing) is read, then refused."""
    r = _mine(cred, nomor)
    if r.receiver_id != cred.facility.pk:
        raise Forbidden(_("Hanya faskes tujuan yang dapat menjawab rujukan."))
    body = _action_body(request)
    accepted = _s(body.get("DITERIMA"))
    if not accepted:
        raise CompatError(INVALID, _("DITERIMA wajib diisi: 1 diterima, 0 ditolak."))
    if accepted not in ("0", "1"):
        raise CompatError(INVALID, _("DITERIMA harus 0 atau 1."))
    petugas = _obj(body, "PETUGAS")
    r = services.answer_referral(
        _signed_by(actor, petugas),
        r,
        accept=accepted == "1",
        note=_s(body.get("KETERANGAN")),
        hold_bed=_s(body.get("TAHAN_TT")) == "1",
        officer_id=_s(petugas.get("NIK")),
        officer_name=_s(petugas.get("NAMA")),
    )
    return _stored(r, cred, _("Jawaban rujukan tersimpan."))


@_view("PUT")
def batal(request: HttpRequest, cred: SisruteCredential, actor: Actor, nomor: str) -> JsonResponse:
    r = _mine(cred, nomor)
    if r.sender_id != cred.facility.pk:
        raise Forbidden(_("Hanya faskes asal yang dapat membatalkan rujukan."))
    body = _action_body(request)
    reason = _s(body.get("KETERANGAN")) or _("dibatalkan oleh faskes asal")
    actor = _signed_by(actor, _obj(body, "PETUGAS"))
    r = services.cancel_referral(actor, r, reason=reason)
    return _stored(r, cred, _("Rujukan dibatalkan."))


def _found(rows: list[dict], *, by_code: bool) -> JsonResponse:
    """A reference list; asked for one code, 404 when there is none."""
    if by_code and not rows:
        raise NotFound(_("Data tidak ditemukan."))
    return _answer(OK, _("Data ditemukan."), rows)


def _query(request: HttpRequest) -> str:
    return (request.GET.get("query") or request.GET.get("nama") or "").strip()[:100]


@_view("GET")
def ref_faskes(
    request: HttpRequest, cred: SisruteCredential, actor: Actor, kode: str = ""
) -> JsonResponse:
    """`referensi/faskes?query=` (name or code) or `referensi/faskes/{kode}`."""
    qs = Facility.objects.filter(is_active=True, kind_id__in=(Kind.HOSPITAL, Kind.PUSKESMAS))
    q = _query(request)
    if kode:
        qs = qs.filter(Q(kemenkes_code=kode) | Q(bpjs_kodeppk=kode))
    elif q:
        qs = qs.filter(Q(name__icontains=q) | Q(kemenkes_code=q) | Q(bpjs_kodeppk=q))
    rows = [
        {**_faskes(f), "JENIS": f.kind_id.upper(), "ALAMAT": f.address}
        for f in qs.select_related("kind").order_by("name")[:500]
    ]
    return _found(rows, by_code=bool(kode))


@_view("GET")
def ref_alasan(
    request: HttpRequest, cred: SisruteCredential, actor: Actor, kode: str = ""
) -> JsonResponse:
    """`referensi/alasanrujukan[?query=]` or `referensi/alasanrujukan/{kode}`."""
    qs = ReferralReason.objects.all()
    q = _query(request)
    if kode:
        qs = qs.filter(code=kode)
    elif q:
        qs = qs.filter(Q(code__iexact=q) | Q(name__icontains=q))
    rows = [{"KODE": r.code, "NAMA": r.name} for r in qs]
    return _found(rows, by_code=bool(kode))


@_view("GET")
def ref_diagnosa(
    request: HttpRequest, cred: SisruteCredential, actor: Actor, kode: str = ""
) -> JsonResponse:
    """`referensi/diagnosa?query=` (code or words) or `referensi/diagnosa/{kode}`."""
    if kode:
        found = icd10.lookup(kode)
        if found is None:
            raise NotFound(_("Data tidak ditemukan."))
        return _answer(OK, _("Data ditemukan."), [{"KODE": found.code, "NAMA": found.name}])
    q = _query(request) or (request.GET.get("kode") or "").strip()[:100]
    if not q:
        raise CompatError(INVALID, _("Isi parameter query (kode atau nama diagnosa)."))
    rows = [{"KODE": d.code, "NAMA": d.name} for d in icd10.search(q, limit=50)]
    return _answer(OK, _("Data ditemukan."), rows)
