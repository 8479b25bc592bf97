# ruff: noqa: S608 - raw SQL here names tables from the models; every value is bound.
"""Coverage operations: the only code that writes the coverage app's data.

Imports stream a validated file from DuckDB into the database in bulk (PostgreSQL COPY into
a staging table, SQLite multi-row upserts), never row by row through the ORM.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput, SigapError
from sigap.core.models import Role
from sigap.core.services import Actor, Channel, record_audit, require_area, require_role
from sigap.core.text import clip
from sigap.core.workflow import Workflow
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from . import conf, engine
from .models import (
    CoverageStat,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    FlagReason,
    Membership,
    MembershipRow,
    PriorityRule,
    QuotaRun,
    RejectedRow,
    Resident,
    ResidentFlag,
    ResidentStatus,
    Segment,
    Snapshot,
    SnapshotKind,
    SnapshotStatus,
    WelfareEntry,
    WelfareRow,
    Worker,
    WorkerEnrolment,
)
from .selectors import uninsured

OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)
# local processes (the command line, system jobs) act without a user
TRUSTED_CHANNELS = (Channel.CLI, Channel.SYSTEM)
BATCH = 5_000
Progress = Callable[[int], None]


def month_start(value: date) -> date:
    return value.replace(day=1)


def parse_period(text: str) -> date:
    """'2026-05' or '2026-05-01' -> date(2026, 5, 1)."""
    raw = (text or "").strip()
    try:
        year, month = (int(p) for p in raw.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput(_("Periode harus berbentuk YYYY-MM."), field="period") from None


def file_hash(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def require_office(actor: Actor) -> None:
    """Analysts and admins; the command line and system jobs are trusted local processes."""
    if actor.user is None and actor.channel in TRUSTED_CHANNELS:
        return
    require_role(actor, *OFFICE_ROLES)


# --- bulk writes -----------------------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy(cur, table: str, names: str, batches: Iterable[list[tuple]],
          progress: Progress | None) -> int:  # fmt: skip
    """PostgreSQL: COPY the batches into `table`; returns the rows written."""
    written = 0
    with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for rows in batches:
            for row in rows:
                copy.write_row(row)
            written += len(rows)
            if progress:
                progress(len(rows))
    return written


def bulk_upsert(
    table: str,
    cols: tuple[str, ...],
    batches: Iterable[list[tuple]],
    *,
    key: str | None,
    progress: Progress | None = None,
) -> int:
    """Insert or update rows by `key` in bulk (plain insert when `key` is None). PostgreSQL:
    COPY into a temporary staging table, then one INSERT ... ON CONFLICT (or COPY straight
    into the table); SQLite: multi-row INSERT ... ON CONFLICT."""
    names = ", ".join(cols)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key)
    conflict = f" ON CONFLICT ({key}) DO UPDATE SET {updates}" if key else ""
    written = 0
    with connection.cursor() as cur:
        if _is_postgres() and key is None:
            written = _copy(cur, table, names, batches, progress)
        elif _is_postgres():
            stage = f"stage_{table}"
            cur.execute(f"DROP TABLE IF EXISTS {stage}")
            cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} "
                "WITH NO DATA"
            )
            written = _copy(cur, stage, names, batches, progress)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}" + conflict)
            cur.execute(f"DROP TABLE {stage}")
        else:
            per_statement = max(1, 900 // len(cols))  # SQLite's bound-variable limit
            one = "(" + ", ".join(["%s"] * len(cols)) + ")"
            for rows in batches:
                for i in range(0, len(rows), per_statement):
                    chunk = rows[i : i + per_statement]
                    cur.execute(
                        f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}"
                        + conflict,
                        [v for row in chunk for v in row],
                    )
                written += len(rows)
                if progress:
                    progress(len(rows))
    return written


def _insert_rejections(snapshot: Snapshot, prepared: engine.PreparedImport) -> None:
    rows = (
        [RejectedRow(snapshot=snapshot, row_number=r[0], nik=r[1] or "", reason=r[2],
                     detail=r[3] or "") for r in batch]
        for batch in prepared.batches("rejected", ("row_no", "nik", "reason", "detail"))
    )  # fmt: skip
    for objs in rows:
        RejectedRow.objects.bulk_create(objs, batch_size=2000)


# --- imports ---------------------------------------------------------------------------------

TABLES = {
    SnapshotKind.POPULATION: (Resident, engine.OUTPUT["population"]),
    SnapshotKind.MEMBERSHIP: (Membership, engine.OUTPUT["membership"]),
    SnapshotKind.WELFARE: (WelfareEntry, engine.OUTPUT["welfare"]),
}
# Complete lists (whoever is not in the newest month is no longer listed): their accepted
# rows are kept per snapshot, so that a held snapshot can be applied later and the previous
# one restored.
SAVED_ROWS = {SnapshotKind.MEMBERSHIP: MembershipRow, SnapshotKind.WELFARE: WelfareRow}


@dataclass
class ImportResult:
    snapshot: Snapshot
    created: bool  # False: the same snapshot was imported before; nothing changed
    applied: bool = True  # False: held, recorded only (older month) or nothing accepted
    messages: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.snapshot.status == SnapshotStatus.HELD


def known_kelurahan_codes() -> list[str]:
    return list(Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", flat=True))


def in_force(kind: str) -> Snapshot | None:
    """The snapshot whose rows are in force: the applied one applied last."""
    return (
        Snapshot.objects.filter(kind=kind, status=SnapshotStatus.APPLIED)
        .order_by("-applied_at", "-created_at", "-id")
        .first()
    )


def import_snapshot(
    actor: Actor,
    kind: str,
    path: str | Path,
    period: date,
    *,
    filename: str = "",
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import one monthly register file (population, JKN membership or welfare).

    Bad rows go to the rejection report and the good rows are kept. The same kind, period
    and content is one snapshot: importing it again changes nothing. Membership and welfare
    files are complete lists, so the newest month replaces the table - unless nothing was
    accepted (nothing is applied), or too few rows were accepted or too many people would be
    removed (the snapshot is held until an analyst confirms it). Population files update
    residents by NIK (a register file carries moves and deaths as statuses).
    """
    require_office(actor)
    if kind not in SnapshotKind.values:
        raise InvalidInput(_("Jenis data tidak dikenal."), field="kind")
    period = month_start(period)
    path = Path(path)
    try:
        engine.file_kind(path)
    except engine.EngineError:
        raise InvalidInput(_("Berkas harus CSV, XLSX atau Parquet."), field="file") from None
    digest = file_hash(path)
    existing = Snapshot.objects.filter(kind=kind, period=period, content_hash=digest).first()
    if existing is not None:
        return ImportResult(existing, created=False, applied=False)
    try:
        prepared = engine.prepare_import(
            kind, path, known_kelurahan=known_kelurahan_codes(),
            today=today or timezone.localdate(), max_rows=conf.max_import_rows(),
        )  # fmt: skip
    except engine.TooManyRows as exc:
        raise InvalidInput(
            _("Berkas berisi lebih dari %(n)s baris.") % {"n": f"{exc.limit:,}"}, field="file"
        ) from None
    except engine.EngineError as exc:
        raise InvalidInput(
            _("Berkas tidak dapat dibaca: %(error)s") % {"error": engine.public_message(exc)},
            field="file",
        ) from None
    try:
        return _apply_import(actor, kind, period, digest, filename or path.name, prepared,
                             progress)  # fmt: skip
    finally:
        prepared.close()


