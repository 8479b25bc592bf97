"""Bed inventory operations: the only code that writes rooms, their history and the board
version. Every channel (operator page, JSON API, Aplicare, SIRS, demo) comes through here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.core.workflow import Workflow
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility

from . import selectors as bed_selectors
from .models import (
    BedClass,
    BedHold,
    BedHoldPolicy,
    BedUpdate,
    BoardChange,
    BoardState,
    Room,
    SirsBedType,
)

MAX_BEDS_PER_ROOM = 5000
# Board change rows kept for processes that refresh incrementally; older snapshots rebuild.
BOARD_CHANGES_KEPT = 20_000

Outcome = Literal["created", "updated", "unchanged", "deleted"]
# Fields a report may carry; None in an input means "keep what is stored".
COUNT_FIELDS = ("capacity", "free", "free_male", "free_female", "free_mixed", "reserved",
                "waiting", "preparing")  # fmt: skip
# RoomInput field -> Room column of the SIRS numbers SIGAP keeps without using them
SIRS_FIELDS = {"room_count": "sirs_room_count", "prepare_plan": "sirs_prepare_plan",
               "covid": "sirs_covid"}  # fmt: skip


@dataclass(frozen=True)
class RoomInput:
    """One room's report, whatever channel it came through."""

    bed_class: str
    code: str
    name: str
    capacity: int
    free: int
    free_male: int | None = None
    free_female: int | None = None
    free_mixed: int | None = None
    reserved: int | None = None
    waiting: int | None = None
    preparing: int | None = None
    sirs_type: int | None = None
    # SIRS Online's jumlah_ruang, prepare_plan and covid: stored and answered back as sent
    room_count: int | None = None
    prepare_plan: int | None = None
    covid: int | None = None


@dataclass(frozen=True)
class RoomChange:
    room: Room | None
    outcome: Outcome


def _check_count(value: int | None, field: str, upper: int = MAX_BEDS_PER_ROOM) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("Harus bilangan bulat."), field=field)
    if value < 0:
        raise InvalidInput(_("Tidak boleh negatif."), field=field)
    if value > upper:
        raise InvalidInput(_("Terlalu besar (maksimum %(n)s).") % {"n": upper}, field=field)


def has_control_chars(text: str) -> bool:
    """True for NUL and other control characters, which no code or name carries (and which
    PostgreSQL refuses in text, so they must never reach a query)."""
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


def validate_room_input(data: RoomInput) -> BedClass:
    """Check a report before anything is written; returns its bed class."""
    code = (data.code or "").strip()
    for value, field in ((data.code, "koderuang"), (data.name, "namaruang"),
                         (data.bed_class, "kodekelas")):  # fmt: skip
        if isinstance(value, str) and has_control_chars(value):
            raise InvalidInput(_("Berisi karakter yang tidak sah."), field=field)
    if not code:
        raise InvalidInput(_("Kode ruang wajib diisi."), field="koderuang")
    if len(code) > 32:
        raise InvalidInput(_("Kode ruang paling panjang 32 karakter."), field="koderuang")
    if not (data.name or "").strip():
        raise InvalidInput(_("Nama ruang wajib diisi."), field="namaruang")
    if len(data.name) > 128:
        raise InvalidInput(_("Nama ruang paling panjang 128 karakter."), field="namaruang")
    bed_class = BedClass.objects.filter(code=(data.bed_class or "").strip().upper()).first()
    if bed_class is None:
        raise InvalidInput(_("Kode kelas tidak dikenal."), field="kodekelas")
    for field in (*COUNT_FIELDS, *SIRS_FIELDS):
        _check_count(getattr(data, field), field)
    if data.free > data.capacity:
        raise InvalidInput(_("Tempat tidur tersedia melebihi kapasitas."), field="free")
    by_sex = [v for v in (data.free_male, data.free_female, data.free_mixed) if v is not None]
    if sum(by_sex) > data.free:
        raise InvalidInput(
            _("Jumlah tersedia pria/wanita/campur melebihi jumlah tersedia."), field="free_male"
        )
    held = (data.reserved or 0) + (data.preparing or 0)
    if data.free + held > data.capacity:
        raise InvalidInput(
            _("Tersedia + dipesan + disiapkan melebihi kapasitas."), field="reserved"
        )
    if data.sirs_type is not None and not SirsBedType.objects.filter(id_tt=data.sirs_type).exists():
        raise InvalidInput(_("id_tt SIRS tidak dikenal."), field="id_tt")
    return bed_class


