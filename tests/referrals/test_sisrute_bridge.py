"""SIGAP's SISRUTE endpoints spoken to the way public SIMRS bridges speak to SISRUTE: the
reference doc's paths and bodies, plus what the bridges do on the wire (header spellings
`X-Timestamp`/`X-Signature`, a JSON body sent as form-urlencoded or as
`application/vnd.rujukan.v1+json`, `create=true` on the list, `total` before `data`, coded
fields read as `{KODE, NAMA}`, `rujukan/notif/{no}` by PUT, `batal` with only `PETUGAS`,
`referensi/<list>/{kode}`)."""

import json

import pytest

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.referrals import services
from sigap.referrals.models import Referral

from .test_sisrute import BASE, rujukan_body, sisrute_headers

pytestmark = pytest.mark.django_db


def signed(consid: str, password: str) -> dict[str, str]:
    """Header spellings of the bridges: `X-Timestamp` (capital T) and `X-Signature`."""
    h = sisrute_headers(consid, password)
    return {"X-cons-id": consid, "X-Timestamp": h["X-timestamp"], "X-Signature": h["X-signature"]}


class Simrs:
    """A SIMRS bridge: base URL + cons-id + password, nothing SIGAP-specific."""

    def __init__(self, client, consid: str, password: str):
        self.client, self.consid, self.password = client, consid, password

    def _meta(self) -> dict:
        h = signed(self.consid, self.password)
        return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in h.items()}

    def get(self, path: str, query: str = "") -> dict:
        r = self.client.get(BASE + path + (f"?{query}" if query else ""), **self._meta())
        assert r.status_code == 200, r.content
        return r.json()

    def send(self, method: str, path: str, body=None, content_type="application/json") -> dict:
        fn = getattr(self.client, method.lower())
        data = json.dumps(body) if body is not None else ""
        r = fn(BASE + path, data=data, content_type=content_type, **self._meta())
        assert r.status_code == 200, r.content
        return r.json()


@pytest.fixture
def simrs(client, network):
    system = Actor.system("test")
    services.set_sisrute_password(system, network.pkm, "3374011", "pkm-pass")
    services.set_sisrute_password(system, network.alfa, "3374012", "alfa-pass")
    return Simrs(client, "3374011", "pkm-pass"), Simrs(client, "3374012", "alfa-pass")


