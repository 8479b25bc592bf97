"""Lookup by NIK, flags, UHC status, the quota run and enrolment, workers' cover."""

import io
from datetime import date

import pytest

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.models import AuditEvent
from sigap.coverage import selectors, services
from sigap.coverage.models import (
    EnrolmentEvent,
    EnrolmentStatus,
    Membership,
    QuotaRun,
    WorkerEnrolment,
)

from .conftest import KEL_A, KEL_B, KEL_C, MEM_HEADER, POP_HEADER, TODAY, nik, person, write_csv

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)

# uninsured: poor adult, pregnant woman, infant, elderly, ordinary adult, home-care patient
POOR = person("337401", date(1990, 2, 2), 11, KEL_A)
PREGNANT = person("337401", date(1995, 3, 3), 12, KEL_A, female=True)
INFANT = person("337402", date(2026, 1, 10), 13, KEL_B)
ELDER = person("337402", date(1950, 4, 4), 14, KEL_B, female=True)
ORDINARY = person("337410", date(1988, 5, 5), 15, KEL_C)
HOMECARE = person("337410", date(1970, 6, 6), 16, KEL_C)
MEMBER = person("337401", date(1980, 1, 1), 17, KEL_A)


@pytest.fixture
def registers(semarang, cli, tmp_path):
    people = [POOR, PREGNANT, INFANT, ELDER, ORDINARY, HOMECARE, MEMBER]
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, people),
                             MAY, today=TODAY)  # fmt: skip
    services.import_snapshot(
        cli, "membership",
        write_csv(tmp_path / "m.csv", MEM_HEADER, [[MEMBER[0], "1", "PBPU", "0", "menunggak", "",
                                                    ""]]),
        MAY, today=TODAY,
    )  # fmt: skip
    services.import_snapshot(
        cli, "welfare",
        write_csv(tmp_path / "w.csv", ["nik", "desil"], [[POOR[0], 1], [ORDINARY[0], 7]]),
        MAY, today=TODAY,
    )  # fmt: skip
    services.flag_resident(cli, PREGNANT[0], "pregnant", "nutrition")
    services.flag_resident(cli, HOMECARE[0], "homecare", "homecare")


def test_coverage_status_needs_the_right_birth_date(registers):
    status = services.coverage_status(MEMBER[0])
    assert status.covered and not status.active and status.segment == "PBPU"
    assert status.inactive_reason == "menunggak"
    assert services.coverage_status(MEMBER[0], date(1980, 1, 1)).covered
    assert services.coverage_status(MEMBER[0], date(1980, 1, 2)) is None  # wrong: unknown
    assert services.coverage_status(POOR[0], date(1990, 2, 2)).covered is False
    assert services.coverage_status("3374010101990099") is None
    assert services.coverage_status("abc") is None


def test_flags_are_idempotent_and_validated(registers, cli):
    before = AuditEvent.objects.filter(action="coverage.flag").count()
    services.flag_resident(cli, PREGNANT[0], "pregnant", "nutrition")
    assert AuditEvent.objects.filter(action="coverage.flag").count() == before
    with pytest.raises(InvalidInput):
        services.flag_resident(cli, "123", "pregnant", "nutrition")
    with pytest.raises(InvalidInput):
        services.flag_resident(cli, PREGNANT[0], "bogus", "nutrition")


def test_uhc_predicate_and_awards():
    assert selectors.uhc_status(1000, 990, 950, 180).award == "utama"
    assert selectors.uhc_status(1000, 990, 985, 100).award == "madya"  # pemda too low for utama
    assert selectors.uhc_status(1000, 1000, 1000, 0).award == "utama"  # 100% active waives it
    assert selectors.uhc_status(1000, 985, 800, 250).award == "madya"  # alternative route
    assert selectors.uhc_status(1000, 985, 800, 100).award == "pratama"
    u = selectors.uhc_status(1000, 980, 900, 0)
    assert u.award == "madya" and not u.predicate  # predicate needs coverage above 98%
    assert selectors.uhc_status(1000, 981, 780, 0).predicate is False
    assert selectors.uhc_status(1000, 970, 970, 0).award == ""
    assert selectors.uhc_status(0, 0, 0, 0).award == ""


def test_quota_run_ranks_by_the_rule_and_moves_through_states(registers, cli, analyst_actor):
    run = services.run_quota(analyst_actor, MAY, area_code="3374", quota=4, today=TODAY)
    picked = list(run.enrolments.order_by("rank").values_list("nik", "reasons"))
    # poverty 40 > pregnant 30 > infant 25 > elderly 20 = homecare 20 (NIK order)
    assert picked == [(POOR[0], "poverty"), (PREGNANT[0], "pregnant"), (INFANT[0], "infant"),
                      (ELDER[0], "elderly")]  # fmt: skip
    assert (run.selected, run.candidates, run.monthly_budget) == (4, 6, 4 * 42_000)
    with pytest.raises(Conflict):
        services.run_quota(analyst_actor, MAY, area_code="3374", quota=4, today=TODAY)
    assert services.submit_run(analyst_actor, run) == 4
    # activating one that is not in the list, and one twice, moves only what may move
    assert services.record_activations(analyst_actor, run, [POOR[0], ORDINARY[0]]) == 1
    assert services.record_activations(analyst_actor, run, [POOR[0]]) == 0
    assert services.record_activations(analyst_actor, run, [INFANT[0]], rejected=True) == 1
    counts = selectors.enrolment_counts(run)
    assert counts["activated"] == 1 and counts["rejected"] == 1 and counts["submitted"] == 2
    assert Membership.objects.get(nik=POOR[0]).segment == "PBI-APBD"  # active at once
    assert services.coverage_status(POOR[0]).active
    events = EnrolmentEvent.objects.filter(enrolment__nik=POOR[0]).values_list(
        "from_status", "to_status"
    )
    assert list(events) == [("proposed", "submitted"), ("submitted", "activated")]
    # next month: no one already enrolled is picked again
    nxt = services.run_quota(analyst_actor, date(2026, 6, 1), area_code="3374", quota=10,
                             today=TODAY)  # fmt: skip
    assert set(nxt.enrolments.values_list("nik", flat=True)) == {
        INFANT[0],
        HOMECARE[0],
        ORDINARY[0],
    }  # the rejected infant may be proposed again
    rows = selectors.enrolment_rows(run)
    assert rows[0][1] == POOR[0] and rows[0][8] == "PBI-APBD"