def _values(room: Room) -> dict:
    sirs = {column: getattr(room, column) for column in SIRS_FIELDS.values()}
    return {f: getattr(room, f) for f in COUNT_FIELDS} | sirs | {"name": room.name}


def _apply(room: Room, data: RoomInput) -> None:
    """Copy a report onto a room. Channels that do not report reservations (Aplicare, SIRS)
    keep SIGAP's holds; a hold that no longer fits the reported numbers shrinks."""
    room.name = data.name.strip()
    room.capacity = data.capacity
    room.free = data.free
    for field in ("free_male", "free_female", "free_mixed"):
        setattr(room, field, getattr(data, field))
    for field in ("reserved", "waiting", "preparing"):
        value = getattr(data, field)
        if value is not None:
            setattr(room, field, value)
    room.preparing = min(room.preparing, room.capacity - room.free)
    room.reserved = min(room.reserved, room.capacity - room.free - room.preparing)
    if data.sirs_type is not None:
        room.sirs_type_id = data.sirs_type
    for field, column in SIRS_FIELDS.items():
        if getattr(data, field) is not None:
            setattr(room, column, getattr(data, field))


def _bump_board(facility_id: int) -> int:
    """Advance the board version. Taken last in the transaction: the row lock it holds until
    commit makes versions commit in order, so a reader that saw version V has seen every
    change up to V."""
    BoardState.objects.filter(id=1).update(version=F("version") + 1)
    version = BoardState.objects.values_list("version", flat=True).get(id=1)
    BoardChange.objects.create(version=version, facility_id=facility_id)
    if version % 1000 == 0:
        BoardChange.objects.filter(version__lte=version - BOARD_CHANGES_KEPT).delete()
    return version


def _history(room: Room, kind: str, source: str, actor: Actor, at: datetime) -> None:
    BedUpdate.objects.create(
        at=at,
        facility_id=room.facility_id,
        room=room if kind != BedUpdate.Kind.DELETE else None,
        bed_class_id=room.bed_class_id,
        room_code=room.code,
        kind=kind,
        source=source,
        actor_label=clip(actor.display, BedUpdate, "actor_label"),
        capacity=room.capacity,
        free=room.free,
        reserved=room.reserved,
        waiting=room.waiting,
        preparing=room.preparing,
    )


def upsert_room(
    actor: Actor,
    facility: Facility,
    data: RoomInput,
    *,
    source: str,
    mode: Literal["upsert", "create", "update"] = "upsert",
    at: datetime | None = None,
) -> RoomChange:
    """Create or update one room from a report.

    `mode="create"` refuses an existing room, `mode="update"` refuses a missing one (as
    Aplicare does). A report equal to what is stored changes nothing but the time the hospital
    last confirmed its data (`reported_at`), so a resent update leaves no history."""
    bed_class = validate_room_input(data)
    reported = at
    code = data.code.strip()
    try:
        with transaction.atomic():
            room = (
                Room.objects.select_for_update()
                .filter(facility=facility, bed_class=bed_class, code=code)
                .first()
            )
            # Stamped once the row is locked, so that history times follow the order in which
            # concurrent reports were applied.
            at = reported or timezone.now()
            if room is None:
                if mode == "update":
                    raise NotFound(_("Data tidak ada di database"), field="koderuang")
                room = Room(
                    facility=facility,
                    bed_class=bed_class,
                    code=code,
                    reserved=0,
                    waiting=0,
                    preparing=0,
                    changed_at=at,
                    reported_at=at,
                    source=source,
                )
                _apply(room, data)
                room.save()
                _history(room, BedUpdate.Kind.CREATE, source, actor, at)
                record_audit(actor, "bed.room.create", room, after=_values(room))
                _bump_board(facility.pk)
                return RoomChange(room, "created")
            if mode == "create":
                raise Conflict(_("Ruang dengan kode dan kelas ini sudah ada."), field="koderuang")
            before = _values(room)
            _apply(room, data)
            after = _values(room)
            room.reported_at = max(room.reported_at, at)
            if after == before:
                Room.objects.filter(pk=room.pk).update(reported_at=room.reported_at)
                _bump_board(facility.pk)
                return RoomChange(room, "unchanged")
            room.changed_at = at
            room.source = source
            room.save()
            _history(room, BedUpdate.Kind.UPDATE, source, actor, at)
            record_audit(actor, "bed.room.update", room, before=before, after=after)
            _bump_board(facility.pk)
            return RoomChange(room, "updated")
    except IntegrityError as exc:
        # A concurrent creator won the unique key, or a constraint caught what validation
        # let through: either way nothing was written.
        raise Conflict(
            _("Data ruang bentrok dengan perubahan lain; coba lagi."), field=None
        ) from exc


