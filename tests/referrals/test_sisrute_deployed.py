"""SISRUTE as deployed bridges send it (issue 16), each test replaying one public client's wire
format (read in their public source, not against the national service):

- a Guzzle library (composer package for SISRUTE v1): headers `X-cons-id`, `X-Timestamp`,
  `X-Signature`; every write sent with `Content-Type: Application/x-www-form-urlencoded` and
  the body as JSON, its `$data = []` default going out as `[]` (notif by POST, jawab/batal PUT);
- a Laravel SIMRS controller (curl): `X-signature` lower-case, two `Content-type` headers
  (`application/json` and `application/vnd.rujukan.v1+json`), an explicit `Content-length`,
  `PUT rujukan/notif/{no}` with `json_encode(null)` = `null` as the body, batal with only
  `PETUGAS`, and a front end that fills `PETUGAS.NIK` with the staff record's identity number;
- a Slim middleware (curl): `PUT rujukan/jawab/{no}` with no body and no Content-Type at all.
"""

import json

import pytest

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.referrals import services
from sigap.referrals.models import Referral, ReferralEvent, SisruteCredential

from .test_sisrute import BASE, rujukan_body, sisrute_headers

pytestmark = pytest.mark.django_db


def guzzle_headers(consid: str, password: str) -> dict:
    h = sisrute_headers(consid, password)
    return {
        "HTTP_X_CONS_ID": consid,
        "HTTP_X_TIMESTAMP": h["X-timestamp"],
        "HTTP_X_SIGNATURE": h["X-signature"],
    }


def curl_headers(consid: str, password: str, body: bytes = b"") -> dict:
    h = sisrute_headers(consid, password)
    return {
        "HTTP_X_CONS_ID": consid,
        "HTTP_X_TIMESTAMP": h["X-timestamp"],
        "HTTP_X_SIGNATURE": h["X-signature"],
        "HTTP_ACCEPT": "application/json",
        "CONTENT_LENGTH": str(len(body)),
    }


class Wire:
    """A bridge's raw HTTP call: method, path, bytes and content type exactly as sent."""

    def __init__(self, client, consid: str, password: str):
        self.client, self.consid, self.password = client, consid, password

    def raw(self, method: str, path: str, body: bytes, content_type: str, *, curl=False):
        meta = (
            curl_headers(self.consid, self.password, body)
            if curl
            else guzzle_headers(self.consid, self.password)
        )
        r = self.client.generic(method, BASE + path, data=body, content_type=content_type, **meta)
        assert r.status_code == 200, r.content
        return r.json()

    def json(self, method: str, path: str, body, content_type="application/json"):
        return self.raw(method, path, json.dumps(body).encode(), content_type)


@pytest.fixture
def wires(client, network):
    system = Actor.system("test")
    services.set_sisrute_password(system, network.pkm, "3374011", "pkm-pass")
    services.set_sisrute_password(system, network.alfa, "3374012", "alfa-pass")
    return Wire(client, "3374011", "pkm-pass"), Wire(client, "3374012", "alfa-pass")


