"""The SISRUTE-compatible endpoints, spoken to as a SIMRS bridge speaks to SISRUTE: the paths,
JSON shapes and signed headers of the reference doc (`reference/indonesia.md`, Referral)."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.referrals import services
from sigap.referrals.models import Referral

from .conftest import NIK

pytestmark = pytest.mark.django_db
BASE = "/sisrute"


def sisrute_headers(consid: str, password: str, ts: int | None = None) -> dict[str, str]:
    """As the reference doc says: like Aplicare, but the key is md5(password)."""
    ts = str(int(time.time()) if ts is None else ts)
    key = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    digest = hmac.new(key.encode(), f"{consid}&{ts}".encode(), hashlib.sha256).digest()
    return {
        "X-cons-id": consid,
        "X-timestamp": ts,
        "X-signature": base64.b64encode(digest).decode(),
    }


class Bridge:
    def __init__(self, client, consid: str, password: str):
        self.client, self.consid, self.password = client, consid, password

    def call(self, method: str, path: str, body=None, *, headers=None, **params):
        h = headers if headers is not None else sisrute_headers(self.consid, self.password)
        kwargs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in h.items()}
        fn = getattr(self.client, method.lower())
        if method == "GET":
            return fn(BASE + path, params, **kwargs)
        data = json.dumps(body) if body is not None else ""
        return fn(BASE + path, data=data, content_type="application/json", **kwargs)


def rujukan_body(tujuan: str, **over) -> dict:
    body = {
        "PASIEN": {
            "NORM": "RM-001",
            "NIK": NIK,
            "NO_KARTU_JKN": "0001234567890",
            "NAMA": "Siti Contoh",
            "JENIS_KELAMIN": "2",
            "TANGGAL_LAHIR": "1990-01-05",
            "TEMPAT_LAHIR": "Semarang",
            "ALAMAT": "Jl. Contoh 1",
            "KONTAK": "081234567890",
        },
        "RUJUKAN": {
            "JENIS_RUJUKAN": "2",
            "TANGGAL": "2026-11-22 10:00:00",
            "FASKES_TUJUAN": tujuan,
            "ALASAN": "SP",
            "ALASAN_LAINNYA": "",
            "DIAGNOSA": "J18.9",
            "DOKTER": {"NIK": "3374010101800001", "NAMA": "dr. Contoh"},
            "PETUGAS": {"NIK": "3374010101850002", "NAMA": "Petugas Contoh"},
        },
        "KONDISI_UMUM": {
            "ANAMNESIS_DAN_PEMERIKSAAN_FISIK": "Sesak napas",
            "KESADARAN": "1",
            "TEKANAN_DARAH": "130/80",
            "FREKUENSI_NADI": "110",
            "SUHU": "38.5",
            "PERNAPASAN": "28",
            "KEADAAN_UMUM": "sedang",
            "NYERI": "2",
            "ALERGI": "-",
        },
        "PENUNJANG": {
            "LABORATORIUM": "Leukosit 15.000",
            "RADIOLOGI": "Infiltrat",
            "TERAPI_ATAU_TINDAKAN": "O2 3 lpm",
        },
    }
    for key, value in over.items():
        section, field = key.split("__")
        body[section][field] = value
    return body


@pytest.fixture
def bridges(client, network):
    net = network
    net.pkm.kemenkes_code = "P3374010101"
    net.pkm.save()
    system = Actor.system("test")
    services.set_sisrute_password(system, net.pkm, "pkm-miroto", "rahasia-pkm")
    services.set_sisrute_password(system, net.alfa, "rs-alfa", "rahasia-alfa")
    services.set_sisrute_password(system, net.beta, "rs-beta", "rahasia-beta")
    return (
        Bridge(client, "pkm-miroto", "rahasia-pkm"),
        Bridge(client, "rs-alfa", "rahasia-alfa"),
        Bridge(client, "rs-beta", "rahasia-beta"),
    )


def ok(r) -> dict:
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["status"] == 200 and data["success"] is True, data
    return data["data"]


def test_create_read_answer_flow(bridges, network):
    pkm, alfa, _beta = bridges
    created = ok(pkm.call("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk)))
    no = created["RUJUKAN"]["NOMOR"]
    assert created["PASIEN"]["NIK"] == NIK
    assert created["PASIEN"]["JENIS_KELAMIN"] == {"KODE": "2", "NAMA": "Perempuan"}
    assert created["RUJUKAN"]["DIAGNOSA"] == {"KODE": "J18.9", "NAMA": "Pneumonia, unspecified"}
    assert created["RUJUKAN"]["FASKES_TUJUAN"]["NAMA"] == "RS Alfa"
    assert created["RUJUKAN"]["FASKES_ASAL"]["KODE"] == "P3374010101"
    assert (
        created["KONDISI_UMUM"]["NYERI"]["KODE"] == "2"
        and created["PENUNJANG"]["RADIOLOGI"] == "Infiltrat"
    )
    ref = Referral.objects.get(number=no)
    assert ref.urgency == "emergency" and ref.payer == "jkn_non_pbi" and ref.sender == network.pkm

    # the receiver reads it by number; the sender with create=true, by date too
    assert ok(alfa.call("GET", "/rujukan", nomor=no))[0]["RUJUKAN"]["NOMOR"] == no
    today = ref.created_at.astimezone().date().isoformat()
    sent = ok(pkm.call("GET", "/rujukan", tanggal=today, create="true"))
    assert any(x["RUJUKAN"]["NOMOR"] == no for x in sent)

    # the sender corrects it before the answer, and reminds the hospital
    body = rujukan_body(network.alfa.bpjs_kodeppk, RUJUKAN__DIAGNOSA="J15.9")
    assert ok(pkm.call("PUT", f"/rujukan/{no}", body))["RUJUKAN"]["DIAGNOSA"]["KODE"] == "J15.9"
    assert ok(pkm.call("POST", f"/rujukan/notifrujukan/{no}"))["NOMOR"] == no

    # the hospital answers with the doc's body
    answer = {
        "DITERIMA": 1,
        "KETERANGAN": "Siap terima",
        "PETUGAS": {"NIK": "3374010101850002", "NAMA": "Operator Alfa"},
    }
    data = ok(alfa.call("PUT", f"/rujukan/jawab/{no}", answer))
    assert data["RUJUKAN"]["STATUS"]["KODE"] == "2"
    assert data["RUJUKAN"]["JAWABAN"]["DITERIMA"] == 1
    assert AuditEvent.objects.filter(
        action="referral.accept", actor_label__contains="Operator Alfa"
    ).exists()
    # a second answer: refused in the envelope, nothing changes
    r = alfa.call("PUT", f"/rujukan/jawab/{no}", {"DITERIMA": 0, "KETERANGAN": "x"})
    assert r.status_code == 200 and r.json()["status"] == 409 and r.json()["success"] is False
    assert Referral.objects.get(number=no).status == "accepted"


def test_reject_and_cancel(bridges, network):
    pkm, alfa, _ = bridges
    no = ok(pkm.call("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk)))["RUJUKAN"][
        "NOMOR"
    ]
    data = ok(
        alfa.call("PUT", f"/rujukan/jawab/{no}", {"DITERIMA": "0", "KETERANGAN": "ICU penuh"})
    )
    assert data["RUJUKAN"]["STATUS"]["KODE"] == "3" and data["RUJUKAN"]["JAWABAN"]["DITERIMA"] == 0
    data = ok(pkm.call("PUT", f"/rujukan/batal/{no}", {"KETERANGAN": "Pasien pulang paksa"}))
    assert data["RUJUKAN"]["STATUS"]["KODE"] == "7"


def test_reference_lists(bridges):
    pkm, *_ = bridges
    names = [r["NAMA"] for r in ok(pkm.call("GET", "/referensi/faskes"))]
    assert "RS Alfa" in names
    codes = [r["KODE"] for r in ok(pkm.call("GET", "/referensi/alasanrujukan"))]
    assert "SP" in codes and "LL" in codes
    dx = ok(pkm.call("GET", "/referensi/diagnosa", query="pneumonia"))
    assert dx and all("KODE" in d and "NAMA" in d for d in dx)
    assert ok(pkm.call("GET", "/referensi/diagnosa", query="I21"))[0]["KODE"] == "I21"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-cons-id": "pkm-miroto", "X-timestamp": "1", "X-signature": "x"},
        sisrute_headers("pkm-miroto", "salah"),
        sisrute_headers("tidak-ada", "rahasia-pkm"),
        sisrute_headers("pkm-miroto", "rahasia-pkm", ts=int(time.time()) - 3600),
    ],
)
def test_bad_signatures_are_refused(bridges, network, headers):
    pkm, *_ = bridges
    r = pkm.call("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk), headers=headers)
    assert r.status_code == 200 and r.json()["status"] == 401
    assert not Referral.objects.exists()


def test_password_itself_is_not_the_key(bridges, network):
    """The key is md5(password): a bridge signing with the plain password is refused."""
    ts = str(int(time.time()))
    digest = hmac.new(b"rahasia-pkm", f"pkm-miroto&{ts}".encode(), hashlib.sha256).digest()
    headers = {
        "X-cons-id": "pkm-miroto",
        "X-timestamp": ts,
        "X-signature": base64.b64encode(digest).decode(),
    }
    pkm, *_ = bridges
    assert pkm.call("GET", "/referensi/alasanrujukan", headers=headers).json()["status"] == 401


def test_other_facilities_cannot_touch_a_referral(bridges, network):
    pkm, alfa, beta = bridges
    no = ok(pkm.call("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk)))["RUJUKAN"][
        "NOMOR"
    ]
    assert beta.call("GET", "/rujukan", nomor=no).json()["status"] == 404
    assert beta.call("PUT", f"/rujukan/jawab/{no}", {"DITERIMA": 1}).json()["status"] == 404
    assert pkm.call("PUT", f"/rujukan/jawab/{no}", {"DITERIMA": 1}).json()["status"] == 403
    assert alfa.call("PUT", f"/rujukan/batal/{no}", {}).json()["status"] == 403
    assert Referral.objects.get(number=no).status == "sent"


@pytest.mark.parametrize(
    "override,where",
    [
        ({"PASIEN__NIK": "12"}, "PASIEN.NIK"),
        ({"RUJUKAN__DIAGNOSA": "QQQ"}, "RUJUKAN.DIAGNOSA"),
        ({"RUJUKAN__JENIS_RUJUKAN": "9"}, "RUJUKAN.JENIS_RUJUKAN"),
        ({"KONDISI_UMUM__NYERI": "5"}, "KONDISI_UMUM.NYERI"),
        ({"RUJUKAN__FASKES_TUJUAN": "NOPE"}, "RUJUKAN.FASKES_TUJUAN"),
        ({"RUJUKAN__ALASAN": "ZZ"}, "RUJUKAN.ALASAN"),
        ({"PASIEN__JENIS_KELAMIN": "3"}, "PASIEN.JENIS_KELAMIN"),
    ],
)
def test_invalid_bodies_name_the_sisrute_field(bridges, network, override, where):
    pkm, *_ = bridges
    r = pkm.call("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk, **override))
    data = r.json()
    assert r.status_code == 200 and data["status"] == 400 and where in data["detail"], data
    assert not Referral.objects.exists()


def test_wrong_method_and_garbage(bridges, client):
    pkm, *_ = bridges
    assert client.delete(BASE + "/rujukan").status_code == 405
    h = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in sisrute_headers("pkm-miroto", "rahasia-pkm").items()
    }
    r = client.post(BASE + "/rujukan", data="{bukan json", content_type="application/json", **h)
    assert r.json()["status"] == 400
    r = client.post(BASE + "/rujukan", data="[1]", content_type="application/json", **h)
    assert r.json()["status"] == 400


def test_headers_replayed_from_another_address_are_refused(bridges):
    """SISRUTE's signature does not cover the body, and bridges reuse one header set for
    several calls in a second: the set is bound to the address that used it first (issue 17,
    replays inside the window)."""
    pkm, _alfa, _beta = bridges
    headers = sisrute_headers(pkm.consid, pkm.password)
    kwargs = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    first = pkm.client.get(BASE + "/referensi/alasanrujukan", **kwargs)
    again = pkm.client.get(BASE + "/referensi/faskes", **kwargs)  # same client, same second
    assert first.json()["success"] and again.json()["success"]
    elsewhere = pkm.client.post(
        BASE + "/rujukan",
        data=json.dumps({"PASIEN": {}}),
        content_type="application/json",
        REMOTE_ADDR="203.0.113.9",
        **kwargs,
    )
    assert elsewhere.status_code == 200 and elsewhere.json()["status"] == 401
    assert "alamat lain" in elsewhere.json()["detail"]


def test_headers_replayed_after_the_burst_are_refused(bridges, network, monkeypatch, settings):
    from sigap.core import compat as kit

    settings.SIGAP_SIGNATURE_MAX_SKEW = 300
    settings.SIGAP_SIGNATURE_BURST_SECONDS = 60
    pkm, *_ = bridges
    headers = sisrute_headers(pkm.consid, pkm.password)
    assert pkm.call("GET", "/referensi/alasanrujukan", headers=headers).json()["success"]
    start = time.time()
    monkeypatch.setattr(kit, "_now", lambda: start + 90)
    body = rujukan_body(network.alfa.bpjs_kodeppk)
    r = pkm.call("POST", "/rujukan", body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == 401, r.json()
    assert not Referral.objects.exists()
    fresh = sisrute_headers(pkm.consid, pkm.password, ts=int(start + 90))
    assert pkm.call("POST", "/rujukan", body, headers=fresh).json()["success"]