def update_counts(actor: Actor, room: Room, *, source: str, **changes: int | None) -> RoomChange:
    """Change some numbers of an existing room (the operator page's quick edit)."""
    unknown = set(changes) - set(COUNT_FIELDS) - {"name"}
    if unknown:
        raise InvalidInput(_("Kolom tidak dikenal."), field=sorted(unknown)[0])
    current = RoomInput(
        bed_class=room.bed_class_id,
        code=room.code,
        name=room.name,
        **{f: getattr(room, f) for f in COUNT_FIELDS},
    )
    return upsert_room(
        actor, room.facility, replace(current, **changes), source=source, mode="update"
    )


def delete_room(
    actor: Actor, facility: Facility, bed_class: str, code: str, *, source: str
) -> RoomChange:
    if has_control_chars(bed_class or "") or has_control_chars(code or ""):
        raise NotFound(_("Data tidak ada di database"), field="koderuang")
    with transaction.atomic():
        room = (
            Room.objects.select_for_update()
            .filter(
                facility=facility, bed_class_id=(bed_class or "").upper(), code=(code or "").strip()
            )
            .first()
        )
        if room is None:
            raise NotFound(_("Data tidak ada di database"), field="koderuang")
        before = _values(room)
        _history(room, BedUpdate.Kind.DELETE, source, actor, timezone.now())
        record_audit(actor, "bed.room.delete", room, before=before)
        room.delete()
        _bump_board(facility.pk)
    return RoomChange(None, "deleted")


def require_room_operator(actor: Actor, facility: Facility) -> None:
    """Only the hospital's own operators (and admins) change its beds."""
    user = actor.user
    if user is None:
        raise Forbidden(_("Silakan masuk terlebih dahulu."))
    if not facility_services.can_operate(user, facility):
        raise Forbidden(_("Anda bukan operator rumah sakit ini."))


def room_as_dict(room: Room) -> dict:
    return {
        "id": str(room.public_id),
        "kodekelas": room.bed_class_id,
        "koderuang": room.code,
        "namaruang": room.name,
        **{f: getattr(room, f) for f in COUNT_FIELDS},
        "occupied": room.occupied,
        "changed_at": room.changed_at.isoformat(),
        "reported_at": room.reported_at.isoformat(),
        "source": room.source,
    }


# --- bed holds: a bed kept for an incoming patient (emergency hand-off, accepted referral) ---

SEX_FIELDS = ("free_male", "free_female", "free_mixed")
HOLDS = Workflow.of(
    "bed.hold",
    BedHold,
    {
        BedHold.Status.HELD: {
            BedHold.Status.ARRIVED,
            BedHold.Status.RELEASED,
            BedHold.Status.EXPIRED,
        }
    },
)


def hold_policy(facility: Facility) -> BedHoldPolicy:
    """The hospital's hold policy (a default one when it never set any)."""
    policy = BedHoldPolicy.objects.filter(facility=facility).first()
    return policy or BedHoldPolicy(facility=facility)


