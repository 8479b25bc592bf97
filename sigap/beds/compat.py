"""Bed endpoints compatible with the services hospitals' SIMRS bridges already call, so that a
bridge only changes its base URL and credentials:

- BPJS **Aplicare** under `/aplicaresws/rest/` (signed with `X-cons-id`, `X-timestamp`,
  `X-signature`; answers `{"metadata": {"code", "message"}, "response"}`, `code == 1` is success);
- Kemenkes **SIRS Online** at `/fo/index.php/Fasyankes` (`X-rs-id`, `X-Timestamp`, `X-pass`;
  answers `{"fasyankes": [...]}` with `status == "200"` for success) and its bed-type reference
  `GET /fo/index.php/Referensi/tempat_tidur` (`{"tempat_tidur": [{"kode_tt", "nama_tt"}]}`, the
  shape public SIRS clients parse). `jumlah_ruang`, `prepare_plan` and `covid` are stored per
  room and answered back as sent (SIGAP's board does not use them).

HTTP status: like the services they imitate, these endpoints answer HTTP 200 whenever the request
reached them and put the outcome in the body (Aplicare `metadata.code`, SIRS `status`). Bridges
read that body on every answer, and many treat any other HTTP status as a network failure, which
would break the "update, and on 'Data tidak ada di database' create" flow. Only a wrong HTTP
method answers 405 (still with the envelope). Nothing is written unless the whole request is valid.

Aplicare's signature covers only `consid&timestamp`, not the body (the protocol's design), so a
header set is accepted only from the address that first used it and only for a short burst
after that (`sigap.core.compat`, issue 17); deploy behind HTTPS. Envelope, body reader,
credential checks and the view wrapper come from that kit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core import compat as kit
from sigap.core.compat import CompatError, Protocol, compat_view
from sigap.core.services import Actor, Channel
from sigap.core.text import max_length

from . import services
from .models import AplicareCredential, BedClass, Room, SirsBedType, SirsCredential

MAX_READ_LIMIT = 1000
_COUNT_RE = re.compile(r"^\+?[0-9]{1,9}$")
# Verifying against a throwaway secret when the cons-id is unknown keeps the answer time the
# same for known and unknown ids.
_DUMMY_SECRET = "sigap-unknown-consumer"  # noqa: S105 - not a credential

# Aplicare metadata codes. 1 is success; 0 with "Data tidak ada di database" tells the bridge to
# create the room; 201 is the error code other BPJS services use for refused input.
APLICARE_OK = 1
APLICARE_NOT_FOUND = 0
APLICARE_INVALID = 201
APLICARE_UNAUTHORIZED = 401
APLICARE_FORBIDDEN = 403
APLICARE_METHOD = 405

# SIGAP field names (as services report them) -> the names each protocol uses.
_APLICARE_FIELDS = {
    "capacity": "kapasitas", "free": "tersedia", "free_male": "tersediapria",
    "free_female": "tersediawanita", "free_mixed": "tersediapriawanita",
}  # fmt: skip
_SIRS_FIELDS = {
    "capacity": "jumlah", "free": "terpakai", "preparing": "prepare", "waiting": "antrian",
    "namaruang": "ruang", "koderuang": "ruang", "kodekelas": "id_tt",
    "room_count": "jumlah_ruang", "prepare_plan": "prepare_plan", "covid": "covid",
}  # fmt: skip


# --- input values (lenient about transport, strict about values) ------------------------


def _clean_text(value: Any, name: str, error_code: int | str, *, required: bool,
                max_len: int) -> str | None:  # fmt: skip
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CompatError(error_code, _("%(f)s wajib diisi.") % {"f": name})
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CompatError(error_code, _("%(f)s harus berupa teks.") % {"f": name})
    text = str(value).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise CompatError(error_code, _("%(f)s berisi karakter yang tidak sah.") % {"f": name})
    if len(text) > max_len:
        raise CompatError(
            error_code, _("%(f)s paling panjang %(n)s karakter.") % {"f": name, "n": max_len}
        )
    return text


def _clean_count(value: Any, name: str, error_code: int | str, *, required: bool) -> int | None:
    """A bed count sent as a string ("20") or a number; never negative, never a fraction."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CompatError(error_code, _("%(f)s wajib diisi.") % {"f": name})
        return None
    if isinstance(value, bool):
        raise CompatError(error_code, _("%(f)s harus bilangan bulat.") % {"f": name})
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _COUNT_RE.match(value.strip()):
        number = int(value.strip())
    else:
        raise CompatError(error_code, _("%(f)s harus bilangan bulat tidak negatif.") % {"f": name})
    if number < 0:
        raise CompatError(error_code, _("%(f)s tidak boleh negatif.") % {"f": name})
    if number > services.MAX_BEDS_PER_ROOM:
        raise CompatError(
            error_code,
            _("%(f)s terlalu besar (maksimum %(n)s).")
            % {"f": name, "n": services.MAX_BEDS_PER_ROOM},
        )
    return number


