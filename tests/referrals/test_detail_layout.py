"""The referral detail page: the answer (Terima/Tolak) comes first, above the fold on a phone;
once accepted, no "next proposal"; the redirect proposals say why each hospital is there."""

import pytest

from sigap.referrals import services
from sigap.referrals.models import Referral
from tests.helpers import login as sign_in

from .conftest import as_, referral_input


def login(client, user):
    client.force_login(user)


@pytest.mark.django_db
def test_terima_and_tolak_come_before_the_patient_data(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    login(client, net.people["alfa"])
    html = client.get(f"/rujukan/{ref.public_id}/").content.decode()
    assert html.index('id="accept-btn"') < html.index('id="patient-name"')
    assert html.index('id="reject-btn"') < html.index('id="patient-name"')


@pytest.mark.django_db
def test_no_next_proposal_once_accepted(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    Referral.objects.filter(pk=ref.pk).update(proposed=net.gamma)  # an escalation proposed one
    login(client, net.people["alfa"])
    url = f"/rujukan/{ref.public_id}/"
    assert client.post(url, {"action": "accept"}).status_code == 302
    html = client.get(url).content.decode()
    assert 'id="proposed"' not in html and 'id="accept-btn"' not in html
    login(client, net.people["pkm"])
    assert 'id="proposed"' not in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_refused_referral_shows_proposals_with_reasons(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    services.answer_referral(as_(net.people["alfa"]), ref, accept=False, note="penuh")
    login(client, net.people["pkm"])
    page = client.get(f"/rujukan/{ref.public_id}/")
    assert page.status_code == 200
    reasons = [r["reason"] for r in page.context["proposals"]]
    assert reasons and all("menit" in r for r in reasons)
    assert 'class="rec-why"' in page.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_terima_is_visible_without_scrolling_on_a_phone(page, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    Referral.objects.filter(pk=ref.pk).update(proposed=net.gamma)
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.clear_cookies()
    sign_in(page, "op-alfa", until=None)
    page.goto(f"/rujukan/{ref.public_id}/")
    for button in ("#accept-btn", "#reject-btn"):
        box = page.locator(button).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, (button, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#accept-btn")
    page.wait_for_selector(".messages li")
    assert page.locator("#accept-btn").count() == 0
    assert page.locator("#proposed").count() == 0
    assert page.locator("#status").get_attribute("data-status") == "accepted"


@pytest.mark.django_db
def test_inbox_shows_labels_not_codes(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    services.answer_referral(as_(net.people["alfa"]), ref, accept=True)
    login(client, net.people["alfa"])
    html = client.get(f"/rujukan/masuk/?rs={net.alfa.public_id}&status=active").content.decode()
    ref.refresh_from_db()
    assert str(Referral.Status.ACCEPTED.label) in html and ">accepted<" not in html
    if ref.room_class_id:
        assert f"<td>{ref.room_class.name}</td>" in html
    body = client.get(f"/api/v1/referrals/inbox?rs={net.alfa.public_id}&status=active")
    assert body.status_code == 200, body.content
    rows = body.json()
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert rows[0]["status_label"] == str(Referral.Status.ACCEPTED.label)
