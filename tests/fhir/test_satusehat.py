"""The SATUSEHAT submission client against a local stand-in (satusehat_standin.py): token
caching and renewal, create then update, references resolved to SATUSEHAT ids, retries with
back-off, giving up with an alert, the same record sent twice, and the delivery log."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client as WebClient
from django.utils import timezone

from sigap.core.models import Notification
from sigap.fhir import satusehat
from sigap.fhir.models import (
    Kind,
    SatusehatAttempt,
    SatusehatConfig,
    SatusehatLink,
    SatusehatSubmission,
)

from .conftest import CHILD_NIK
from .satusehat_standin import CLIENT_ID, CLIENT_SECRET, Server

PENDING, DELIVERED, FAILED = SatusehatSubmission.Status


@pytest.fixture
def standin():
    with Server() as state:
        yield state


@pytest.fixture
def config(db, standin):
    cache.clear()  # the alert's once-an-hour mark
    return SatusehatConfig.objects.create(
        auth_url=f"{standin.base}/auth",
        fhir_url=f"{standin.base}/fhir",
        organization_id="office-org",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def send(kind, obj, now=None):
    """Queue one record and run the sweep once; the submission as it ends up."""
    sub = satusehat.enqueue(kind, obj.pk)
    satusehat.deliver_due(now or timezone.now())
    sub.refresh_from_db()
    return sub


def later(sub):
    return sub.next_attempt_at + timedelta(seconds=1)


# --- token ---------------------------------------------------------------------------------


def test_token_is_fetched_once_and_kept_encrypted(world, config, standin):
    f = world.facilities
    assert send(Kind.FACILITY, f["alfa"]).status == DELIVERED
    assert send(Kind.FACILITY, f["beta"]).status == DELIVERED
    assert standin.token_calls == 1
    config.refresh_from_db()
    assert config.access_token == "tok-1"
    with connection.cursor() as cur:
        cur.execute(
            "SELECT access_token, client_secret FROM fhir_satusehatconfig WHERE id = %s",
            [config.pk],
        )
        raw_token, raw_secret = cur.fetchone()
    assert "tok-1" not in raw_token and CLIENT_SECRET not in raw_secret


def test_token_close_to_expiry_is_renewed(world, config, standin):
    standin.expires_in = "120"  # less than the renewal margin: never reused
    send(Kind.FACILITY, world.facilities["alfa"])
    send(Kind.FACILITY, world.facilities["beta"])
    assert standin.token_calls == 2


def test_expired_token_is_renewed_once_on_401(world, config, standin):
    send(Kind.FACILITY, world.facilities["alfa"])
    standin.expire_tokens()  # SATUSEHAT ended the token early
    sub = send(Kind.FACILITY, world.facilities["beta"])
    assert sub.status == DELIVERED and standin.token_calls == 2
    assert "-> 401" in sub.summary and "POST accesstoken -> 200" in sub.summary


def test_401_after_renewal_is_retried_later_not_looped(world, config, standin):
    standin.fail("Organization", 401, times=2)
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    assert sub.status == PENDING and sub.attempts == 1 and sub.last_status_code == 401
    assert standin.token_calls == 2  # one renewal, not a loop
    assert send_due(later(sub), sub).status == DELIVERED


def test_wrong_credentials_give_up_at_once(world, config, standin):
    config.client_secret = "salah"
    config.save()
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    assert sub.status == FAILED and sub.attempts == 1
    assert "Invalid client credentials" in sub.outcome
    assert standin.resources("Organization") == []


def send_due(now, sub):
    satusehat.deliver_due(now)
    sub.refresh_from_db()
    return sub


# --- registration, create then update ------------------------------------------------------


def test_facility_is_created_then_updated_never_duplicated(world, config, standin):
    alfa = world.facilities["alfa"]
    first = send(Kind.FACILITY, alfa)
    assert first.status == DELIVERED
    [org] = standin.resources("Organization")
    assert org["name"] == "RS Alfa" and org["partOf"]["reference"] == "Organization/office-org"
    systems = {i["system"]: i["value"] for i in org["identifier"]}
    assert systems["http://sys-ids.kemkes.go.id/organization/office-org"] == str(alfa.public_id)
    link = SatusehatLink.objects.get(kind=Kind.FACILITY, object_pk=alfa.pk)
    assert link.satusehat_id == org["id"] and link.version_id == "1"

    second = send(Kind.FACILITY, alfa)  # the same record once more
    assert second.pk != first.pk and second.status == DELIVERED
    [org] = standin.resources("Organization")
    assert org["meta"]["versionId"] == "2"
    assert ("PUT", f"/fhir/Organization/{link.satusehat_id}", 200) in standin.log
    link.refresh_from_db()
    assert link.version_id == "2" and SatusehatLink.objects.count() == 1


def test_pustu_registers_its_puskesmas_first(world, config, standin):
    pustu, pkm = world.facilities["pustu"], world.facilities["pkm"]
    assert send(Kind.FACILITY, pustu).status == DELIVERED
    orgs = {o["name"]: o for o in standin.resources("Organization")}
    assert (
        orgs["Pustu Brumbungan"]["partOf"]["reference"]
        == f"Organization/{orgs['Puskesmas Miroto']['id']}"
    )
    assert SatusehatLink.objects.filter(kind=Kind.FACILITY, object_pk=pkm.pk).exists()


def test_room_registers_as_location_of_its_organization(world, config, standin):
    room = world.rooms["alfa_icu"]
    sub = send(Kind.ROOM, room)
    assert sub.status == DELIVERED
    [org] = standin.resources("Organization")
    [loc] = standin.resources("Location")
    assert loc["managingOrganization"]["reference"] == f"Organization/{org['id']}"
    assert {"url": "https://fhir.sigap.id/StructureDefinition/free-beds", "valueInteger": 2} in loc[
        "extension"
    ]
    # a second room of the same hospital reuses the Organization
    assert send(Kind.ROOM, world.rooms["alfa_kl3"]).status == DELIVERED
    assert len(standin.resources("Organization")) == 1
    assert len(standin.resources("Location")) == 2


def test_room_of_closed_facility_is_refused_without_retry(world, config, standin):
    sub = send(Kind.ROOM, world.rooms["closed"])
    assert sub.status == FAILED and sub.attempts == 1 and standin.log == []


def test_handoff_goes_as_encounter_with_the_hospital_id(world, config, standin):
    handoff = world.handoffs["smg"]
    sub = send(Kind.HANDOFF, handoff)
    assert sub.status == DELIVERED
    [enc] = standin.resources("Encounter")
    [org] = standin.resources("Organization")
    assert enc["serviceProvider"]["reference"] == f"Organization/{org['id']}"
    assert enc["class"]["code"] == "EMER" and "basedOn" not in enc
    assert handoff.incident.number in sub.label


def test_measurement_goes_as_observations_of_the_patient_found_by_nik(world, config, standin):
    pid = standin.add_patient(CHILD_NIK)
    m = world.measurements["smg"]
    sub = send(Kind.MEASUREMENT, m)
    assert sub.status == DELIVERED, sub.outcome
    obs = standin.resources("Observation")
    codes = {o["code"]["coding"][0]["code"]: o for o in obs}
    assert {"29463-7", "8306-3", "56072-2", "haz", "waz", "whz"} <= set(codes)
    assert all(o["subject"]["reference"] == f"Patient/{pid}" for o in obs)
    # z-scores point at the SATUSEHAT ids of the measured values
    assert {d["reference"] for d in codes["whz"]["derivedFrom"]} == {
        f"Observation/{codes['29463-7']['id']}",
        f"Observation/{codes['8306-3']['id']}",
    }
    # the posyandu was registered and named as performer
    [pos] = standin.resources("Organization")
    assert codes["29463-7"]["performer"][0]["reference"] == f"Organization/{pos['id']}"
    assert SatusehatLink.objects.get(kind=Kind.CHILD).satusehat_id == pid
    # the NIK went to SATUSEHAT, but the delivery log shows it masked
    assert CHILD_NIK not in sub.summary and "3374xxxxxxxx0001" in sub.summary
    assert not SatusehatAttempt.objects.filter(requests__contains=CHILD_NIK).exists()

    again = send(Kind.MEASUREMENT, m)  # updates: no second Observation, no second search
    assert again.status == DELIVERED
    assert len(standin.resources("Observation")) == len(obs)
    assert sum(1 for method, path, _ in standin.log if path == "/fhir/Patient") == 1


def test_child_without_nik_gives_up_at_once_and_alerts(world, config, standin, make_user):
    admin = make_user("admin-satusehat", "admin")
    sub = send(Kind.MEASUREMENT, world.measurements["mgl"])
    assert sub.status == FAILED and sub.attempts == 1
    assert "NIK" in sub.outcome and standin.resources("Observation") == []
    assert Notification.objects.filter(user=admin, kind="satusehat.failing").count() == 1


def test_patient_not_in_satusehat_is_refused_with_masked_nik(world, config, standin):
    sub = send(Kind.MEASUREMENT, world.measurements["smg"])
    assert sub.status == FAILED and "3374xxxxxxxx0001" in sub.outcome
    assert CHILD_NIK not in sub.outcome


# --- failures, retries, alert --------------------------------------------------------------


def test_operation_outcome_400_is_kept_and_not_retried(world, config, standin, make_user):
    admin = make_user("admin-satusehat", "admin")
    standin.fail("Organization", 400, text="Organization.name wajib diisi")
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    assert sub.status == FAILED and sub.last_status_code == 400
    assert "error/processing: Organization.name wajib diisi" in sub.outcome
    [log] = sub.attempt_log.all()
    assert not log.ok and log.status_code == 400 and "Organization.name" in log.outcome
    note = Notification.objects.get(user=admin, kind="satusehat.failing")
    assert "status__exact=failed" in note.link
    # a second give-up within the hour: no second alert
    standin.fail("Organization", 400)
    assert send(Kind.FACILITY, world.facilities["beta"]).status == FAILED
    assert Notification.objects.filter(user=admin).count() == 1


def test_500_then_success_with_backoff(world, config, standin):
    standin.fail("Organization", 500)
    sub = satusehat.enqueue(Kind.FACILITY, world.facilities["alfa"].pk)
    now = timezone.now()
    sub = send_due(now, sub)
    assert sub.status == PENDING and sub.attempts == 1
    assert sub.next_attempt_at == now + timedelta(seconds=satusehat.FIRST_RETRY_SECONDS)
    # not yet due: nothing is sent
    assert satusehat.deliver_due(now + timedelta(seconds=30)) == 0
    sub = send_due(later(sub), sub)
    assert sub.status == DELIVERED and sub.attempts == 2
    assert [a.ok for a in sub.attempt_log.order_by("at")] == [False, True]
    assert len(standin.resources("Organization")) == 1


def test_gives_up_after_max_attempts_and_alerts(world, config, standin, make_user):
    admin = make_user("admin-satusehat", "admin")
    standin.fail("Encounter", 503, times=satusehat.MAX_ATTEMPTS)
    sub = send(Kind.HANDOFF, world.handoffs["smg"])
    delays = []
    while sub.status == PENDING:
        delays.append(sub.next_attempt_at - sub.last_attempt_at)
        sub = send_due(later(sub), sub)
    assert sub.status == FAILED and sub.attempts == satusehat.MAX_ATTEMPTS
    assert delays == [satusehat.retry_delay(n) for n in range(1, satusehat.MAX_ATTEMPTS)]
    assert delays[1] == 2 * delays[0]
    assert Notification.objects.filter(user=admin, kind="satusehat.failing").count() == 1
    assert standin.resources("Encounter") == []
    # the Organization registered on the way is kept: the next try will PUT it
    assert SatusehatLink.objects.filter(kind=Kind.FACILITY).count() == 1


def test_network_error_is_retried(world, config, standin):
    config.fhir_url = "http://127.0.0.1:9/fhir"  # nothing listens there
    config.auth_url = "http://127.0.0.1:9/auth"
    config.save()
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    assert sub.status == PENDING and sub.attempts == 1 and "network" in sub.outcome


def test_retry_delay_is_capped():
    assert satusehat.retry_delay(1) == timedelta(seconds=60)
    assert satusehat.retry_delay(30) == timedelta(seconds=satusehat.MAX_RETRY_SECONDS)


# --- queue ---------------------------------------------------------------------------------


def test_same_record_queued_twice_is_one_submission(world, config, standin):
    alfa = world.facilities["alfa"]
    first = satusehat.enqueue(Kind.FACILITY, alfa.pk)
    assert satusehat.enqueue(Kind.FACILITY, alfa.pk) == first
    assert SatusehatSubmission.objects.count() == 1
    assert satusehat.deliver_due() == 1
    assert satusehat.deliver_due() == 0  # nothing left, nothing sent twice
    assert len(standin.resources("Organization")) == 1


def test_a_claimed_submission_is_not_sent_by_a_second_worker(world, config, standin):
    sub = satusehat.enqueue(Kind.FACILITY, world.facilities["alfa"].pk)
    now = timezone.now()
    # another worker leased it (moved next_attempt_at ahead)
    SatusehatSubmission.objects.filter(pk=sub.pk).update(
        next_attempt_at=now + timedelta(seconds=60)
    )
    assert satusehat.deliver_due(now) == 0 and standin.log == []


def test_nothing_is_queued_without_an_active_configuration(world, standin):
    assert satusehat.enqueue(Kind.FACILITY, world.facilities["alfa"].pk) is None
    assert satusehat.queue_changes() == 0
    assert SatusehatSubmission.objects.count() == 0


def test_an_inactive_configuration_sends_nothing(world, config, standin):
    satusehat.enqueue(Kind.FACILITY, world.facilities["alfa"].pk)
    SatusehatConfig.objects.update(is_active=False)
    assert satusehat.deliver_due() == 0 and standin.log == []


def test_unknown_kind_is_refused(config):
    with pytest.raises(ValueError):
        satusehat.enqueue("child", 1)


def test_sweep_starts_the_clock_then_queues_changes_and_new_rooms(world, config, standin):
    assert satusehat.queue_changes() == 0  # first sweep: history is queued by hand
    config.refresh_from_db()
    assert config.changes_seen_at is not None
    world.facilities["alfa"].save()  # changed after the first sweep
    queued = satusehat.queue_changes()
    kinds = set(SatusehatSubmission.objects.values_list("kind", flat=True))
    assert kinds == {Kind.FACILITY, Kind.ROOM}
    rooms = SatusehatSubmission.objects.filter(kind=Kind.ROOM).count()
    assert rooms == 4 and queued == 1 + rooms  # the closed hospital's room is left out
    assert satusehat.queue_changes() == rooms  # still pending: the same rows, no new ones
    assert SatusehatSubmission.objects.count() == queued


# --- command and admin ---------------------------------------------------------------------


def test_command_queues_sends_and_reports(world, config, standin):
    out = StringIO()
    call_command("satusehat", "check", stdout=out)
    call_command("satusehat", "queue", "facility", "room", stdout=out)
    call_command("satusehat", "send", stdout=out)
    call_command("satusehat", "status", stdout=out)
    text = out.getvalue()
    assert "token ok" in text and "facility: 8 pending" in text
    assert SatusehatSubmission.objects.filter(status=PENDING).count() == 0
    assert len(standin.resources("Organization")) == 8
    assert len(standin.resources("Location")) == 4


def test_command_without_configuration_fails_cleanly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("satusehat", "status")


def test_admin_never_shows_the_secret_and_lists_the_log(world, config, standin, make_user):
    admin = make_user("root", "admin", is_staff=True, is_superuser=True)
    send(Kind.FACILITY, world.facilities["alfa"])
    web = WebClient()
    web.force_login(admin)
    page = web.get(f"/admin/fhir/satusehatconfig/{config.pk}/change/")
    assert page.status_code == 200 and CLIENT_SECRET.encode() not in page.content
    assert b"tok-1" not in page.content
    log = web.get("/admin/fhir/satusehatsubmission/")
    assert log.status_code == 200 and b"RS Alfa" in log.content
    sub = SatusehatSubmission.objects.get()
    assert web.get(f"/admin/fhir/satusehatsubmission/{sub.pk}/change/").status_code == 200
    # a new secret through the admin form replaces the stored one and drops the token
    form = {
        "name": config.name, "auth_url": config.auth_url, "fhir_url": config.fhir_url,
        "organization_id": "office-org", "client_id": CLIENT_ID,
        "new_client_secret": "rahasia-baru", "is_active": "on",
    }  # fmt: skip
    answer = web.post(f"/admin/fhir/satusehatconfig/{config.pk}/change/", form)
    assert answer.status_code == 302
    config.refresh_from_db()
    assert config.client_secret == "rahasia-baru" and config.access_token == ""


def test_admin_queue_again_makes_a_new_submission(world, config, standin, make_user):
    admin = make_user("root", "admin", is_staff=True, is_superuser=True)
    standin.fail("Organization", 400)
    failed = send(Kind.FACILITY, world.facilities["alfa"])
    web = WebClient()
    web.force_login(admin)
    web.post("/admin/fhir/satusehatsubmission/",
             {"action": "queue_again", "_selected_action": [failed.pk]})  # fmt: skip
    again = SatusehatSubmission.objects.exclude(pk=failed.pk).get()
    assert again.status == PENDING
    satusehat.deliver_due()
    again.refresh_from_db()
    assert again.status == DELIVERED


def test_standin_validates_what_it_receives(world, config, standin):
    """The stand-in itself refuses a resource fhir.resources does not accept."""
    import urllib3

    satusehat.Client(config).token()
    config.refresh_from_db()
    answer = urllib3.PoolManager().request(
        "POST", f"{standin.base}/fhir/Organization",
        body=json.dumps({"resourceType": "Organization", "active": "maybe"}),
        headers={"Authorization": f"Bearer {config.access_token}",
                 "Content-Type": "application/fhir+json"},
    )  # fmt: skip
    assert answer.status == 400
    assert satusehat.outcome_text(answer.data.decode()).startswith("error/invalid")


def test_admin_register_all_runs_through_the_worker_task(world, config, standin, make_user):
    from sigap.core.models import AuditEvent
    from sigap.fhir import tasks

    admin = make_user("root", "admin", is_staff=True, is_superuser=True)
    web = WebClient()
    web.force_login(admin)
    answer = web.post("/admin/fhir/satusehatconfig/",
                      {"action": "register_all", "_selected_action": [config.pk]})  # fmt: skip
    assert answer.status_code == 302
    assert AuditEvent.objects.filter(action="satusehat.register_all").count() == 1
    assert SatusehatSubmission.objects.count() == 0  # nothing queued in the request
    tasks.queue_kind.call(Kind.FACILITY.value)  # what the worker runs
    assert SatusehatSubmission.objects.filter(kind=Kind.FACILITY).count() == 8


def test_a_record_that_cannot_be_built_fails_once_not_forever(world, config, standin, monkeypatch):
    def broken(client, pk):
        raise KeyError("a status the builder does not know")

    monkeypatch.setitem(satusehat.SENDERS, Kind.HANDOFF, broken)
    sub = send(Kind.HANDOFF, world.handoffs["smg"])
    assert sub.status == FAILED and sub.attempts == 1 and "FHIR" in sub.outcome


def test_a_create_whose_answer_was_lost_is_found_not_duplicated(world, config, standin):
    standin.lose_answer("Organization")  # stored by SATUSEHAT, answer lost on the way
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    assert sub.status == PENDING and sub.last_status_code == 504
    assert len(standin.resources("Organization")) == 1
    sub = send_due(later(sub), sub)
    assert sub.status == DELIVERED
    [org] = standin.resources("Organization")  # still one: the retry found it and PUT
    assert org["meta"]["versionId"] == "2"
    assert SatusehatLink.objects.get(kind=Kind.FACILITY).satusehat_id == org["id"]
    assert "GET Organization?identifier=" in sub.summary


def test_a_retry_with_nothing_found_creates(world, config, standin):
    standin.fail("Organization", 503)
    sub = send(Kind.FACILITY, world.facilities["alfa"])
    sub = send_due(later(sub), sub)
    assert sub.status == DELIVERED and len(standin.resources("Organization")) == 1