def set_hold_policy(
    actor: Actor, facility: Facility, *, allows_holds: bool, max_minutes: int
) -> BedHoldPolicy:
    require_room_operator(actor, facility)
    if not 10 <= max_minutes <= 24 * 60:
        raise InvalidInput(_("Lama tahanan harus 10-1440 menit."), field="max_minutes")
    before = hold_policy(facility)
    policy, _created = BedHoldPolicy.objects.update_or_create(
        facility=facility, defaults={"allows_holds": allows_holds, "max_minutes": max_minutes}
    )
    record_audit(
        actor,
        "bed.hold_policy.update",
        facility,
        before={"allows_holds": before.allows_holds, "max_minutes": before.max_minutes},
        after={"allows_holds": allows_holds, "max_minutes": max_minutes},
    )
    return policy


def free_beds(facility: Facility, bed_class: str) -> int:
    rooms = Room.objects.filter(facility=facility, bed_class_id=bed_class)
    return rooms.aggregate(total=Sum("free"))["total"] or 0


def hold_bed(
    actor: Actor,
    facility: Facility,
    bed_class: str,
    *,
    ref: str,
    minutes: int | None = None,
    sex: str | None = None,
    now: datetime | None = None,
) -> BedHold:
    """Take one free bed of `bed_class` in `facility` for an incoming patient: the room's
    `free` drops by one and `reserved` rises by one, so the public board shows it as held.

    Two callers racing for the last bed: the compare-and-set on `free > 0` lets exactly one
    win; the other gets a Conflict and nothing is written."""
    if not BedClass.objects.filter(code=bed_class).exists():
        raise InvalidInput(_("Kode kelas tidak dikenal."), field="bed_class")
    policy = hold_policy(facility)
    if not policy.allows_holds:
        raise Conflict(_("Rumah sakit ini tidak mengizinkan penahanan tempat tidur."))
    minutes = min(minutes or policy.max_minutes, policy.max_minutes)
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock serialises takers; PostgreSQL re-checks `free > 0` on a row it waited
        # for and moves to the next room, so the last bed goes to exactly one taker.
        rooms = Room.objects.filter(facility=facility, bed_class_id=bed_class, free__gt=0)
        if sex in ("male", "female"):
            # a room that splits its free beds by sex has one for this patient only in the
            # patient's own or the mixed count
            rooms = rooms.filter(
                Q(free_male__isnull=True, free_female__isnull=True, free_mixed__isnull=True)
                | Q(**{f"free_{sex}__gt": 0})
                | Q(free_mixed__gt=0)
            )
        room = rooms.select_for_update().order_by("-free", "code").first()
        if room is None:
            raise Conflict(_("Tidak ada tempat tidur kosong di kelas ini."), field="bed_class")
        sex_field = _sex_field_to_take(room, sex)
        room.free -= 1
        room.reserved += 1
        if sex_field:
            setattr(room, sex_field, getattr(room, sex_field) - 1)
        _clamp_sex_counts(room)
        # a caller replaying the past (simulator, demo) must not move the room clock back
        room.changed_at = max(now, room.changed_at)
        room.save(
            update_fields=[
                "free",
                "reserved",
                "free_male",
                "free_female",
                "free_mixed",
                "changed_at",
            ]
        )
        hold = BedHold.objects.create(
            facility=facility,
            room=room,
            bed_class_id=bed_class,
            ref=clip(ref, BedHold, "ref"),
            sex_field=sex_field or "",
            expires_at=now + timedelta(minutes=minutes),
        )
        _history(room, BedUpdate.Kind.HOLD, Room.Source.HOLD, actor, room.changed_at)
        record_audit(actor, "bed.hold.create", hold, after={"ref": hold.ref, "room": room.code})
        _bump_board(facility.pk)
    return hold


def _sex_field_to_take(room: Room, sex: str | None) -> str | None:
    """Which of free_male/free_female/free_mixed a held bed comes from in a room that splits
    its free beds by sex: the patient's own, else mixed; the largest when the sex is unknown."""
    counts = {
        f: getattr(room, f)
        for f in ("free_male", "free_female", "free_mixed")
        if getattr(room, f) is not None and getattr(room, f) > 0
    }
    if not counts:
        return None
    wanted = {"male": "free_male", "female": "free_female"}.get(sex or "")
    for field in (wanted, "free_mixed"):
        if field in counts:
            return field
    return max(counts, key=counts.get)