def _lock_kind(kind: str) -> None:
    """Serialise changes to one kind's snapshot in force (PostgreSQL: an advisory lock for
    the transaction; SQLite's IMMEDIATE transactions already serialise writers)."""
    if _is_postgres():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"coverage:{kind}".encode())]
            )


def _removal(kind: str, snapshot: Snapshot) -> tuple[int, int]:
    """(rows in force, rows in force that `snapshot` would remove)."""
    live = TABLES[kind][0]._meta.db_table
    saved = SAVED_ROWS[kind]._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COUNT(*), COALESCE(SUM(CASE WHEN NOT EXISTS (
                    SELECT 1 FROM {saved} s WHERE s.snapshot_id = %s AND s.nik = l.nik)
                THEN 1 ELSE 0 END), 0)
            FROM {live} l""",
            [snapshot.pk],
        )
        total, removed = cur.fetchone()
    return int(total), int(removed)


HOLD_LOW_ACCEPTED = "low_accepted"
HOLD_LARGE_REMOVAL = "large_removal"


def hold_reasons(snapshot: Snapshot) -> list[str]:
    """Why a snapshot is held, as sentences for people."""
    out = []
    codes = [c for c in snapshot.hold_reason.split(",") if c]
    if HOLD_LOW_ACCEPTED in codes:
        out.append(
            _("Hanya %(ok)s dari %(total)s baris diterima (batas %(min)s%%).")
            % {"ok": snapshot.rows_accepted, "total": snapshot.rows_total,
               "min": round(conf.min_accepted_share() * 100)}
        )  # fmt: skip
    if HOLD_LARGE_REMOVAL in codes:
        out.append(
            _("Snapshot ini akan menghapus %(removed)s dari %(total)s data yang berlaku "
              "(batas %(max)s%%).")
            % {"removed": snapshot.rows_removed, "total": snapshot.rows_in_force,
               "max": round(conf.max_removed_share() * 100)}
        )  # fmt: skip
    return out


def _put_in_force(kind: str, snapshot: Snapshot) -> None:
    """Make a complete list's saved rows the rows in force (one upsert, one delete)."""
    model, cols = TABLES[kind]
    live, saved = model._meta.db_table, SAVED_ROWS[kind]._meta.db_table
    names = ", ".join(cols)
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*cols, "period", "snapshot_id")
                        if c != "nik")  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {live} ({names}, period, snapshot_id) "
            f"SELECT {names}, %s, %s FROM {saved} WHERE snapshot_id = %s "
            f"ON CONFLICT (nik) DO UPDATE SET {updates}",
            [snapshot.period, snapshot.pk, snapshot.pk],
        )
        cur.execute(f"DELETE FROM {live} WHERE snapshot_id IS NULL OR snapshot_id <> %s",
                    [snapshot.pk])  # fmt: skip


def _prune_saved_rows(kind: str) -> None:
    """Keep the rows of held snapshots and of the last few applied ones; drop the rest."""
    keep = list(
        Snapshot.objects.filter(kind=kind, status=SnapshotStatus.APPLIED)
        .order_by("-applied_at", "-created_at", "-id")
        .values_list("pk", flat=True)[: conf.kept_snapshots()]
    )
    keep += list(
        Snapshot.objects.filter(kind=kind, status=SnapshotStatus.HELD).values_list("pk", flat=True)
    )
    SAVED_ROWS[kind].objects.exclude(snapshot_id__in=keep).delete()


