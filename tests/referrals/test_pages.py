"""Referral pages and JSON API: who sees what, the forms, and the downloads' audit."""

import pytest

from sigap.core.models import AuditEvent
from sigap.referrals import services
from sigap.referrals.models import Referral

from .conftest import NIK, as_, referral_input

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_send_form_recommends_and_sends(client, network):
    net = network
    login(client, net.people["pkm"])
    r = client.get("/rujukan/kirim/")
    assert r.status_code == 200 and "Puskesmas Miroto" in r.text
    form = {
        "sender": str(net.pkm.public_id),
        "kind": "2",
        "urgency": "emergency",
        "payer": "general",
        "patient_name": "Budi Contoh",
        "patient_nik": NIK,
        "diagnosis": "I21.9",
        "reason": "SP",
        "consciousness": "1",
        "pain": "1",
        "service": "icu",
        "bed_class": "ICU",
    }
    r = client.post("/rujukan/kirim/", {**form, "action": "recommend"})
    assert r.status_code == 200
    names = [h["name"] for h in r.context["recommendations"]]
    assert names[0] == "RS Alfa" and "RS Beta" in names  # Beta has no free ICU bed: last
    assert names[-1] == "RS Beta"
    r = client.post("/rujukan/kirim/", {**form, "receiver": str(net.gamma.public_id)})
    assert r.status_code == 302
    ref = Referral.objects.get()
    assert ref.receiver == net.gamma and ref.patient_name == "Budi Contoh"


def test_send_form_shows_the_error_and_keeps_values(client, network):
    net = network
    login(client, net.people["pkm"])
    r = client.post(
        "/rujukan/kirim/",
        {
            "sender": str(net.pkm.public_id),
            "receiver": str(net.alfa.public_id),
            "kind": "2",
            "urgency": "elective",
            "payer": "general",
            "patient_name": "Budi",
            "patient_nik": "123",
            "diagnosis": "I21.9",
            "reason": "SP",
        },
    )
    assert r.status_code == 422 and "16 angka" in r.text and 'value="Budi"' in r.text
    assert not Referral.objects.exists()


def test_inbox_and_detail_visibility(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    login(client, net.people["alfa"])
    r = client.get("/rujukan/masuk/")
    assert r.status_code == 200 and ref.number in r.text
    assert "3374xxxxxxxx0003" in r.text and NIK not in r.text  # NIK masked in the list
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 200
    api = client.get("/api/v1/referrals/inbox").json()
    assert api["rows"][0]["number"] == ref.number and api["counts"]["open"] == 1
    client.logout()
    login(client, net.people["beta"])
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 404
    assert client.get(f"/api/v1/referrals/referrals/{ref.public_id}").status_code == 404
    assert ref.number not in client.get("/rujukan/masuk/").text
    client.logout()
    login(client, net.people["public"])
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 404
    assert client.get("/rujukan/masuk/").status_code == 403
    client.logout()
    assert client.get(f"/rujukan/{ref.public_id}/").status_code == 302  # to the login


def test_hospital_accepts_arrives_and_closes_on_the_page(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    login(client, net.people["alfa"])
    url = f"/rujukan/{ref.public_id}/"
    assert client.post(url, {"action": "accept", "hold_bed": "1"}).status_code == 302
    ref.refresh_from_db()
    assert ref.status == "accepted" and ref.bed_hold is not None
    assert client.post(url, {"action": "accept"}).status_code == 409  # already answered
    assert client.post(url, {"action": "arrive"}).status_code == 302
    r = client.post(url, {"action": "close", "back_referral": ""})
    assert r.status_code == 422
    assert (
        client.post(url, {"action": "close", "back_referral": "Kontrol 1 minggu"}).status_code
        == 302
    )
    ref.refresh_from_db()
    assert ref.status == "closed"


def test_office_pages_and_audited_download(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    services.answer_referral(as_(net.people["alfa"]), ref, accept=False, note="penuh")
    login(client, net.people["dinkes"])
    r = client.get("/dinkes/rujukan/")
    assert r.status_code == 200 and ref.number in r.text
    r = client.get("/dinkes/rujukan/penjamin/")
    assert r.status_code == 200 and "RS Alfa" in r.text
    r = client.get("/dinkes/rujukan/penjamin/?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert AuditEvent.objects.filter(action="referral.download").count() == 1
    client.logout()
    login(client, net.people["pkm"])
    assert client.get("/dinkes/rujukan/penjamin/").status_code == 403


def test_api_send_answer_and_errors(client, network):
    net = network
    login(client, net.people["pkm"])
    body = {
        "sender": str(net.pkm.public_id),
        "receiver": str(net.alfa.public_id),
        "kind": 1,
        "urgency": "elective",
        "payer": "jkn_non_pbi",
        "patient_name": "Ani",
        "patient_nik": NIK,
        "patient_jkn": "0001234567890",
        "diagnosis": "E11.9",
        "reason": "SP",
        "bed_class": "VIP",
        "jkn_class": "KL1",
    }
    r = client.post("/api/v1/referrals/referrals", body, content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["room_class"] == "KL1" and data["status"] == "sent"
    r = client.post(
        "/api/v1/referrals/referrals", {**body, "diagnosis": "X"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "diagnosis"
    r = client.get("/api/v1/referrals/icd10?q=diabetes")
    assert r.status_code == 200 and any(d["code"].startswith("E1") for d in r.json())
    r = client.get(
        f"/api/v1/referrals/recommend?sender={net.pkm.public_id}&service=icu&bed_class=ICU"
    )
    assert [h["name"] for h in r.json()][0] == "RS Alfa"
    client.logout()
    login(client, net.people["alfa"])
    r = client.post(
        f"/api/v1/referrals/referrals/{data['id']}/answer",
        {"accept": False, "note": ""},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = client.post(
        f"/api/v1/referrals/referrals/{data['id']}/answer",
        {"accept": True},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_admin_is_read_only_and_hides_the_nik(client, network):
    net = network
    ref = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    from sigap.core.models import User

    admin_user = User.objects.create_superuser("root-admin", password="x-123456789", role="admin")
    login(client, admin_user)
    r = client.get("/admin/referrals/referral/")
    assert r.status_code == 200 and ref.number in r.text and NIK not in r.text
    r = client.get(f"/admin/referrals/referral/{ref.pk}/change/")
    assert r.status_code == 200 and NIK not in r.text
    assert (
        client.post(f"/admin/referrals/referral/{ref.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Referral.objects.filter(pk=ref.pk).exists()