# --- BPJS Aplicare -----------------------------------------------------------------------


def _aplicare_response(code: int, message: str, response: Any = None, status: int = 200,
                       **meta: Any) -> JsonResponse:  # fmt: skip
    return JsonResponse(
        {"metadata": {"code": code, "message": message, **meta}, "response": response},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


APLICARE = Protocol(
    answer=lambda code, message, status: _aplicare_response(code, message, status=status),
    invalid=APLICARE_INVALID,
    not_found=APLICARE_NOT_FOUND,
    forbidden=APLICARE_FORBIDDEN,
    conflict=APLICARE_INVALID,
    method=APLICARE_METHOD,
    fields=_APLICARE_FIELDS,
    # The bridge creates the room on exactly this (untranslated) message.
    not_found_message=lambda: "Data tidak ada di database",
)


def _aplicare_credential(request: HttpRequest) -> AplicareCredential:
    # The signature covers consid&timestamp only (the protocol's design): the kit's replay
    # rule binds a header set to its first address and a short burst.
    return kit.signed_credential(
        request,
        scope="aplicare",
        error_code=APLICARE_UNAUTHORIZED,
        find=lambda consid: (
            AplicareCredential.objects.select_related("facility")
            .filter(cons_id=consid, is_active=True)
            .first()
        ),
        key_of=lambda cred: cred.secret,
        dummy_key=_DUMMY_SECRET,
    )


def _aplicare_facility(request: HttpRequest, kodeppk: str) -> tuple[AplicareCredential, Actor]:
    cred = _aplicare_credential(request)
    facility = cred.facility
    # A cons-id writes only its own hospital's beds.
    if not facility.is_active or facility.bpjs_kodeppk != kodeppk.strip():
        raise CompatError(APLICARE_FORBIDDEN, _("Kode PPK tidak sesuai dengan consumer ID."))
    return cred, kit.bridge_actor(request, Channel.APLICARE, cred.cons_id)


def _aplicare_room(body: dict[str, Any]) -> services.RoomInput:
    code = APLICARE_INVALID
    kodekelas = _clean_text(body.get("kodekelas"), "kodekelas", code, required=True,
                            max_len=max_length(BedClass, "code"))  # fmt: skip
    if not BedClass.objects.filter(code=kodekelas.upper(), is_aplicare=True).exists():
        raise CompatError(code, _("Kode kelas tidak dikenal (lihat ref/kelas)."))
    koderuang = _clean_text(body.get("koderuang"), "koderuang", code, required=True,
                            max_len=max_length(Room, "code"))  # fmt: skip
    namaruang = _clean_text(body.get("namaruang"), "namaruang", code, required=True,
                            max_len=max_length(Room, "name"))  # fmt: skip
    kapasitas = _clean_count(body.get("kapasitas"), "kapasitas", code, required=True)
    tersedia = _clean_count(body.get("tersedia"), "tersedia", code, required=True)
    by_sex = [
        _clean_count(body.get(f), f, code, required=False)
        for f in ("tersediapria", "tersediawanita", "tersediapriawanita")
    ]
    if tersedia > kapasitas:
        raise CompatError(code, _("Tersedia melebihi kapasitas."))
    # Most bridges send "0" for all three when the hospital does not split beds by sex:
    # that is "not reported", not "no bed for anyone".
    if tersedia > 0 and all(v == 0 for v in by_sex):
        by_sex = [None, None, None]
    return services.RoomInput(
        bed_class=kodekelas.upper(), code=koderuang, name=namaruang, capacity=kapasitas,
        free=tersedia, free_male=by_sex[0], free_female=by_sex[1], free_mixed=by_sex[2],
    )  # fmt: skip


@compat_view(APLICARE, "GET")
def aplicare_ref_kelas(request: HttpRequest) -> JsonResponse:
    """`GET ref/kelas`: the Aplicare class codes."""
    _aplicare_credential(request)
    rows = [
        {"kodekelas": code, "namakelas": name}
        for code, name in BedClass.objects.filter(is_aplicare=True).values_list(
            "code", "aplicare_name"
        )
    ]
    return _aplicare_response(
        APLICARE_OK, "OK", {"list": rows, "totalitems": len(rows)}, totalitems=len(rows)
    )


def _aplicare_write(request: HttpRequest, kodeppk: str, mode: str) -> JsonResponse:
    cred, actor = _aplicare_facility(request, kodeppk)
    data = _aplicare_room(kit.read_body(request, APLICARE_INVALID))
    services.upsert_room(actor, cred.facility, data, source=Room.Source.APLICARE, mode=mode)
    return _aplicare_response(APLICARE_OK, "OK")


@compat_view(APLICARE, "POST")
def aplicare_create(request: HttpRequest, kodeppk: str) -> JsonResponse:
    """`POST bed/create/{kodeppk}`: a new room (refused if it exists)."""
    return _aplicare_write(request, kodeppk, "create")


@compat_view(APLICARE, "POST")
def aplicare_update(request: HttpRequest, kodeppk: str) -> JsonResponse:
    """`POST bed/update/{kodeppk}`: a known room's numbers; code 0 "Data tidak ada di database"
    when the room is unknown, so that the bridge creates it."""
    return _aplicare_write(request, kodeppk, "update")


@compat_view(APLICARE, "POST")
def aplicare_delete(request: HttpRequest, kodeppk: str) -> JsonResponse:
    """`POST bed/delete/{kodeppk}` with `{kodekelas, koderuang}`."""
    cred, actor = _aplicare_facility(request, kodeppk)
    body = kit.read_body(request, APLICARE_INVALID)
    kodekelas = _clean_text(body.get("kodekelas"), "kodekelas", APLICARE_INVALID, required=True,
                            max_len=max_length(BedClass, "code"))  # fmt: skip
    koderuang = _clean_text(body.get("koderuang"), "koderuang", APLICARE_INVALID, required=True,
                            max_len=max_length(Room, "code"))  # fmt: skip
    services.delete_room(actor, cred.facility, kodekelas.upper(), koderuang,
                         source=Room.Source.APLICARE)  # fmt: skip
    return _aplicare_response(APLICARE_OK, "OK")


def _str(value: int | None) -> str:
    return "" if value is None else str(value)


@compat_view(APLICARE, "GET")
def aplicare_read(request: HttpRequest, kodeppk: str, start: str, limit: str) -> JsonResponse:
    """`GET bed/read/{kodeppk}/{start}/{limit}`: the hospital's rooms, `start` counted from 1."""
    cred, _actor = _aplicare_facility(request, kodeppk)
    if not (start.isdigit() and limit.isdigit()) or len(start) > 9 or len(limit) > 9:
        raise CompatError(APLICARE_INVALID, _("start dan limit harus bilangan bulat."))
    first, count = int(start), int(limit)
    if first < 1:
        raise CompatError(APLICARE_INVALID, _("start dimulai dari 1."))
    if not 1 <= count <= MAX_READ_LIMIT:
        raise CompatError(
            APLICARE_INVALID, _("limit harus antara 1 dan %(n)s.") % {"n": MAX_READ_LIMIT}
        )
    rooms = Room.objects.filter(facility=cred.facility, bed_class__is_aplicare=True)
    total = rooms.count()
    page = rooms.select_related("bed_class").order_by("bed_class__sort", "code", "pk")
    rows = []
    for n, room in enumerate(page[first - 1 : first - 1 + count], start=first):
        rows.append({
            "kodekelas": room.bed_class_id,
            "namakelas": room.bed_class.aplicare_name,
            "koderuang": room.code,
            "namaruang": room.name,
            "kapasitas": str(room.capacity),
            "tersedia": str(room.free),
            "tersediapria": _str(room.free_male),
            "tersediawanita": _str(room.free_female),
            "tersediapriawanita": _str(room.free_mixed),
            "lastupdate": timezone.localtime(room.reported_at).strftime("%Y-%m-%d %H:%M:%S"),
            "kodeppk": cred.facility.bpjs_kodeppk,
            "rownumber": n,
        })  # fmt: skip
    return _aplicare_response(
        APLICARE_OK, "OK", {"list": rows, "totalitems": total}, totalitems=total
    )


# --- Kemenkes SIRS Online -------------------------------------------------------------------

SIRS_OK = "200"
SIRS_INVALID = "400"
SIRS_UNAUTHORIZED = "401"
SIRS_FORBIDDEN = "403"
SIRS_NOT_FOUND = "404"
SIRS_METHOD = "405"
SIRS_CONFLICT = "409"


def _sirs_response(status: str, message: str, http_status: int = 200, *,
                   key: str = "fasyankes", **extra: Any) -> JsonResponse:  # fmt: skip
    """SIRS's envelope: the outcome as the one row of the endpoint's list (`key`)."""
    return JsonResponse(
        {key: [{"status": status, "message": message, **extra}]},
        status=http_status,
        json_dumps_params={"ensure_ascii": False},
    )


SIRS = Protocol(
    answer=lambda code, message, status: _sirs_response(str(code), message, status),
    invalid=SIRS_INVALID,
    not_found=SIRS_NOT_FOUND,
    forbidden=SIRS_FORBIDDEN,
    conflict=SIRS_CONFLICT,
    method=SIRS_METHOD,
    fields=_SIRS_FIELDS,
    not_found_message=lambda: _("Data tidak ditemukan."),
)

# What X-pass may hold. Every public SIRS Online bridge we read (SIMRS Khanza's Siranap sync,
# PHP/Laravel/Node scripts) sends the password itself; SIGAP's example bridge sends its MD5.
# Both by default so neither breaks; a deployment whose bridges all send the password sets
# ("password",), so that the stored MD5 no longer works as the credential itself.
SIRS_XPASS_FORMS = ("password", "md5")


def _sirs_credential(request: HttpRequest) -> SirsCredential:
    rs_id = (request.headers.get("X-rs-id") or "").strip()
    stamp = (request.headers.get("X-Timestamp") or "").strip()
    xpass = (request.headers.get("X-pass") or "").strip()
    if not (rs_id and stamp and xpass):
        raise CompatError(SIRS_UNAUTHORIZED, _("Header X-rs-id, X-Timestamp dan X-pass wajib ada."))
    kit.check_timestamp(stamp, SIRS_UNAUTHORIZED, "X-Timestamp", iso=True)
    cred = None
    if kit.ID_RE.match(rs_id):
        cred = (
            SirsCredential.objects.select_related("facility")
            .filter(rs_id=rs_id, is_active=True)
            .first()
        )
    forms = tuple(getattr(settings, "SIGAP_SIRS_XPASS_FORMS", SIRS_XPASS_FORMS))
    stored = cred.password_md5 if cred is not None else "0" * 32
    ok = kit.password_header_ok(stored, xpass, forms)
    if not ok or cred is None or not cred.facility.is_active:
        raise CompatError(SIRS_UNAUTHORIZED, _("X-rs-id atau X-pass tidak sah."))
    return cred


def _sirs_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", ascii_text.upper()).strip("-")


def _sirs_room_code(bed_type: SirsBedType, ruang: str | None) -> str:
    """A stable room code: the slug of `ruang` (or SIRS{id_tt} without one). Types that share a
    SIGAP class with a ventilator twin (ICU 6/38, NICU 10/39, PICU 11/40) get their id_tt
    appended so that the two never land on the same room."""
    base = _sirs_slug(ruang or "") or f"SIRS{bed_type.id_tt}"
    limit = max_length(Room, "code")
    if bed_type.with_ventilator:
        suffix = f"-{bed_type.id_tt}"
        return base[: limit - len(suffix)] + suffix
    return base[:limit]


def _sirs_bed_type(value: Any) -> SirsBedType:
    id_tt = _clean_count(value, "id_tt", SIRS_INVALID, required=True)
    bed_type = SirsBedType.objects.select_related("bed_class").filter(id_tt=id_tt).first()
    if bed_type is None:
        raise CompatError(SIRS_INVALID, _("id_tt tidak dikenal."))
    return bed_type


def _sirs_room_ref(facility, body: dict[str, Any]) -> Room | None:
    """The room a PUT/DELETE names: by `id_t_tt` (what GET returned), else by id_tt + ruang."""
    ref = body.get("id_t_tt")
    if ref not in (None, ""):
        text = str(ref).strip() if isinstance(ref, str | int) and not isinstance(ref, bool) else ""
        if not re.fullmatch(r"[0-9]{1,18}", text):
            raise CompatError(SIRS_NOT_FOUND, _("Data tidak ditemukan."))
        return Room.objects.filter(facility=facility, pk=int(text)).first()
    bed_type = _sirs_bed_type(body.get("id_tt"))
    ruang = _clean_text(body.get("ruang"), "ruang", SIRS_INVALID, required=False,
                        max_len=max_length(Room, "name"))  # fmt: skip
    return Room.objects.filter(
        facility=facility, bed_class=bed_type.bed_class, code=_sirs_room_code(bed_type, ruang)
    ).first()


def _sirs_input(body: dict[str, Any], room: Room | None) -> services.RoomInput:
    code = SIRS_INVALID
    if room is not None and body.get("id_tt") in (None, ""):
        bed_type = room.sirs_type or room.bed_class.sirs_types.order_by("id_tt").first()
        if bed_type is None:
            raise CompatError(code, _("Ruang ini tidak punya id_tt SIRS."))
    else:
        bed_type = _sirs_bed_type(body.get("id_tt"))
        if room is not None and bed_type.bed_class_id != room.bed_class_id:
            raise CompatError(code, _("id_tt tidak sesuai dengan ruang ini."))
    ruang = _clean_text(body.get("ruang"), "ruang", code, required=False,
                        max_len=max_length(Room, "name"))  # fmt: skip
    jumlah = _clean_count(body.get("jumlah"), "jumlah", code, required=True)
    terpakai = _clean_count(body.get("terpakai"), "terpakai", code, required=True)
    prepare = _clean_count(body.get("prepare"), "prepare", code, required=False) or 0
    antrian = _clean_count(body.get("antrian"), "antrian", code, required=False) or 0
    # kept and answered back; None (not sent) keeps what is stored
    jumlah_ruang = _clean_count(body.get("jumlah_ruang"), "jumlah_ruang", code, required=False)
    prepare_plan = _clean_count(body.get("prepare_plan"), "prepare_plan", code, required=False)
    covid = _clean_count(body.get("covid"), "covid", code, required=False)
    # per-disease occupied counts of newer clients: checked, not kept
    suspek, konfirmasi = (
        _clean_count(body.get(f), f, code, required=False) or 0
        for f in ("terpakai_suspek", "terpakai_konfirmasi")
    )
    free = jumlah - terpakai - prepare
    if free < 0:
        raise CompatError(code, _("terpakai + prepare melebihi jumlah."))
    if suspek + konfirmasi > terpakai:
        raise CompatError(code, _("terpakai_suspek + terpakai_konfirmasi melebihi terpakai."))
    # a ward has at least one bed per room; a closed ward (jumlah 0) may keep its rooms
    if jumlah and jumlah_ruang is not None and jumlah_ruang > jumlah:
        raise CompatError(code, _("jumlah_ruang melebihi jumlah tempat tidur."))
    # covid is a flag (0/1) in public clients, a bed count in some: never more than jumlah
    if covid is not None and covid > max(jumlah, 1):
        raise CompatError(code, _("covid melebihi jumlah tempat tidur."))
    return services.RoomInput(
        bed_class=bed_type.bed_class_id,
        code=room.code if room is not None else _sirs_room_code(bed_type, ruang),
        name=ruang or (room.name if room is not None else bed_type.name),
        capacity=jumlah, free=free, preparing=prepare, waiting=antrian,
        sirs_type=bed_type.id_tt,
        room_count=jumlah_ruang, prepare_plan=prepare_plan, covid=covid,
    )  # fmt: skip


def _sirs_row(room: Room, types_by_class: dict[str, SirsBedType]) -> dict[str, Any] | None:
    bed_type = room.sirs_type or types_by_class.get(room.bed_class_id)
    if bed_type is None:
        return None  # a class SIRS has no bed type for (UTAMA, IGD, ...)
    return {
        "id_t_tt": str(room.pk),
        "id_tt": str(bed_type.id_tt),
        "tt": bed_type.name,
        "ruang": room.name,
        # never sent: one room, as SIRS clients assume
        "jumlah_ruang": "1" if room.sirs_room_count is None else str(room.sirs_room_count),
        "jumlah": str(room.capacity),
        "terpakai": str(room.capacity - room.free - room.preparing),
        "prepare": str(room.preparing),
        "prepare_plan": str(room.sirs_prepare_plan),
        "antrian": str(room.waiting),
        "kosong": str(room.free),
        "covid": str(room.sirs_covid),
        "tgl_update": timezone.localtime(room.reported_at).strftime("%Y-%m-%d %H:%M:%S"),
    }


SIRS_REFERENCE = Protocol(
    answer=lambda code, message, status: _sirs_response(
        str(code), message, status, key="tempat_tidur"
    ),
    invalid=SIRS_INVALID,
    not_found=SIRS_NOT_FOUND,
    forbidden=SIRS_FORBIDDEN,
    conflict=SIRS_CONFLICT,
    method=SIRS_METHOD,
)


@compat_view(SIRS_REFERENCE, "GET")
def sirs_ref_tempat_tidur(request: HttpRequest) -> JsonResponse:
    """`GET /fo/index.php/Referensi/tempat_tidur`: SIRS bed types as `{kode_tt, nama_tt}`, the
    list clients read first to map their rooms to an `id_tt`."""
    _sirs_credential(request)
    rows = [
        {"kode_tt": str(id_tt), "nama_tt": name}
        for id_tt, name in SirsBedType.objects.order_by("id_tt").values_list("id_tt", "name")
    ]
    return JsonResponse({"tempat_tidur": rows}, json_dumps_params={"ensure_ascii": False})


@compat_view(SIRS, ("GET", "POST", "PUT", "DELETE"))
def sirs_fasyankes(request: HttpRequest) -> JsonResponse:
    """`/fo/index.php/Fasyankes`: GET lists, POST creates, PUT updates, DELETE deletes."""
    cred = _sirs_credential(request)
    facility = cred.facility
    actor = kit.bridge_actor(request, Channel.SIRS, cred.rs_id)
    if request.method == "GET":
        types_by_class: dict[str, SirsBedType] = {}
        for t in SirsBedType.objects.filter(with_ventilator=False).order_by("-id_tt"):
            types_by_class[t.bed_class_id] = t  # lowest id_tt per class wins
        rooms = (
            Room.objects.filter(facility=facility)
            .select_related("sirs_type")
            .order_by("bed_class__sort", "code", "pk")
        )
        rows = [r for r in (_sirs_row(room, types_by_class) for room in rooms) if r]
        return JsonResponse({"fasyankes": rows}, json_dumps_params={"ensure_ascii": False})
    body = kit.read_body(request, SIRS_INVALID)
    room = None
    if request.method != "POST":  # PUT and DELETE name an existing room
        room = _sirs_room_ref(facility, body)
        if room is None:
            raise CompatError(SIRS_NOT_FOUND, _("Data tidak ditemukan."))
    if request.method == "DELETE":
        services.delete_room(actor, facility, room.bed_class_id, room.code,
                             source=Room.Source.SIRS)  # fmt: skip
        return _sirs_response(SIRS_OK, _("Data berhasil dihapus."))
    change = services.upsert_room(actor, facility, _sirs_input(body, room),
                                  source=Room.Source.SIRS,
                                  mode="create" if room is None else "update")  # fmt: skip
    saved = _("Data berhasil disimpan.") if room is None else _("Data berhasil diperbarui.")
    return _sirs_response(SIRS_OK, saved, id_t_tt=str(change.room.pk))