def _apply_import(
    actor: Actor,
    kind: str,
    period: date,
    digest: str,
    filename: str,
    prepared: engine.PreparedImport,
    progress: Progress | None,
) -> ImportResult:
    model, cols = TABLES[kind]
    try:
        with transaction.atomic():
            _lock_kind(kind)
            current = in_force(kind)
            snapshot = Snapshot.objects.create(
                kind=kind, period=period, content_hash=digest,
                filename=clip(filename, Snapshot, "filename"),
                rows_total=prepared.total, rows_accepted=prepared.good,
                rows_rejected=prepared.rejected, created_by=actor.user, channel=actor.channel,
                status=SnapshotStatus.RECORDED,
            )  # fmt: skip
            _insert_rejections(snapshot, prepared)
            holds: list[str] = []
            if prepared.good == 0:
                status = SnapshotStatus.EMPTY  # a file with no good row changes nothing
            elif current is not None and period < current.period:
                status = SnapshotStatus.RECORDED  # an older month: kept as a record
            elif kind in SAVED_ROWS:
                bulk_upsert(
                    SAVED_ROWS[kind]._meta.db_table, ("snapshot_id", *cols),
                    ([(snapshot.pk, *row[1:]) for row in rows]
                     for rows in prepared.batches("good", ("row_no", *cols))),
                    key=None, progress=progress,
                )  # fmt: skip
                in_force_n, removed = _removal(kind, snapshot)
                snapshot.rows_in_force, snapshot.rows_removed = in_force_n, removed
                if prepared.good < conf.min_accepted_share() * prepared.total:
                    holds.append(HOLD_LOW_ACCEPTED)
                if in_force_n and removed > conf.max_removed_share() * in_force_n:
                    holds.append(HOLD_LARGE_REMOVAL)
                if holds:
                    status = SnapshotStatus.HELD
                else:
                    _put_in_force(kind, snapshot)
                    status = SnapshotStatus.APPLIED
            else:
                extra = (period, snapshot.pk)
                batches = (
                    [(*row[1:], *extra) for row in rows]
                    for rows in prepared.batches("good", ("row_no", *cols))
                )
                bulk_upsert(model._meta.db_table, (*cols, "period", "snapshot_id"), batches,
                            key="nik", progress=progress)  # fmt: skip
                status = SnapshotStatus.APPLIED
            # the new row's first state (no one else sees it yet): not a SNAPSHOTS move
            snapshot.status = status
            snapshot.hold_reason = ",".join(holds)
            if status == SnapshotStatus.APPLIED:
                snapshot.applied_at = timezone.now()
            snapshot.save(update_fields=["status", "hold_reason", "applied_at", "rows_in_force",
                                         "rows_removed", "updated_at"])  # fmt: skip
            if kind in SAVED_ROWS:
                _prune_saved_rows(kind)
            applied = status == SnapshotStatus.APPLIED
            if applied:
                refresh_stats(latest_membership_period() or period)
            record_audit(
                actor, "coverage.import", snapshot,
                after={"kind": kind, "period": period.isoformat(), "rows": prepared.total,
                       "accepted": prepared.good, "rejected": prepared.rejected,
                       "applied": applied, "status": status, "removed": snapshot.rows_removed,
                       "hold": snapshot.hold_reason, "file": filename[:120]},
            )  # fmt: skip
    except IntegrityError:
        # the same snapshot committed by a simultaneous import
        existing = Snapshot.objects.filter(kind=kind, period=period, content_hash=digest).first()
        if existing is None:
            raise
        return ImportResult(existing, created=False, applied=False)
    return ImportResult(snapshot, created=True, applied=applied)


def _snapshot_conflict(message: str, code: str) -> Conflict:
    return Conflict(message, field="snapshot", code=code)


# After its import a snapshot moves only by an analyst's decision: a held one is confirmed or
# discarded, an applied one is withdrawn when the one before it is restored. The state an
# import settles on (applied, held, recorded, empty) is the new row's first state.
SNAPSHOTS = Workflow.of_actions(
    "coverage.snapshot",
    Snapshot,
    {
        "confirm": ((SnapshotStatus.HELD,), SnapshotStatus.APPLIED),
        "discard": ((SnapshotStatus.HELD,), SnapshotStatus.DISCARDED),
        "withdraw": ((SnapshotStatus.APPLIED,), SnapshotStatus.WITHDRAWN),
    },
)


def _held(snapshot: Snapshot) -> Snapshot:
    """Lock the snapshot's kind and read the row afresh; Conflict unless it is still held
    (SNAPSHOTS.move's compare-and-set then takes it from held exactly once)."""
    _lock_kind(snapshot.kind)
    snap = Snapshot.objects.get(pk=snapshot.pk)
    if snap.status != SnapshotStatus.HELD:
        raise _snapshot_conflict(_("Snapshot ini tidak sedang menunggu konfirmasi."),
                                 "snapshot_not_held")  # fmt: skip
    return snap


def _decide(
    actor: Actor, snap: Snapshot, action: str, note: str, *, now: datetime | None = None,
    changes: dict | None = None, audit: dict | None = None,
) -> None:  # fmt: skip
    """The one way a snapshot's status moves: along SNAPSHOTS, with who decided and when
    (audited as coverage.snapshot.<action>)."""
    now = now or timezone.now()
    SNAPSHOTS.move(
        actor, snap, action=action, now=now,
        changes={"decided_by": actor.user, "decided_at": now, **(changes or {})},
        audit={**(audit or {}), "note": note[:200]},
        stale=_("Snapshot ini tidak sedang menunggu konfirmasi.")
        if snap.status == SnapshotStatus.HELD else None,
    )  # fmt: skip


