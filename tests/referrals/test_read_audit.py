"""Issue 17 (Low, ASVS 8.3.5): reads of referrals leave an audit record - one per read of a
referral (page and API), one per list read naming the ids shown (hospital inbox page and API,
the sender's list, the office's escalations), none for a refused read."""

import pytest

from sigap.core.models import AuditEvent
from sigap.referrals import services

from .conftest import as_, referral_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def ref(network):
    return services.send_referral(as_(network.people["pkm"]), referral_input(network))


def reads():
    return AuditEvent.objects.filter(action="referral.read").order_by("id")


def lists():
    return AuditEvent.objects.filter(action="referral.list").order_by("id")


def test_detail_page_and_api_reads_are_audited(client, network, ref):
    alfa = network.people["alfa"]
    client.force_login(alfa)
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 200
    assert client.get(f"/api/v1/referrals/referrals/{ref.public_id}").status_code == 200
    got = [(a.channel, a.actor, a.object_id, a.object_label) for a in reads()]
    assert got == [
        ("web", alfa, str(ref.public_id), ref.number),
        ("api", alfa, str(ref.public_id), ref.number),
    ]
    assert reads()[0].remote_addr == "127.0.0.1"


def test_a_refused_read_is_not_recorded_as_a_read(client, network, ref):
    client.force_login(network.people["beta"])
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 404
    assert client.get(f"/api/v1/referrals/referrals/{ref.public_id}").status_code == 404
    assert not reads().exists()


def test_inbox_page_and_api_leave_one_record_per_list_read(client, network, ref):
    services.send_referral(as_(network.people["pkm"]), referral_input(network))  # a second row
    client.force_login(network.people["alfa"])
    client.get("/rujukan/masuk/")
    client.get("/api/v1/referrals/inbox")
    rows = list(lists())
    assert [a.channel for a in rows] == ["web", "api"]  # one per list, not one per row
    for a in rows:
        assert a.object_id == str(network.alfa.public_id)
        assert a.after["list"] == "inbox" and a.after["count"] == 2
        assert str(ref.public_id) in a.after["ids"]
    assert not reads().exists()  # the inbox shows masked rows; opening one is the read


def test_sender_list_and_office_list_are_audited(client, network, ref):
    client.force_login(network.people["pkm"])
    client.get("/rujukan/")
    sent = lists().get()
    assert (sent.after["list"], sent.after["ids"]) == ("sent", [str(ref.public_id)])
    client.force_login(network.people["dinkes"])
    assert client.get("/dinkes/rujukan/").status_code == 200
    assert lists().last().after["list"] == "office"