def _clamp_sex_counts(room: Room) -> None:
    # free_male/female/mixed never exceed free (a database constraint)
    for field in ("free_male", "free_female", "free_mixed"):
        value = getattr(room, field)
        if value is not None and value > room.free:
            setattr(room, field, room.free)


def end_hold(
    actor: Actor,
    hold: BedHold,
    status: str,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> BedHold:
    """Move a hold out of `held`: `arrived` (the patient took the bed: reserved -1),
    `released` or `expired` (the bed is free again: reserved -1, free +1). A hold that
    already ended raises Conflict, so two callers cannot both release it."""
    if status not in HOLDS.next_states(BedHold.Status.HELD):
        raise InvalidInput(_("Status tahanan tidak sah."), field="status")
    now = now or timezone.now()
    ended = _("Tahanan tempat tidur ini sudah berakhir.")
    if hold.status != BedHold.Status.HELD:
        raise Conflict(ended)
    with transaction.atomic():
        HOLDS.move(
            actor, hold, status, reason=reason, now=now, stale=ended,
            changes={"ended_at": now, "ended_reason": clip(reason, BedHold, "ended_reason")},
        )  # fmt: skip
        room = Room.objects.select_for_update().filter(pk=hold.room_id).first()
        if room is not None:
            # the hospital's own report may already have shrunk `reserved` (see _apply)
            if room.reserved > 0:
                room.reserved -= 1
                if status != BedHold.Status.ARRIVED:
                    free = min(room.free + 1, room.capacity - room.reserved - room.preparing)
                    field = hold.sex_field
                    if free > room.free and field and getattr(room, field) is not None:
                        setattr(room, field, getattr(room, field) + 1)
                    room.free = free
            _clamp_sex_counts(room)
            # a caller replaying the past (simulator, demo) must not move the room clock back
            room.changed_at = max(now, room.changed_at)
            room.save(
                update_fields=[
                    "reserved",
                    "free",
                    "free_male",
                    "free_female",
                    "free_mixed",
                    "changed_at",
                ]
            )
            _history(room, BedUpdate.Kind.RELEASE, Room.Source.HOLD, actor, room.changed_at)
            _bump_board(hold.facility_id)
    return hold


def finish_hold(
    actor: Actor,
    hold: BedHold | int | None,
    *,
    arrived: bool,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """End a hold that is still held, for another capability: the patient arrived (the bed is
    taken) or will not come (the bed is free again). A hold that already ended (expired,
    released elsewhere) is left as it is. Returns whether this call ended it."""
    if hold is not None and not isinstance(hold, BedHold):
        hold = BedHold.objects.filter(pk=hold).first()
    if hold is None or hold.status != BedHold.Status.HELD:
        return False
    outcome = BedHold.Status.ARRIVED if arrived else BedHold.Status.RELEASED
    try:
        end_hold(actor, hold, outcome, reason=reason, now=now)
    except Conflict:
        return False  # it expired or ended meanwhile
    return True


# --- reads published to the other capabilities (the board is beds' own read model) ---------


def board_snapshot() -> bed_selectors._Snapshot:
    """The process's in-memory board (free beds by class and hospital), for recommendations."""
    return bed_selectors.get_snapshot()


def public_board(**filters) -> list[dict]:
    """The public board's rows (see beds.selectors.public_board for the filters)."""
    return bed_selectors.public_board(**filters)


def bed_class(code: str | None) -> BedClass | None:
    return BedClass.objects.filter(code=code).first() if code else None


def public_bed_classes():
    """The classes the public board filters by, in board order."""
    return BedClass.objects.filter(is_public_filter=True)


def expire_holds(now: datetime | None = None) -> int:
    """End every hold past its expiry (the worker runs this every minute)."""
    now = now or timezone.now()
    actor = Actor.system("bed-hold-expiry")
    expired = 0
    for hold in BedHold.objects.filter(status=BedHold.Status.HELD, expires_at__lte=now):
        try:
            end_hold(actor, hold, BedHold.Status.EXPIRED, reason="expired", now=now)
            expired += 1
        except Conflict:
            continue  # ended by someone else meanwhile
    return expired
