"""Issue 17 (High): a complete list (JKN membership, welfare) never removes people silently.

A file whose rows are all refused applies nothing; a file that accepted too few rows or would
remove too many members is held for an analyst's confirmation (page, command line and
service all go through the same guard); the previous snapshot can be restored.
"""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from sigap.core.errors import Conflict, Forbidden
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.coverage import selectors, services
from sigap.coverage.models import CoverageStat, Membership, MembershipRow, Snapshot

from .conftest import KEL_A, KEL_B, MEM_HEADER, POP_HEADER, TODAY, person, write_csv

pytestmark = pytest.mark.django_db
MAY, JUNE, JULY = date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)
PEOPLE = [person("337401", date(1970, 1, 1) + timedelta(days=i * 37), 100 + i,
                 KEL_A if i % 2 else KEL_B) for i in range(50)]  # fmt: skip
NIKS = [p[0] for p in PEOPLE]


def member_rows(niks):
    return [[n, f"000{i:010d}", "PBI-APBN", "1", "", "P01", "3"] for i, n in enumerate(niks)]


def bad_rows(n):
    return [[f"12345{i}", "", "PPU", "1", "", "", ""] for i in range(n)]  # NIK not 16 digits


@pytest.fixture
def may(semarang, cli, tmp_path):
    """50 residents, 40 of them JKN members in May (the snapshot in force)."""
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE),
                             MAY, today=TODAY)  # fmt: skip
    res = services.import_snapshot(
        cli, "membership", write_csv(tmp_path / "m5.csv", MEM_HEADER, member_rows(NIKS[:40])),
        MAY, today=TODAY,
    )  # fmt: skip
    assert res.applied and Membership.objects.count() == 40
    return res.snapshot


def _import(cli, tmp_path, name, rows, period=JUNE):
    path = write_csv(tmp_path / name, MEM_HEADER, rows)
    return services.import_snapshot(cli, "membership", path, period, today=TODAY)


def _covered():
    return sum(CoverageStat.objects.filter(period=MAY).values_list("covered", flat=True))


def test_an_all_refused_file_applies_nothing(may, cli, tmp_path):
    res = _import(cli, tmp_path, "bad.csv", bad_rows(50))
    snap = res.snapshot
    assert res.created and not res.applied and snap.status == "empty"
    assert (snap.rows_accepted, snap.rows_rejected) == (0, 50)
    assert Membership.objects.count() == 40  # not 0
    assert services.in_force("membership") == may
    assert _covered() == 40 and not CoverageStat.objects.filter(period=JUNE).exists()
    assert snap.rejections.count() == 50  # the report is still kept
    audit = AuditEvent.objects.filter(action="coverage.import").latest("at")
    assert audit.after["status"] == "empty" and audit.after["applied"] is False
    # the same file again: nothing changes, still one snapshot
    again = _import(cli, tmp_path, "bad.csv", bad_rows(50))
    assert not again.created and Snapshot.objects.filter(kind="membership").count() == 2
    with pytest.raises(Conflict):
        services.confirm_snapshot(cli, snap)  # an empty snapshot cannot be forced in


def test_a_mostly_refused_file_is_held_until_confirmed(may, cli, tmp_path, analyst_actor):
    # all 40 members again plus 1 new one, but 10 broken rows: 41 of 51 accepted (80%)
    res = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:41]) + bad_rows(10))
    snap = res.snapshot
    assert res.held and not res.applied and snap.hold_reason == "low_accepted"
    assert snap.rows_removed == 0 and snap.rows_in_force == 40
    assert Membership.objects.count() == 40 and services.in_force("membership") == may
    assert "41 dari 51" in services.hold_reasons(snap)[0]
    confirmed = services.confirm_snapshot(analyst_actor, snap, "dicek")
    assert confirmed.status == "applied" and confirmed.decided_by == analyst_actor.user
    assert Membership.objects.count() == 41
    assert set(Membership.objects.values_list("snapshot_id", flat=True)) == {snap.pk}
    assert sum(CoverageStat.objects.filter(period=JUNE).values_list("covered", flat=True)) == 41
    event = AuditEvent.objects.get(action="coverage.snapshot.confirm")
    assert event.actor == analyst_actor.user and event.after["note"] == "dicek"