def _sent(pkm: Wire, network, **over) -> str:
    res = pkm.json("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk, **over))
    assert res["status"] == 200, res
    return res["data"]["RUJUKAN"]["NOMOR"]


def _writes() -> tuple[int, int]:
    return ReferralEvent.objects.count(), AuditEvent.objects.count()


FORM = "Application/x-www-form-urlencoded"


def test_guzzle_bridge_sends_empty_arrays(wires, network):
    pkm, alfa = wires
    no = _sent(pkm, network)
    res = pkm.raw("POST", f"/rujukan/notifrujukan/{no}", b"[]", FORM)
    assert res["status"] == 200 and res["success"] is True, res
    res = pkm.raw("PUT", f"/rujukan/batal/{no}", b"[]", FORM)
    assert res["status"] == 200, res
    assert res["data"]["RUJUKAN"]["STATUS_SIGAP"]["KODE"] == "cancelled"
    assert Referral.objects.get(number=no).status == "cancelled"


def test_laravel_bridge_notif_with_null_body_and_two_content_types(wires, network):
    pkm, _alfa = wires
    no = _sent(pkm, network)
    res = pkm.raw(
        "PUT",
        f"/rujukan/notif/{no}",
        b"null",
        "application/json, \tapplication/vnd.rujukan.v1+json",
        curl=True,
    )
    assert res["status"] == 200 and res["data"] == {"NOMOR": no}, res


def test_notif_and_batal_take_every_empty_body(wires, network):
    pkm, _alfa = wires
    for body in (b"", b"[]", b"null", b"{}", b"  \r\n"):
        no = _sent(pkm, network)
        assert pkm.raw("PUT", f"/rujukan/notif/{no}", body, "", curl=True)["status"] == 200
        res = pkm.raw("PUT", f"/rujukan/batal/{no}", body, "text/plain", curl=True)
        assert res["status"] == 200, (body, res)
        assert res["data"]["RUJUKAN"]["STATUS_SIGAP"]["KODE"] == "cancelled"


def test_slim_jawab_without_a_body_is_read_then_refused_without_writing(wires, network):
    pkm, alfa = wires
    no = _sent(pkm, network)
    before = _writes()
    for body in (b"", b"[]", b"null"):
        res = alfa.raw("PUT", f"/rujukan/jawab/{no}", body, "", curl=True)
        assert res["status"] == 400 and res["success"] is False
        assert "DITERIMA" in res["detail"] and "objek JSON" not in res["detail"]
    assert _writes() == before
    assert Referral.objects.get(number=no).status == "sent"


def test_action_bodies_that_are_not_an_object_or_empty_are_refused(wires, network):
    pkm, alfa = wires
    no = _sent(pkm, network)
    before = _writes()
    for body in (b"[1]", b'"x"', b"3", b"not json", b'{"PETUGAS": "Sultan"}'):
        for who, path in ((pkm, "notif"), (alfa, "jawab"), (pkm, "batal")):
            if path == "notif" and body.startswith(b"{"):
                continue  # notif reads nothing from an object: it would succeed
            res = who.raw("PUT", f"/rujukan/{path}/{no}", body, "application/json")
            assert res["status"] == 400, (path, body, res)
    assert _writes() == before


def test_jawab_echoes_the_officer_as_sent(wires, network):
    pkm, alfa = wires
    no = _sent(pkm, network)
    answer = {"DITERIMA": 1, "KETERANGAN": "Silakan", "PETUGAS": {"NIK": "USR01", "NAMA": "Sultan"}}
    res = alfa.json("PUT", f"/rujukan/jawab/{no}", answer, FORM)
    assert res["status"] == 200, res
    jawaban = res["data"]["RUJUKAN"]["JAWABAN"]
    assert jawaban["PETUGAS"] == {"NIK": "USR01", "NAMA": "Sultan"}
    assert jawaban["DITERIMA"] == 1
    r = Referral.objects.get(number=no)
    assert (r.answer_officer_id, r.answer_officer_name) == ("USR01", "Sultan")
    # the sender reads the same officer back, never SIGAP's actor label
    listed = pkm.raw("GET", f"/rujukan?create=true&nomor={no}", b"", "")
    assert listed["data"][0]["RUJUKAN"]["JAWABAN"]["PETUGAS"] == {"NIK": "USR01", "NAMA": "Sultan"}
    assert "sisrute:" not in json.dumps(listed["data"][0]["RUJUKAN"]["JAWABAN"])
    # the same answer twice: refused, the first officer stays
    again = {**answer, "PETUGAS": {"NIK": "USR02", "NAMA": "Lain"}}
    assert alfa.json("PUT", f"/rujukan/jawab/{no}", again)["status"] == 409
    assert Referral.objects.get(number=no).answer_officer_id == "USR01"


def test_jawab_with_an_empty_petugas_array(wires, network):
    pkm, alfa = wires
    no = _sent(pkm, network)
    body = {"DITERIMA": "0", "KETERANGAN": "Penuh", "PETUGAS": []}
    res = alfa.json("PUT", f"/rujukan/jawab/{no}", body)
    assert res["status"] == 200, res
    assert res["data"]["RUJUKAN"]["JAWABAN"]["PETUGAS"] == {"NIK": "", "NAMA": ""}


def test_petugas_nik_is_a_staff_identifier_stored_as_sent(wires, network):
    pkm, _alfa = wires
    for staff_id in ("USR01", "198001012005011001", "7371140101010015", "a.b"):
        body = rujukan_body(network.alfa.bpjs_kodeppk)
        body["RUJUKAN"]["PETUGAS"] = {"NIK": staff_id, "NAMA": "Enal"}
        res = pkm.json("POST", "/rujukan", body)
        assert res["status"] == 200, res
        assert res["data"]["RUJUKAN"]["PETUGAS"] == {"NIK": staff_id, "NAMA": "Enal"}
        number = res["data"]["RUJUKAN"]["NOMOR"]
        assert Referral.objects.get(number=number).officer_nik == staff_id


def test_staff_identifier_limits_and_patient_nik_still_checked(wires, network):
    pkm, _alfa = wires
    before = Referral.objects.count()
    body = rujukan_body(network.alfa.bpjs_kodeppk)
    body["RUJUKAN"]["PETUGAS"] = {"NIK": "U" * 33, "NAMA": "Enal"}
    res = pkm.json("POST", "/rujukan", body)
    assert res["status"] == 400 and "PETUGAS.NIK" in res["detail"]
    body["RUJUKAN"]["PETUGAS"] = {"NIK": "U" * 32, "NAMA": "Enal"}
    body["PASIEN"]["NIK"] = "USR01"  # the patient's NIK is a NIK
    res = pkm.json("POST", "/rujukan", body)
    assert res["status"] == 400 and "PASIEN.NIK" in res["detail"]
    assert Referral.objects.count() == before


def test_alasan_and_diagnosa_shape_per_consumer(wires, network):
    pkm, alfa = wires
    inputs = [("SP", "J18.9"), ({"KODE": "SP", "NAMA": "x"}, {"KODE": "J18.9", "NAMA": "Pn"})]
    for shape in ("object", "string"):
        SisruteCredential.objects.filter(cons_id="3374012").update(coded_shape=shape)
        for alasan, diagnosa in inputs:
            body = rujukan_body(network.alfa.bpjs_kodeppk)
            body["RUJUKAN"]["ALASAN"], body["RUJUKAN"]["DIAGNOSA"] = alasan, diagnosa
            sent = pkm.json("POST", "/rujukan", body)
            assert sent["status"] == 200, sent
            # the sender's consumer keeps the default shape
            assert sent["data"]["RUJUKAN"]["DIAGNOSA"]["KODE"] == "J18.9"
            assert sent["data"]["RUJUKAN"]["ALASAN"]["NAMA"]
            number = sent["data"]["RUJUKAN"]["NOMOR"]
            row = alfa.raw("GET", f"/rujukan?nomor={number}", b"", "")["data"][0]["RUJUKAN"]
            if shape == "string":
                assert row["ALASAN"] == "SP" and row["DIAGNOSA"] == "J18.9"
            else:
                assert row["ALASAN"]["KODE"] == "SP" and row["DIAGNOSA"]["KODE"] == "J18.9"
                assert row["ALASAN"]["NAMA"] and row["DIAGNOSA"]["NAMA"]
            # other coded fields keep their object shape
            assert row["FASKES_TUJUAN"]["NAMA"] == "RS Alfa" and row["STATUS"]["KODE"] == "1"


def test_coded_shape_is_editable_in_admin(admin_client, wires):
    cred = SisruteCredential.objects.get(cons_id="3374012")
    url = f"/admin/referrals/sisrutecredential/{cred.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b"coded_shape" in page.content
    r = admin_client.post(url, {"is_active": "on", "coded_shape": "string"})
    assert r.status_code == 302, r.content[:500]
    cred.refresh_from_db()
    assert cred.coded_shape == "string"


def test_an_answer_given_on_sigaps_page_names_the_signed_in_officer(wires, network):
    from .conftest import as_

    pkm, _alfa = wires
    no = _sent(pkm, network)
    user = network.people["alfa"]
    user.first_name, user.last_name = "Rina", "Perawat"
    user.save()
    services.answer_referral(as_(user), Referral.objects.get(number=no), accept=True)
    row = pkm.raw("GET", f"/rujukan?create=true&nomor={no}", b"", "")["data"][0]
    assert row["RUJUKAN"]["JAWABAN"]["PETUGAS"] == {
        "NIK": user.get_username(),
        "NAMA": "Rina Perawat",
    }