def confirm_snapshot(actor: Actor, snapshot: Snapshot, note: str = "") -> Snapshot:
    """An analyst confirms a held snapshot: its rows go in force (audited). Two confirmations
    at once: exactly one applies, the other is told it is no longer held."""
    require_office(actor)
    kind = snapshot.kind
    with transaction.atomic():
        snap = _held(snapshot)
        current = in_force(kind)
        if current is not None and snap.period < current.period:
            raise _snapshot_conflict(
                _("Sudah berlaku snapshot bulan yang lebih baru (%(month)s).")
                % {"month": f"{current.period:%Y-%m}"}, "snapshot_outdated",
            )  # fmt: skip
        in_force_n, removed = _removal(kind, snap)
        _put_in_force(kind, snap)
        now = timezone.now()
        _decide(
            actor, snap, "confirm", note, now=now,
            changes={"applied_at": now, "rows_in_force": in_force_n,
                     "rows_removed": removed},
            audit={"hold": snap.hold_reason, "rows_in_force": in_force_n, "removed": removed},
        )  # fmt: skip
        _prune_saved_rows(kind)
        if kind == SnapshotKind.MEMBERSHIP:
            refresh_stats(snap.period)
    return snap


def discard_snapshot(actor: Actor, snapshot: Snapshot, note: str = "") -> Snapshot:
    """An analyst refuses a held snapshot: nothing is applied, its saved rows are dropped."""
    require_office(actor)
    with transaction.atomic():
        snap = _held(snapshot)
        _decide(actor, snap, "discard", note)
        SAVED_ROWS[snap.kind].objects.filter(snapshot=snap).delete()
    return snap


def in_force_and_previous(kind: str) -> tuple[Snapshot | None, Snapshot | None]:
    """The snapshot in force, and the applied one before it whose rows are still kept (the
    one a restore puts back; None when there is none)."""
    current = in_force(kind)
    if current is None or kind not in SAVED_ROWS:
        return current, None
    candidates = (
        Snapshot.objects.filter(kind=kind, status=SnapshotStatus.APPLIED)
        .exclude(pk=current.pk)
        .annotate(kept=Exists(SAVED_ROWS[kind].objects.filter(snapshot=OuterRef("pk"))))
        .order_by("-applied_at", "-created_at", "-id")
    )
    return current, next((snap for snap in candidates[:5] if snap.kept), None)


def previous_snapshot(kind: str) -> Snapshot | None:
    """The applied snapshot before the one in force whose rows are still kept."""
    return in_force_and_previous(kind)[1]


def restore_previous(actor: Actor, kind: str, note: str = "") -> Snapshot:
    """Put the previous snapshot's rows back in force; the snapshot in force is withdrawn
    (audited). Returns the restored snapshot."""
    require_office(actor)
    if kind not in SAVED_ROWS:
        raise InvalidInput(_("Hanya kepesertaan JKN dan data kesejahteraan yang dapat "
                             "dipulihkan."), field="kind")  # fmt: skip
    with transaction.atomic():
        _lock_kind(kind)
        current, previous = in_force_and_previous(kind)
        if previous is None:
            raise _snapshot_conflict(_("Tidak ada snapshot sebelumnya yang dapat dipulihkan."),
                                     "nothing_to_restore")  # fmt: skip
        in_force_n, removed = _removal(kind, previous)
        _put_in_force(kind, previous)
        _decide(actor, current, "withdraw", note, audit={"restored": str(previous.public_id)})
        previous.applied_at = current.decided_at
        previous.save(update_fields=["applied_at", "updated_at"])
        if kind == SnapshotKind.MEMBERSHIP:
            if (
                current.period > previous.period
                and not Snapshot.objects.filter(
                    kind=kind, status=SnapshotStatus.APPLIED, period=current.period
                ).exists()
            ):
                # the withdrawn month's figures came from the withdrawn list
                CoverageStat.objects.filter(period=current.period).delete()
            refresh_stats(previous.period)
        record_audit(actor, "coverage.snapshot.restore", previous,
                     before={"in_force": str(current.public_id),
                             "period": current.period.isoformat()},
                     after={"in_force": str(previous.public_id),
                            "period": previous.period.isoformat(), "rows": in_force_n,
                            "removed": removed, "note": note[:200]})  # fmt: skip
    return previous


def latest_membership_period() -> date | None:
    """The month of the membership list in force."""
    snap = in_force(SnapshotKind.MEMBERSHIP)
    return snap.period if snap else None