def test_budget_limits_the_quota_and_a_cancelled_run_frees_the_month(registers, analyst_actor):
    run = services.run_quota(analyst_actor, MAY, area_code="3374", quota=10, budget=100_000,
                             today=TODAY)  # fmt: skip
    assert run.selected == 2  # 100,000 / 42,000
    services.cancel_quota_run(analyst_actor, run, "salah anggaran")
    assert set(run.enrolments.values_list("status", flat=True)) == {EnrolmentStatus.CANCELLED}
    again = services.run_quota(analyst_actor, MAY, area_code="3374", quota=3, today=TODAY)
    assert again.selected == 3


def test_priority_rule_is_configurable(registers, analyst_actor):
    values = {f: getattr(services.priority_rule(), f) for f in services.RULE_FIELDS}
    services.set_priority_rule(analyst_actor, values | {"homecare_points": 90})
    run = services.run_quota(analyst_actor, MAY, area_code="3374", quota=1, today=TODAY)
    assert run.enrolments.get().nik == HOMECARE[0]
    with pytest.raises(InvalidInput):
        services.set_priority_rule(analyst_actor, values | {"max_decile": 11})


def test_quota_run_outside_the_users_area_is_refused(registers, make_user):
    from sigap.core.errors import Forbidden
    from sigap.core.services import Actor

    other = Actor(user=make_user("analis-magelang", "analyst", area_code="3371"), channel="web")
    with pytest.raises(Forbidden):
        services.run_quota(other, MAY, area_code="3374", quota=1, today=TODAY)
    assert not QuotaRun.objects.exists()


def test_workers_register_and_monthly_lists(semarang, analyst_actor):
    w = [
        services.register_worker(
            analyst_actor,
            nik=nik("337401", date(1980, 1, i), 20 + i),
            name=f"Pekerja {i}",
            occupation="ojek",
            kelurahan_code=KEL_A,
            wants_jht=i == 1,
        )  # fmt: skip
        for i in range(1, 4)
    ]
    with pytest.raises(InvalidInput):
        services.register_worker(analyst_actor, nik="1", name="x", occupation="y",
                                 kelurahan_code=KEL_A)  # fmt: skip
    may = services.run_workers_month(analyst_actor, MAY, area_code="3374", quota=2)
    listed = list(may.worker_enrolments.order_by("worker_id"))
    assert [e.worker_id for e in listed] == [w[0].pk, w[1].pk]
    assert listed[0].jht and listed[0].premium == 10_000 + 6_800 + 20_000
    assert listed[1].premium == 16_800
    assert services.set_worker_enrolments(analyst_actor, may, [w[0].nik], "active") == 1
    june = services.run_workers_month(analyst_actor, date(2026, 6, 1), area_code="3374", quota=2)
    # w0 goes on (active in May); w1 was listed but never activated, so it is not new either
    assert set(june.worker_enrolments.values_list("worker_id", flat=True)) == {w[0].pk, w[2].pk}
    with pytest.raises(Conflict):
        services.run_workers_month(analyst_actor, MAY, area_code="3374", quota=2)
    assert WorkerEnrolment.objects.count() == 4


def test_quota_from_the_command_line(registers, tmp_path, settings):
    from django.core.management import call_command

    settings.SIGAP_AREA_CODE = "3374"
    out = io.StringIO()
    call_command("coverage", "quota", "run", "--period", "2026-05", "--quota", "3", stdout=out)
    assert "3 of 6 candidates chosen" in out.getvalue()
    call_command("coverage", "quota", "submit", "--period", "2026-05", stdout=out)
    niks = tmp_path / "aktif.txt"
    niks.write_text(POOR[0] + "\n")
    call_command("coverage", "quota", "activate", "--period", "2026-05", "--niks", str(niks),
                 stdout=out)  # fmt: skip
    assert "1 enrolments moved to activate" in out.getvalue()
    target = tmp_path / "daftar.csv"
    call_command("coverage", "quota", "export", "--period", "2026-05", "--out", str(target),
                 stdout=out)  # fmt: skip
    text = target.read_text()
    assert POOR[0] in text and "activated" in text
    assert AuditEvent.objects.filter(action="coverage.download.enrolment_list").exists()


def test_import_from_the_command_line(semarang, tmp_path):
    from django.core.management import call_command

    path = write_csv(tmp_path / "p.csv", POP_HEADER, [POOR, ["123", *POOR[1:]]])
    report = tmp_path / "tolak.csv"
    out = io.StringIO()
    call_command("coverage", "import", "population", str(path), "--period", "2026-05",
                 "--rejections", str(report), "--no-progress", stdout=out)  # fmt: skip
    assert "2 rows: 1 accepted, 1 rejected" in out.getvalue()
    assert "123" in report.read_text()
    call_command("coverage", "import", "population", str(path), "--period", "2026-05",
                 "--no-progress", stdout=out)  # fmt: skip
    assert "nothing changed" in out.getvalue()