def test_a_large_removal_is_held_confirmed_and_the_previous_restored(
    may, cli, tmp_path, analyst_actor
):
    res = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:30]))  # 10 of 40 gone: 25%
    snap = res.snapshot
    assert res.held and snap.hold_reason == "large_removal"
    assert (snap.rows_in_force, snap.rows_removed) == (40, 10)
    assert Membership.objects.count() == 40
    services.confirm_snapshot(analyst_actor, snap)
    assert Membership.objects.count() == 30
    assert selectors.latest_period() == JUNE
    # the previous snapshot can be restored: the 10 removed members come back
    assert services.previous_snapshot("membership") == may
    restored = services.restore_previous(analyst_actor, "membership", "daftar Juni salah")
    assert restored == may and services.in_force("membership") == may
    assert set(Membership.objects.values_list("nik", flat=True)) == set(NIKS[:40])
    assert Membership.objects.filter(period=MAY).count() == 40
    snap.refresh_from_db()
    assert snap.status == "withdrawn" and snap.decided_by == analyst_actor.user
    assert not CoverageStat.objects.filter(period=JUNE).exists()  # June's figures withdrawn
    assert selectors.latest_period() == MAY and _covered() == 40
    event = AuditEvent.objects.get(action="coverage.snapshot.restore")
    assert event.before["period"] == "2026-06-01" and event.after["period"] == "2026-05-01"
    # nothing before May: a second restore is refused and changes nothing
    with pytest.raises(Conflict):
        services.restore_previous(analyst_actor, "membership")
    assert Membership.objects.count() == 40


def test_a_small_removal_applies_at_once(may, cli, tmp_path):
    res = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:38] + NIKS[40:45]))  # 2 of 40: 5%
    assert res.applied and res.snapshot.status == "applied" and res.snapshot.rows_removed == 2
    assert Membership.objects.count() == 43


def test_confirm_is_done_once_and_discard_changes_nothing(may, cli, tmp_path, analyst_actor):
    held = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10])).snapshot
    assert held.status == "held"
    discarded = services.discard_snapshot(analyst_actor, held, "salah berkas")
    assert discarded.status == "discarded" and Membership.objects.count() == 40
    assert not MembershipRow.objects.filter(snapshot=held).exists()
    with pytest.raises(Conflict):
        services.confirm_snapshot(analyst_actor, held)
    with pytest.raises(Conflict):
        services.discard_snapshot(analyst_actor, held)
    held2 = _import(cli, tmp_path, "m6b.csv", member_rows(NIKS[:20])).snapshot
    services.confirm_snapshot(analyst_actor, held2)
    with pytest.raises(Conflict):
        services.confirm_snapshot(analyst_actor, held2)  # the same confirm twice
    assert AuditEvent.objects.filter(action="coverage.snapshot.confirm").count() == 1
    assert Membership.objects.count() == 20


def test_a_held_month_is_not_confirmed_over_a_newer_one(may, cli, tmp_path, analyst_actor):
    held = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10])).snapshot
    july = _import(cli, tmp_path, "m7.csv", member_rows(NIKS[:41]), period=JULY)
    assert july.applied
    with pytest.raises(Conflict):
        services.confirm_snapshot(analyst_actor, held)
    assert Membership.objects.count() == 41


def test_only_office_roles_decide(may, cli, tmp_path, make_user):
    held = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10])).snapshot
    nurse = Actor(user=make_user("perawat", "puskesmas_staff"), channel="web")
    with pytest.raises(Forbidden):
        services.confirm_snapshot(nurse, held)
    with pytest.raises(Forbidden):
        services.restore_previous(nurse, "membership")
    assert Membership.objects.count() == 40