def refresh_stats(period: date) -> int:
    """Recompute the month's coverage by kelurahan from the residents and members in force
    (one SQL statement in the database)."""
    CoverageStat.objects.filter(period=period).delete()
    r, m = Resident._meta.db_table, Membership._meta.db_table
    s = CoverageStat._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {s} (period, kelurahan_code, population, covered, active, pemda)
            SELECT %s, r.kelurahan_code, COUNT(*), COUNT(m.id),
                   SUM(CASE WHEN m.active THEN 1 ELSE 0 END),
                   SUM(CASE WHEN m.segment = %s THEN 1 ELSE 0 END)
            FROM {r} r LEFT JOIN {m} m ON m.nik = r.nik
            WHERE r.status = %s
            GROUP BY r.kelurahan_code""",
            [period, Segment.PBI_APBD, ResidentStatus.ALIVE],
        )
        return cur.rowcount


def population_by_kelurahan(area_code: str) -> tuple[date | None, dict[str, int]]:
    """Living residents per kelurahan in the population register in force (its month and the
    counts; (None, {}) without one), for the access analysis. Counts only, no person."""
    snapshot = in_force(SnapshotKind.POPULATION)
    if snapshot is None:
        return None, {}
    rows = (
        Resident.objects.filter(status=ResidentStatus.ALIVE, kelurahan_code__startswith=area_code)
        .values("kelurahan_code")
        .annotate(n=Count("id"))
        .values_list("kelurahan_code", "n")
    )
    return snapshot.period, dict(rows)


# --- lookup by NIK (other capabilities call this) -----------------------------------------------


@dataclass(frozen=True)
class CoverageStatus:
    """What SIGAP knows of one person's JKN cover (no name, no address)."""

    nik: str
    covered: bool
    active: bool
    segment: str  # "" when not covered
    inactive_reason: str
    faskes_code: str
    period: date | None  # month of the membership list this comes from
    enrolment: str  # status of a pending region enrolment ("" if none)


def coverage_status(
    nik: str, birth_date: date | None = None, *, proof: str | None = None
) -> CoverageStatus | None:
    """JKN cover of a NIK, or None when SIGAP does not know the person. With `birth_date`,
    a person whose registered birth date differs is also None. With `proof` (the public
    check), the family card (KK) number or the JKN card number must match what the
    registers hold - something the NIK itself does not encode - else None."""
    nik = (nik or "").strip()
    if len(nik) != 16 or not nik.isdigit():
        return None
    resident = Resident.objects.filter(nik=nik).values_list("birth_date", "family_card").first()
    member = Membership.objects.filter(nik=nik).first()
    if resident is None and member is None:
        return None
    if birth_date is not None:
        known = resident[0] if resident else None
        if known is None:
            known = _nik_birth_date(nik)
        if known != birth_date:
            return None
    if proof is not None and not proof_matches(
        proof, resident[1] if resident else "", member.card_number if member else ""
    ):
        return None
    pending = (
        Enrolment.objects.filter(
            nik=nik,
            status__in=[EnrolmentStatus.PROPOSED, EnrolmentStatus.SUBMITTED],
        )
        .values_list("status", flat=True)
        .first()
    )
    return CoverageStatus(
        nik=nik,
        covered=member is not None,
        active=bool(member and member.active),
        segment=member.segment if member else "",
        inactive_reason=member.inactive_reason if member else "",
        faskes_code=member.faskes_code if member else "",
        period=member.period if member else None,
        enrolment=pending or "",
    )


def normalise_number(value: str) -> str:
    """A KK or JKN card number as typed (spaces, dots, dashes) -> digits only."""
    return "".join(ch for ch in (value or "") if ch not in " .-/")


def proof_matches(proof: str, family_card: str, card_number: str) -> bool:
    """True when `proof` is the person's KK number (16 digits) or JKN card number (13 digits,
    leading zeros as on the card). Compared in constant time."""
    proof = normalise_number(proof)
    if not proof.isdigit():
        return False
    ok = False
    if family_card and len(proof) == 16:
        ok |= hmac.compare_digest(proof, family_card)
    if card_number and len(proof) == 13:
        ok |= hmac.compare_digest(proof.zfill(13), card_number.zfill(13))
    return ok


def _nik_birth_date(nik: str) -> date | None:
    try:
        return validate_nik(nik, check_region=False).birth_date
    except SigapError:
        return None


# --- flags from other capabilities --------------------------------------------------------------


def flag_resident(actor: Actor, nik: str, reason: str, source: str, note: str = ""):
    """Flag a resident for priority enrolment (pregnant, chronic, home care, ...). Other
    capabilities call this; flagging the same NIK for the same reason again is a no-op."""
    if actor.user is None and actor.channel not in TRUSTED_CHANNELS:
        require_role(actor, *OFFICE_ROLES)
    if reason not in FlagReason.values:
        raise InvalidInput(_("Alasan penandaan tidak dikenal."), field="reason")
    source = clip((source or "").strip(), ResidentFlag, "source")
    if not source:
        raise InvalidInput(_("Sumber penandaan wajib diisi."), field="source")
    try:
        nik = validate_nik(nik, check_region=False).nik
    except SigapError as exc:
        raise InvalidInput(exc.message, field="nik") from None
    with transaction.atomic():
        flag, created = ResidentFlag.objects.get_or_create(
            nik=nik,
            reason=reason,
            source=source,
            defaults={"note": clip(note, ResidentFlag, "note")},
        )
        if not created and flag.active:
            return flag
        if not created:
            flag.active = True
            flag.note = clip(note, ResidentFlag, "note") or flag.note
            flag.save(update_fields=["active", "note", "updated_at"])
        record_audit(actor, "coverage.flag", flag, object_label=f"{flag} {reason}",
                     after={"reason": reason, "source": source})  # fmt: skip
    return flag


def unflag_resident(actor: Actor, nik: str, reason: str, source: str) -> int:
    with transaction.atomic():
        n = ResidentFlag.objects.filter(nik=nik, reason=reason, source=source,
                                        active=True).update(active=False)  # fmt: skip
        if n:
            record_audit(actor, "coverage.unflag", object_type="coverage.residentflag",
                         object_id=f"{reason}:{source}",
                         after={"reason": reason, "source": source})  # fmt: skip
    return n


# --- enrolment quota ---------------------------------------------------------------------------

MAX_QUOTA = 10_000_000  # people a month; QuotaRun.quota is a 32-bit column