def test_bridge_round_trip(simrs, network):
    pkm, alfa = simrs
    tujuan = network.alfa.bpjs_kodeppk
    # a Guzzle bridge sends the JSON body with a form-urlencoded content type
    res = pkm.send("POST", "/rujukan", rujukan_body(tujuan), "Application/x-www-form-urlencoded")
    assert res["status"] == 200 and res["success"] is True and res["detail"]
    no = res["data"]["RUJUKAN"]["NOMOR"]

    # the hospital's "rujukan masuk" page: no create flag, empty filters, `total` then `data`
    inbox = alfa.get("/rujukan", "nomor=&tanggal=")
    assert inbox["total"] == 1 and len(inbox["data"]) == 1
    row = inbox["data"][0]
    assert row["RUJUKAN"]["NOMOR"] == no
    assert row["RUJUKAN"]["STATUS"]["NAMA"] == "Belum direspon"
    assert row["RUJUKAN"]["FASKES_ASAL"]["NAMA"] == "Puskesmas Miroto"
    assert row["RUJUKAN"]["FASKES_TUJUAN"]["NAMA"] == "RS Alfa"
    assert row["PASIEN"]["JENIS_KELAMIN"] == {"KODE": "2", "NAMA": "Perempuan"}
    assert row["RUJUKAN"]["JENIS_RUJUKAN"]["KODE"] == "2"
    assert row["RUJUKAN"]["ALASAN"]["NAMA"] and row["RUJUKAN"]["DIAGNOSA"]["KODE"] == "J18.9"
    assert row["RUJUKAN"]["DOKTER"]["NAMA"] == "dr. Contoh"
    assert row["KONDISI_UMUM"]["KESADARAN"] == {"KODE": "1", "NAMA": "Sadar"}
    assert row["KONDISI_UMUM"]["NYERI"] == {"KODE": "2", "NAMA": "Sedang"}
    # the sender sees nothing "masuk"; its "rujukan keluar" page asks with create=true
    assert pkm.get("/rujukan", "nomor=&tanggal=")["total"] == 0
    keluar = pkm.get("/rujukan", f"create=true&nomor={no}&tanggal=")
    assert keluar["total"] == 1

    # "Edit": the bridge fills its form from the row it read and PUTs it back
    back = {k: dict(v) for k, v in keluar["data"][0].items()}
    back["RUJUKAN"] = {**back["RUJUKAN"], "ALASAN_LAINNYA": "Perlu ICU"}
    back["RUJUKAN"]["FASKES_TUJUAN"] = back["RUJUKAN"]["FASKES_TUJUAN"]["KODE"]
    res = pkm.send("PUT", f"/rujukan/{no}", back, "application/vnd.rujukan.v1+json")
    assert res["success"] is True, res
    assert res["data"]["RUJUKAN"]["ALASAN_LAINNYA"] == "Perlu ICU"
    assert res["data"]["PASIEN"]["JENIS_KELAMIN"]["KODE"] == "2"

    # the reminder by the other path a bridge uses
    assert pkm.send("PUT", f"/rujukan/notif/{no}")["success"] is True

    # the answer, DITERIMA as a number
    answer = {"DITERIMA": 1, "KETERANGAN": "Silakan rujuk", "PETUGAS": {"NIK": "", "NAMA": "Ani"}}
    res = alfa.send("PUT", f"/rujukan/jawab/{no}", answer)
    assert res["success"] is True and res["data"]["RUJUKAN"]["STATUS"]["NAMA"] == "Sudah direspon"
    assert res["data"]["RUJUKAN"]["STATUS_SIGAP"]["KODE"] == "accepted"
    assert Referral.objects.get(number=no).status == "accepted"


def test_bridge_cancel_with_only_petugas(simrs, network):
    pkm, _alfa = simrs
    no = pkm.send("POST", "/rujukan", rujukan_body(network.alfa.bpjs_kodeppk))["data"]["RUJUKAN"][
        "NOMOR"
    ]
    res = pkm.send("PUT", f"/rujukan/batal/{no}", {"PETUGAS": {"NIK": "-", "NAMA": "Budi"}})
    assert res["success"] is True and res["data"]["RUJUKAN"]["STATUS_SIGAP"]["KODE"] == "cancelled"
    audit = AuditEvent.objects.filter(action="referral.cancel", actor_label__contains="Budi")
    assert audit.exists()


def test_bridge_reference_lists(simrs, network):
    pkm, _ = simrs
    faskes = pkm.get("/referensi/faskes", "query=Alfa")
    assert faskes["total"] == 1 and faskes["data"][0]["NAMA"] == "RS Alfa"
    one = pkm.get(f"/referensi/faskes/{network.alfa.bpjs_kodeppk}")
    assert one["data"][0]["KODE"] == network.alfa.bpjs_kodeppk
    assert pkm.get("/referensi/faskes/TIDAKADA")["status"] == 404

    alasan = pkm.get("/referensi/alasanrujukan", "query=")
    assert alasan["total"] == len(alasan["data"]) > 1
    assert all(set(a) == {"KODE", "NAMA"} for a in alasan["data"])
    code = alasan["data"][0]["KODE"]
    assert pkm.get(f"/referensi/alasanrujukan/{code}")["data"] == [alasan["data"][0]]

    dx = pkm.get("/referensi/diagnosa", "query=I10")
    assert dx["total"] >= 1 and dx["data"][0]["KODE"] == "I10"
    assert pkm.get("/referensi/diagnosa/J18.9")["data"][0]["NAMA"] == "Pneumonia, unspecified"
    assert pkm.get("/referensi/diagnosa/ZZZ")["status"] == 404