def test_welfare_lists_are_guarded_too(may, cli, tmp_path):
    rows = [[n, 3] for n in NIKS[:40]]
    services.import_snapshot(cli, "welfare", write_csv(tmp_path / "w5.csv", ["nik", "desil"], rows),
                             MAY, today=TODAY)  # fmt: skip
    bad = [["x", 3]] * 5
    res = services.import_snapshot(cli, "welfare", write_csv(tmp_path / "w6.csv", ["nik", "desil"],
                                   bad), JUNE, today=TODAY)  # fmt: skip
    assert res.snapshot.status == "empty"
    from sigap.coverage.models import WelfareEntry

    assert WelfareEntry.objects.count() == 40


def test_the_command_line_goes_through_the_guard(may, cli, tmp_path):
    path = write_csv(tmp_path / "m6.csv", MEM_HEADER, member_rows(NIKS[:5]))
    out = io.StringIO()
    call_command("coverage", "import", "membership", str(path), "--period", "2026-06",
                 "--no-progress", stdout=out)  # fmt: skip
    assert "HELD" in out.getvalue() and Membership.objects.count() == 40
    held = Snapshot.objects.get(status="held")
    out = io.StringIO()
    call_command("coverage", "snapshot", "confirm", str(held.public_id), stdout=out)
    assert "confirmed" in out.getvalue() and Membership.objects.count() == 5
    call_command("coverage", "snapshot", "restore", "membership", stdout=io.StringIO())
    assert Membership.objects.count() == 40
    bad = write_csv(tmp_path / "bad.csv", MEM_HEADER, bad_rows(50))
    out = io.StringIO()
    call_command("coverage", "import", "membership", str(bad), "--period", "2026-07",
                 "--no-progress", stdout=out)  # fmt: skip
    assert "nothing applied" in out.getvalue() and Membership.objects.count() == 40


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def office(client, make_user):
    client.force_login(make_user("analis", "analyst", area_code="3374"))
    return client


def _upload(client, name, rows, period="2026-06"):
    buf = io.StringIO()
    import csv

    w = csv.writer(buf)
    w.writerow(MEM_HEADER)
    w.writerows(rows)
    f = io.BytesIO(buf.getvalue().encode())
    f.name = name
    return client.post("/dinkes/jkn/impor/", {"jenis": "membership", "periode": period,
                                             "berkas": f}, follow=True)  # fmt: skip


def test_the_upload_page_holds_confirms_and_restores(may, office):
    resp = _upload(office, "semua-ditolak.csv", bad_rows(50))
    html = resp.content.decode()
    assert resp.status_code == 200 and "tidak ada yang diterapkan" in html
    assert Membership.objects.count() == 40
    resp = _upload(office, "juni.csv", member_rows(NIKS[:10]))
    html = resp.content.decode()
    assert 'id="held"' in html and "DITAHAN" in html and "menghapus 30 dari 40" in html
    assert Membership.objects.count() == 40
    held = Snapshot.objects.get(status="held")
    resp = office.post(f"/dinkes/jkn/impor/{held.public_id}/", {"aksi": "konfirmasi"},
                       follow=True)  # fmt: skip
    assert "dikonfirmasi" in resp.content.decode() and Membership.objects.count() == 10
    resp = office.post(f"/dinkes/jkn/impor/{held.public_id}/", {"aksi": "konfirmasi"},
                       follow=True)  # fmt: skip
    assert "tidak sedang menunggu" in resp.content.decode()  # the second click: no change
    html = office.get("/dinkes/jkn/impor/").content.decode()
    assert 'id="restore-membership"' in html
    resp = office.post("/dinkes/jkn/impor/", {"aksi": "pulihkan", "jenis": "membership"},
                       follow=True)  # fmt: skip
    assert "dipulihkan" in resp.content.decode() and Membership.objects.count() == 40
    resp = office.post("/dinkes/jkn/impor/", {"aksi": "pulihkan", "jenis": "membership"})
    assert resp.status_code == 409 and Membership.objects.count() == 40