def priority_rule():
    """The rule in force (the newest); a default one is created on first use."""
    rule = PriorityRule.objects.order_by("-created_at", "-id").first()
    return rule or PriorityRule.objects.create()


RULE_FIELDS = ("max_decile", "poverty_points", "pregnant_points", "infant_points",
               "elderly_points", "chronic_points", "homecare_points", "flagged_points",
               "infant_max_months", "elderly_min_years")  # fmt: skip


def set_priority_rule(actor: Actor, values: dict[str, int]):
    """A new priority rule (rules are kept as history; the newest is in force)."""
    require_office(actor)
    clean: dict[str, int] = {}
    for name in RULE_FIELDS:
        raw = values.get(name)
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput(_("Harus bilangan bulat."), field=name) from None
        if not 0 <= number <= (10 if name == "max_decile" else 1000):
            raise InvalidInput(_("Di luar rentang yang diizinkan."), field=name)
        clean[name] = number
    with transaction.atomic():
        before = {f: getattr(priority_rule(), f) for f in RULE_FIELDS}
        rule = PriorityRule.objects.create(**clean)
        record_audit(actor, "coverage.priority_rule", rule, before=before, after=clean)
    return rule


@dataclass(frozen=True)
class Candidate:
    nik: str
    kelurahan_code: str
    score: int
    reasons: tuple[str, ...]
    decile: int | None


def _months_between(born: date, today: date) -> int:
    return (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)


def rank_candidates(area_code: str, today: date, rule: PriorityRule | None = None):
    """Uninsured alive residents of the area not already in an enrolment, best first."""
    rule = rule or priority_rule()
    taken = Enrolment.objects.filter(
        status__in=[EnrolmentStatus.PROPOSED, EnrolmentStatus.SUBMITTED,
                    EnrolmentStatus.ACTIVATED]
    ).values("nik")  # fmt: skip
    people = uninsured(area_code).exclude(nik__in=taken)
    nik_sub = people.values("nik")
    deciles = dict(WelfareEntry.objects.filter(nik__in=nik_sub).values_list("nik", "decile"))
    flags: dict[str, set[str]] = {}
    for nik, reason in ResidentFlag.objects.filter(nik__in=nik_sub, active=True).values_list(
        "nik", "reason"
    ):
        flags.setdefault(nik, set()).add(reason)
    specific = {FlagReason.PREGNANT, FlagReason.CHRONIC, FlagReason.HOMECARE}
    out: list[Candidate] = []
    rows = people.values_list("nik", "kelurahan_code", "birth_date")
    for nik, kel, born in rows.iterator(chunk_size=10_000):
        decile = deciles.get(nik)
        f = flags.get(nik, set())
        months = _months_between(born, today) if born else None
        checks = (
            ("poverty", decile is not None and decile <= rule.max_decile),
            ("pregnant", FlagReason.PREGNANT in f),
            ("infant", months is not None and months < rule.infant_max_months),
            ("elderly", months is not None and months >= 12 * rule.elderly_min_years),
            ("chronic", FlagReason.CHRONIC in f),
            ("homecare", FlagReason.HOMECARE in f),
            ("flagged", bool(f - specific)),
        )
        reasons = tuple(name for name, hit in checks if hit)
        score = sum(getattr(rule, f"{r}_points") for r in reasons)
        out.append(Candidate(nik, kel, score, reasons, decile))
    out.sort(key=lambda c: (-c.score, c.decile or 11, c.nik))
    return out