def test_deciding_needs_an_office_role_and_csrf(may, cli, tmp_path, client, make_user):
    held = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10])).snapshot
    client.force_login(make_user("perawat", "puskesmas_staff", area_code="3374"))
    assert client.post(f"/dinkes/jkn/impor/{held.public_id}/",
                       {"aksi": "konfirmasi"}).status_code == 403  # fmt: skip
    assert (
        client.post("/dinkes/jkn/impor/", {"aksi": "pulihkan", "jenis": "membership"}).status_code
        == 403
    )
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("analis2", "analyst", area_code="3374"))
    assert (
        strict.post("/dinkes/jkn/impor/", {"aksi": "pulihkan", "jenis": "membership"}).status_code
        == 403
    )
    assert Membership.objects.count() == 40 and Snapshot.objects.get(pk=held.pk).status == "held"


def test_the_same_held_file_twice_is_one_held_snapshot(may, cli, tmp_path):
    first = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10]))
    again = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10]))
    assert first.held and not again.created and again.snapshot.pk == first.snapshot.pk
    assert Snapshot.objects.filter(status="held").count() == 1
    assert MembershipRow.objects.filter(snapshot=first.snapshot).count() == 10
    assert Membership.objects.count() == 40


# --- the snapshot's workflow (issue 18: one transition table, one move) -----------------------


def test_snapshot_statuses_move_only_along_their_table():
    from sigap.coverage.models import SnapshotStatus as S

    table = services.SNAPSHOTS
    assert table.states() <= set(S.values)
    assert table.next_states(S.HELD) == {S.APPLIED, S.DISCARDED}
    assert table.next_states(S.APPLIED) == {S.WITHDRAWN}
    for first in (S.RECORDED, S.EMPTY, S.DISCARDED, S.WITHDRAWN):
        assert not table.next_states(first)  # an import's other outcomes are final


def test_a_restore_withdraws_the_snapshot_in_force_through_the_table(
    may, cli, tmp_path, analyst_actor
):
    june = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:39]))  # 1 of 40 gone: applied
    assert june.applied
    services.restore_previous(analyst_actor, "membership", "salah bulan")
    withdrawn = AuditEvent.objects.get(action="coverage.snapshot.withdraw")
    assert withdrawn.object_id == str(june.snapshot.public_id)
    assert withdrawn.actor == analyst_actor.user
    assert withdrawn.before == {"status": "applied"}
    assert withdrawn.after["status"] == "withdrawn" and withdrawn.after["note"] == "salah bulan"
    # a withdrawn snapshot moves no further; the refusal writes nothing
    june.snapshot.refresh_from_db()
    with pytest.raises(Conflict):
        services.SNAPSHOTS.move(analyst_actor, june.snapshot, action="withdraw")
    assert AuditEvent.objects.filter(action="coverage.snapshot.withdraw").count() == 1


def test_a_stale_copy_of_a_held_snapshot_is_decided_once(may, cli, tmp_path, analyst_actor):
    held = _import(cli, tmp_path, "m6.csv", member_rows(NIKS[:10])).snapshot
    stale_copy = Snapshot.objects.get(pk=held.pk)
    services.discard_snapshot(analyst_actor, held)
    with pytest.raises(Conflict) as refused:
        services.confirm_snapshot(analyst_actor, stale_copy)  # still says "held" in memory
    assert refused.value.code == "snapshot_not_held"
    assert Snapshot.objects.get(pk=held.pk).status == "discarded"
    assert Membership.objects.count() == 40
    event = AuditEvent.objects.get(action="coverage.snapshot.discard")
    assert event.before == {"status": "held"} and event.after["status"] == "discarded"
    assert not AuditEvent.objects.filter(action="coverage.snapshot.confirm").exists()