def run_quota(
    actor: Actor,
    period: date,
    *,
    area_code: str,
    quota: int | None = None,
    budget: int | None = None,
    today: date | None = None,
) -> QuotaRun:
    """Pick the month's enrolment list: the best-ranked uninsured residents, up to the quota
    (and to what the budget pays at the premium in force). One live run per month and area:
    a second run for the same month is refused (unique constraint, so two simultaneous runs
    cannot both take the slots)."""
    require_office(actor)
    if actor.user is not None:
        require_area(actor, area_code)
    period = month_start(period)
    quota = conf.monthly_quota() if quota is None else int(quota)
    premium = conf.premium()
    if quota < 0:
        raise InvalidInput(_("Kuota tidak boleh negatif."), field="quota")
    if quota > MAX_QUOTA:  # past what the quota column holds (a 500 on SQLite and PostgreSQL)
        raise InvalidInput(_("Kuota paling besar %(n)s.") % {"n": MAX_QUOTA}, field="quota")
    if budget is not None:
        if budget < 0:
            raise InvalidInput(_("Anggaran tidak boleh negatif."), field="budget")
        quota = min(quota, budget // premium)
    rule = priority_rule()
    if QuotaRun.objects.filter(
        program=QuotaRun.Program.JKN, period=period, area_code=area_code,
        status=QuotaRun.Status.DONE,
    ).exists():  # fmt: skip
        raise _already_run(period)
    try:
        with transaction.atomic():
            # The slot is the run row: the unique constraint lets exactly one run commit.
            run = QuotaRun.objects.create(
                program=QuotaRun.Program.JKN, period=period, quota=quota, premium=premium,
                area_code=area_code, rule={f: getattr(rule, f) for f in RULE_FIELDS},
                created_by=actor.user,
            )  # fmt: skip
            ranked = rank_candidates(area_code, today or timezone.localdate(), rule)
            chosen = ranked[:quota]
            now = timezone.now()
            Enrolment.objects.bulk_create(
                [Enrolment(run=run, nik=c.nik, kelurahan_code=c.kelurahan_code, rank=i,
                           score=c.score, reasons=",".join(c.reasons), status_at=now)
                 for i, c in enumerate(chosen, start=1)],
                batch_size=2000,
            )  # fmt: skip
            run.selected, run.candidates = len(chosen), len(ranked)
            run.save(update_fields=["selected", "candidates", "updated_at"])
            record_audit(actor, "coverage.quota_run", run,
                         after={"period": period.isoformat(), "quota": quota,
                                "selected": len(chosen), "candidates": len(ranked),
                                "premium": premium})  # fmt: skip
    except IntegrityError:
        raise _already_run(period) from None
    return run


def _already_run(period: date):
    return Conflict(
        _("Kuota bulan %(month)s sudah dijalankan.") % {"month": f"{period:%Y-%m}"},
        field="period", code="quota_already_run",
    )  # fmt: skip


def cancel_quota_run(actor: Actor, run: QuotaRun, reason: str) -> QuotaRun:
    """Cancel a run whose list has not gone to BPJS yet; its slots are freed."""
    require_office(actor)
    with transaction.atomic():
        run = QuotaRun.objects.select_for_update().get(pk=run.pk)
        if run.status != QuotaRun.Status.DONE:
            raise Conflict(_("Putaran ini sudah dibatalkan."), field="run")
        if run.enrolments.exclude(status=EnrolmentStatus.PROPOSED).exists():
            raise Conflict(_("Daftar sudah dikirim ke BPJS; tidak dapat dibatalkan."),
                           field="run")  # fmt: skip
        ids = list(run.enrolments.values_list("pk", flat=True))
        move_enrolments(actor, ids, EnrolmentStatus.CANCELLED, reason or "run cancelled")
        QUOTA_RUNS.move(actor, run, action="quota_cancel", reason=reason)
    return run


# a quota run is cancelled as a whole (its proposed enrolments with it) or stays done
QUOTA_RUNS = Workflow.of_actions(
    "coverage", QuotaRun, {"quota_cancel": ((QuotaRun.Status.DONE,), QuotaRun.Status.CANCELLED)}
)

# One transition table for enrolments: status -> statuses it may move to.
ENROLMENTS = Workflow.of(
    "coverage.enrolment",
    Enrolment,
    {
        EnrolmentStatus.PROPOSED: (EnrolmentStatus.SUBMITTED, EnrolmentStatus.CANCELLED),
        EnrolmentStatus.SUBMITTED: (EnrolmentStatus.ACTIVATED, EnrolmentStatus.REJECTED),
    },
)


def move_enrolments(actor: Actor, ids: list[int], to: str, reason: str = "") -> int:
    """The one function that changes enrolment statuses. Each row moves only from a status
    the transition table allows (compare-and-set on the status), with who, when and why
    recorded; rows in any other status are left alone. Returns how many moved."""
    require_office(actor)
    if to not in ENROLMENTS.states():
        raise InvalidInput(_("Status tujuan tidak dikenal."), field="status")
    now = timezone.now()
    moved = 0
    with transaction.atomic():
        for start in range(0, len(ids), 900):
            chunk = Enrolment.objects.filter(pk__in=ids[start : start + 900])
            done = ENROLMENTS.move_many(
                actor, chunk, to, changes={"status_at": now}, now=now, audit=False
            )
            EnrolmentEvent.objects.bulk_create(
                [EnrolmentEvent(enrolment_id=m.pk, from_status=m.before, to_status=to,
                                actor_label=clip(actor.display, EnrolmentEvent, "actor_label"),
                                reason=clip(reason, EnrolmentEvent, "reason"))
                 for m in done]
            )  # fmt: skip
            moved += len(done)
            if to == EnrolmentStatus.ACTIVATED and done:
                niks = Enrolment.objects.filter(pk__in=[m.pk for m in done])
                _activate_members(list(niks.values_list("nik", flat=True)), now.date())
        if moved and to == EnrolmentStatus.ACTIVATED:
            # the new members count in the month in force at once
            refresh_stats(latest_membership_period() or month_start(now.date()))
        if moved:
            record_audit(actor, f"coverage.enrolment.{to}", object_type="coverage.enrolment",
                         object_id=",".join(str(i) for i in ids[:20]),  # record_audit clips it
                         after={"to": to, "moved": moved, "reason": reason[:200]})  # fmt: skip
    return moved


def _activate_members(niks: list[str], today: date) -> None:
    """An activated PBI APBD enrolment is a member at once ("UHC Prioritas"); the next
    membership list from BPJS replaces this row with what BPJS holds."""
    rows = [[(nik, "", Segment.PBI_APBD, True, "", "", 3, month_start(today), None)
             for nik in niks]]  # fmt: skip
    bulk_upsert(
        Membership._meta.db_table,
        ("nik", "card_number", "segment", "active", "inactive_reason", "faskes_code",
         "care_class", "period", "snapshot_id"),
        rows, key="nik",
    )  # fmt: skip


def submit_run(actor: Actor, run: QuotaRun) -> int:
    """Mark the run's proposed enrolments as sent to BPJS (when the list is handed over)."""
    ids = list(run.enrolments.filter(status=EnrolmentStatus.PROPOSED).values_list("pk", flat=True))
    return move_enrolments(actor, ids, EnrolmentStatus.SUBMITTED, "list sent to BPJS")


def record_activations(actor: Actor, run: QuotaRun, niks: list[str], *, rejected: bool = False,
                       reason: str = "") -> int:  # fmt: skip
    """Record which residents of a submitted list BPJS activated (or rejected)."""
    wanted = {n.strip() for n in niks if n and n.strip()}
    ids = list(run.enrolments.filter(nik__in=wanted).values_list("pk", flat=True))
    to = EnrolmentStatus.REJECTED if rejected else EnrolmentStatus.ACTIVATED
    return move_enrolments(actor, ids, to, reason or "BPJS confirmation")


# --- vulnerable workers (BPJS Ketenagakerjaan) ---------------------------------------------------


def register_worker(
    actor: Actor, *, nik: str, name: str, occupation: str, kelurahan_code: str,
    wants_jht: bool = False,
) -> Worker:  # fmt: skip
    """Register (or update) a vulnerable worker for region-paid JKK/JKM cover."""
    require_office(actor)
    try:
        nik = validate_nik(nik, check_region=False).nik
    except SigapError as exc:
        raise InvalidInput(exc.message, field="nik") from None
    name, occupation = (name or "").strip(), (occupation or "").strip()
    if not name or len(name) > 128:
        raise InvalidInput(_("Nama wajib diisi (paling panjang 128)."), field="name")
    if not occupation or len(occupation) > 64:
        raise InvalidInput(_("Pekerjaan wajib diisi (paling panjang 64)."), field="occupation")
    if not Region.objects.filter(code=kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kode kelurahan tidak dikenal."), field="kelurahan_code")
    if actor.user is not None:
        require_area(actor, kelurahan_code)
    with transaction.atomic():
        worker = Worker.objects.select_for_update().filter(nik=nik).first()
        before = None
        if worker is None:
            worker = Worker(nik=nik)
        else:
            before = {"occupation": worker.occupation, "wants_jht": worker.wants_jht}
        worker.name, worker.occupation = name, occupation
        worker.kelurahan_code, worker.wants_jht = kelurahan_code, bool(wants_jht)
        worker.save()
        record_audit(actor, "coverage.worker.register" if before is None else
                     "coverage.worker.update", worker, before=before,
                     after={"occupation": occupation, "wants_jht": bool(wants_jht)})  # fmt: skip
    return worker


def worker_premium(jht: bool) -> int:
    p = conf.workers_premiums()
    return p["jkk"] + p["jkm"] + (p["jht"] if jht else 0)


def run_workers_month(
    actor: Actor, period: date, *, area_code: str, quota: int | None = None
) -> QuotaRun:
    """The month's list of covered workers: last month's active workers go on, then newly
    registered ones (oldest registration first) up to the quota. One list per month."""
    require_office(actor)
    period = month_start(period)
    quota = conf.workers_quota() if quota is None else int(quota)
    if quota < 0:
        raise InvalidInput(_("Kuota tidak boleh negatif."), field="quota")
    if quota > MAX_QUOTA:  # past what the quota column holds (a 500 on SQLite and PostgreSQL)
        raise InvalidInput(_("Kuota paling besar %(n)s.") % {"n": MAX_QUOTA}, field="quota")
    prev = (period - timedelta(days=1)).replace(day=1)
    try:
        with transaction.atomic():
            run = QuotaRun.objects.create(
                program=QuotaRun.Program.WORKERS, period=period, quota=quota,
                premium=worker_premium(False), area_code=area_code, created_by=actor.user,
            )  # fmt: skip
            workers = Worker.objects.filter(kelurahan_code__startswith=area_code)
            continuing = list(
                workers.filter(enrolments__period=prev,
                               enrolments__status=WorkerEnrolment.Status.ACTIVE)
                .order_by("created_at", "id")
            )  # fmt: skip
            ever = WorkerEnrolment.objects.values("worker_id")
            new = list(workers.exclude(pk__in=ever).order_by("created_at", "id"))
            chosen = (continuing + new)[:quota]
            WorkerEnrolment.objects.bulk_create(
                [WorkerEnrolment(worker=w, run=run, period=period, jht=w.wants_jht,
                                 premium=worker_premium(w.wants_jht)) for w in chosen]
            )  # fmt: skip
            run.selected, run.candidates = len(chosen), len(continuing) + len(new)
            run.save(update_fields=["selected", "candidates", "updated_at"])
            record_audit(actor, "coverage.workers_run", run,
                         after={"period": period.isoformat(), "quota": quota,
                                "listed": len(chosen)})  # fmt: skip
    except IntegrityError:
        raise _already_run(period) from None
    return run


WORKER_ENROLMENTS = Workflow.of(
    "coverage.worker_enrolment",
    WorkerEnrolment,
    {
        WorkerEnrolment.Status.LISTED: (
            WorkerEnrolment.Status.ACTIVE,
            WorkerEnrolment.Status.REJECTED,
        )
    },
)


def set_worker_enrolments(actor: Actor, run: QuotaRun, niks: list[str], to: str) -> int:
    """Record BPJS Ketenagakerjaan's answer for listed workers (compare-and-set on status)."""
    require_office(actor)
    if to not in WORKER_ENROLMENTS.next_states(WorkerEnrolment.Status.LISTED):
        raise InvalidInput(_("Status tujuan tidak dikenal."), field="status")
    with transaction.atomic():
        rows = WorkerEnrolment.objects.filter(run=run, worker__nik__in=[x.strip() for x in niks])
        n = len(WORKER_ENROLMENTS.move_many(actor, rows, to, audit=False))
        if n:
            record_audit(actor, f"coverage.worker_enrolment.{to}", run, after={"moved": n})
    return n
