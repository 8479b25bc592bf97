"""The BPJS Aplicare-compatible endpoints, spoken to as a SIMRS bridge speaks to Aplicare."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from sigap.beds.models import AplicareCredential, BedUpdate, Room
from sigap.core.models import AuditEvent

BASE = "/aplicaresws/rest"


def aplicare_headers(consid: str, secret: str, ts: int | str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"{consid}&{ts}".encode(), hashlib.sha256).digest()
    return {
        "X-cons-id": consid,
        "X-timestamp": ts,
        "X-signature": base64.b64encode(digest).decode(),
    }


def room_body(**overrides) -> dict[str, str]:
    body = {
        "kodekelas": "KL3",
        "koderuang": "MAWAR",
        "namaruang": "Ruang Mawar",
        "kapasitas": "20",
        "tersedia": "5",
        "tersediapria": "0",
        "tersediawanita": "0",
        "tersediapriawanita": "0",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def counts() -> tuple[int, int, int]:
    return Room.objects.count(), BedUpdate.objects.count(), AuditEvent.objects.count()


class Bridge:
    """A test-client SIMRS bridge for one hospital."""

    def __init__(self, client, kodeppk: str, consid: str, secret: str):
        self.client, self.kodeppk, self.consid, self.secret = client, kodeppk, consid, secret

    def headers(self, **kw) -> dict[str, str]:
        return aplicare_headers(self.consid, self.secret, **kw)

    def post(self, op: str, body, *, content_type="Application/JSON", headers=None, ppk=None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        r = self.client.post(
            f"{BASE}/bed/{op}/{ppk or self.kodeppk}",
            data=data,
            content_type=content_type,
            headers=self.headers() if headers is None else headers,
        )
        assert r.status_code == 200, r.content
        return r.json()

    def read(self, start=1, limit=10, ppk=None):
        r = self.client.get(
            f"{BASE}/bed/read/{ppk or self.kodeppk}/{start}/{limit}", headers=self.headers()
        )
        assert r.status_code == 200, r.content
        return r.json()


@pytest.fixture
def aplicare_hospital(make_hospital):
    h = make_hospital("RS Aplicare", bpjs_kodeppk="0901R001")
    AplicareCredential.objects.create(facility=h, cons_id="1001", secret="rahasia-bpjs")
    return h


@pytest.fixture
def bridge(client, aplicare_hospital):
    return Bridge(client, "0901R001", "1001", "rahasia-bpjs")


def test_ref_kelas_lists_the_aplicare_classes(client, bridge):
    r = client.get(f"{BASE}/ref/kelas", headers=bridge.headers())
    body = r.json()
    assert r.status_code == 200 and body["metadata"]["code"] == 1
    codes = {row["kodekelas"]: row["namakelas"] for row in body["response"]["list"]}
    assert len(codes) == 16 and body["response"]["totalitems"] == 16
    assert codes["KL1"] == "KELAS I" and codes["ICC"] == "ICCU" and codes["NON"] == "-"
    assert "KRS" not in codes  # SIRS-only classes are not Aplicare's
    unsigned = client.get(f"{BASE}/ref/kelas").json()
    assert unsigned["metadata"]["code"] == 401


def test_update_unknown_then_create_update_resend_delete(bridge, aplicare_hospital):
    answer = bridge.post("update", room_body())
    assert answer["metadata"] == {"code": 0, "message": "Data tidak ada di database"}
    assert counts() == (0, 0, 0)

    assert bridge.post("create", room_body())["metadata"] == {"code": 1, "message": "OK"}
    room = Room.objects.get()
    assert (room.facility, room.bed_class_id, room.code) == (aplicare_hospital, "KL3", "MAWAR")
    assert (room.capacity, room.free, room.source) == (20, 5, "aplicare")
    # "0" for every sex means the hospital does not split by sex, not "no bed for anyone".
    assert room.free_male is None and room.free_female is None and room.free_mixed is None
    ev = AuditEvent.objects.get()
    assert ev.actor_label == "aplicare:1001" and ev.channel == "aplicare"

    assert bridge.post("update", room_body(tersedia="3"))["metadata"]["code"] == 1
    room.refresh_from_db()
    assert room.free == 3 and BedUpdate.objects.count() == 2

    # A resent update changes nothing but the time the hospital confirmed its data.
    before = counts()
    reported = room.reported_at
    assert bridge.post("update", room_body(tersedia="3"))["metadata"]["code"] == 1
    room.refresh_from_db()
    assert counts() == before and room.reported_at >= reported and room.free == 3

    delete = {"kodekelas": "KL3", "koderuang": "MAWAR"}
    assert bridge.post("delete", delete)["metadata"]["code"] == 1
    assert not Room.objects.exists()
    assert BedUpdate.objects.filter(kind="delete").count() == 1
    assert bridge.post("delete", delete)["metadata"] == {
        "code": 0,
        "message": "Data tidak ada di database",
    }


def test_create_refuses_an_existing_room(bridge):
    bridge.post("create", room_body())
    before = counts()
    answer = bridge.post("create", room_body(tersedia="1"))
    assert answer["metadata"]["code"] == 201 and "sudah ada" in answer["metadata"]["message"]
    assert counts() == before and Room.objects.get().free == 5


def test_by_sex_numbers_are_kept_when_reported(bridge):
    bridge.post("create", room_body(tersediapria="2", tersediawanita="1", tersediapriawanita="2"))
    room = Room.objects.get()
    assert (room.free_male, room.free_female, room.free_mixed) == (2, 1, 2)


@pytest.mark.parametrize(
    "content_type, encode",
    [
        ("Application/JSON", json.dumps),
        ("application/json; charset=UTF-8", json.dumps),
        ("text/plain", json.dumps),
        ("application/x-www-form-urlencoded", json.dumps),  # JSON body, wrong label
        ("application/x-www-form-urlencoded", lambda d: "&".join(f"{k}={v}" for k, v in d.items())),
        ("Application/JSON", lambda d: "\ufeff" + json.dumps(d)),  # BOM from a .NET bridge
    ],
)
def test_bodies_are_read_whatever_the_content_type(bridge, content_type, encode):
    answer = bridge.post("create", encode(room_body()), content_type=content_type)
    assert answer["metadata"]["code"] == 1, answer
    assert Room.objects.get().capacity == 20


def test_numbers_may_also_come_as_json_numbers(bridge):
    assert bridge.post("create", room_body(kapasitas=12, tersedia=4))["metadata"]["code"] == 1
    assert Room.objects.get().free == 4


def test_read_pages_from_one(bridge):
    for i in range(5):
        bridge.post("create", room_body(koderuang=f"R{i}", namaruang=f"Ruang {i}", tersedia=str(i)))
    page = bridge.read(1, 2)
    assert page["metadata"]["code"] == 1
    rows = page["response"]["list"]
    assert page["response"]["totalitems"] == 5 and page["metadata"]["totalitems"] == 5
    assert [r["koderuang"] for r in rows] == ["R0", "R1"]
    assert [r["rownumber"] for r in rows] == [1, 2]
    assert rows[1] | {"lastupdate": None} == {
        "kodekelas": "KL3", "namakelas": "KELAS III", "koderuang": "R1", "namaruang": "Ruang 1",
        "kapasitas": "20", "tersedia": "1", "tersediapria": "", "tersediawanita": "",
        "tersediapriawanita": "", "lastupdate": None, "kodeppk": "0901R001", "rownumber": 2,
    }  # fmt: skip
    assert [r["koderuang"] for r in bridge.read(5, 10)["response"]["list"]] == ["R4"]
    assert bridge.read(6, 10)["response"]["list"] == []
    for start, limit in [(0, 5), (1, 0), (1, 5000), ("x", 1), (1, "-1")]:
        assert bridge.read(start, limit)["metadata"]["code"] == 201


def test_signature_checks(client, bridge):
    url = f"{BASE}/bed/create/0901R001"
    body = json.dumps(room_body())
    now = int(time.time())

    def send(headers):
        r = client.post(url, data=body, content_type="application/json", headers=headers)
        assert r.status_code == 200
        return r.json()["metadata"]

    good = bridge.headers()
    bad_sig = good | {"X-signature": base64.b64encode(b"x" * 32).decode()}
    wrong_secret = aplicare_headers("1001", "tebakan")
    expired = aplicare_headers("1001", "rahasia-bpjs", ts=now - 3600)
    future = aplicare_headers("1001", "rahasia-bpjs", ts=now + 3600)
    unknown = aplicare_headers("9999", "rahasia-bpjs")
    garbage_ts = aplicare_headers("1001", "rahasia-bpjs", ts="kemarin")
    for headers in [{}, {k: v for k, v in good.items() if k != "X-signature"}, bad_sig,
                    wrong_secret, expired, future, unknown, garbage_ts]:  # fmt: skip
        meta = send(headers)
        assert meta["code"] == 401, (headers, meta)
    assert counts() == (0, 0, 0)
    assert send(good)["code"] == 1


def test_signature_within_skew_is_accepted(client, bridge, settings):
    settings.SIGAP_SIGNATURE_MAX_SKEW = 300
    headers = aplicare_headers("1001", "rahasia-bpjs", ts=int(time.time()) - 200)
    assert bridge.post("create", room_body(), headers=headers)["metadata"]["code"] == 1


def test_inactive_credential_is_refused(bridge):
    AplicareCredential.objects.update(is_active=False)
    assert bridge.post("create", room_body())["metadata"]["code"] == 401
    assert counts() == (0, 0, 0)


def test_a_cons_id_cannot_write_another_hospitals_beds(bridge, make_hospital):
    other = make_hospital("RS Lain", bpjs_kodeppk="0901R002")
    AplicareCredential.objects.create(facility=other, cons_id="2002", secret="lain")
    for op in ("create", "update"):
        answer = bridge.post(op, room_body(), ppk="0901R002")
        assert answer["metadata"]["code"] == 403
    assert (
        bridge.post("delete", {"kodekelas": "KL3", "koderuang": "X"}, ppk="0901R002")["metadata"][
            "code"
        ]
        == 403
    )
    assert bridge.read(ppk="0901R002")["metadata"]["code"] == 403
    assert counts() == (0, 0, 0)


BAD_BODIES = [
    room_body(kapasitas="dua puluh"),
    room_body(tersedia="-1"),
    room_body(kapasitas="-5", tersedia="0"),
    room_body(tersedia="21"),
    room_body(tersedia="3.5"),
    room_body(kapasitas="1e3"),
    room_body(kapasitas="99999999"),
    room_body(tersedia=True),
    room_body(tersedia=[1]),
    room_body(kodekelas="ZZZ"),
    room_body(kodekelas="KRS"),  # SIRS-only class
    room_body(kodekelas=None),
    room_body(koderuang=None),
    room_body(koderuang="   "),
    room_body(koderuang="X" * 33),
    room_body(koderuang="A\x00B"),
    room_body(namaruang=None),
    room_body(namaruang={"nama": "x"}),
    room_body(kapasitas=None),
    room_body(tersedia=None),
    room_body(tersediapria="4", tersediawanita="4"),
    room_body(tersediapria="x"),
    "{not json",
    "[1, 2, 3]",
    '"just a string"',
    "",
    "x" * 70_000,
    json.dumps(room_body()) + "}",
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("op", ["create", "update"])
@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bad_input_answers_an_error_and_writes_nothing(bridge, op, body):
    if op == "update":
        # The room exists, so a refusal is about the input, not "Data tidak ada".
        bridge.post("create", room_body())
    before = counts()
    answer = bridge.post(op, body)
    assert answer["metadata"]["code"] not in (1, 0), answer
    assert answer["metadata"]["message"]
    assert counts() == before


def test_wrong_method_answers_405_with_envelope(client, bridge):
    r = client.get(f"{BASE}/bed/create/0901R001", headers=bridge.headers())
    assert r.status_code == 405 and r.json()["metadata"]["code"] == 405


def test_no_csrf_needed(bridge, settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    b = Bridge(strict, bridge.kodeppk, bridge.consid, bridge.secret)
    assert b.post("create", room_body())["metadata"]["code"] == 1


def test_trailing_slash_is_tolerated(client, bridge):
    r = client.post(
        f"{BASE}/bed/create/0901R001/",
        data=json.dumps(room_body()),
        content_type="application/json",
        headers=bridge.headers(),
    )
    assert r.json()["metadata"]["code"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_example_bridge_script_against_a_live_server(live_server, aplicare_hospital):
    """examples/simrs_aplicare.py, run as a hospital would run it, against a real server."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "simrs_aplicare.py"
    run = subprocess.run(
        [sys.executable, str(script), "--base-url", live_server.url, "--kodeppk", "0901R001",
         "--cons-id", "1001", "--secret", "rahasia-bpjs"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Data tidak ada di database" in run.stdout  # the update-then-create path was taken
    rooms = {r.code: r for r in Room.objects.filter(facility=aplicare_hospital)}
    assert set(rooms) == {"SIMRS-MAWAR", "SIMRS-ICU"}
    assert (rooms["SIMRS-MAWAR"].capacity, rooms["SIMRS-MAWAR"].free) == (20, 3)
    assert rooms["SIMRS-MAWAR"].source == "aplicare"
    kinds = sorted(BedUpdate.objects.values_list("room_code", "kind"))
    assert kinds == sorted([
        ("SIMRS-MAWAR", "create"), ("SIMRS-ICU", "create"), ("SIMRS-ANGGREK", "create"),
        ("SIMRS-MAWAR", "update"), ("SIMRS-ANGGREK", "delete"),
    ])  # fmt: skip


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_example_bridge_script_fails_loudly_on_bad_credentials(live_server, aplicare_hospital):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "simrs_aplicare.py"
    run = subprocess.run(
        [sys.executable, str(script), "--base-url", live_server.url, "--kodeppk", "0901R001",
         "--cons-id", "1001", "--secret", "salah"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1 and "FAILED" in run.stderr


# --- replays (issue 17): the signature covers consid&timestamp, not the body ------------------


def _send_with(client, headers, body, op="create", **extra):
    r = client.post(
        f"{BASE}/bed/{op}/0901R001",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
        **extra,
    )
    assert r.status_code == 200, r.content
    return r.json()["metadata"]


def test_a_burst_with_one_header_set_passes(client, bridge):
    """Bridges sign once and loop over their rooms: same second, same headers, two rooms."""
    headers = bridge.headers()
    assert _send_with(client, headers, room_body())["code"] == 1
    assert (
        _send_with(client, headers, room_body(koderuang="MELATI", namaruang="Melati"))["code"] == 1
    )
    assert Room.objects.count() == 2


def test_a_header_set_replayed_after_the_burst_is_refused(client, bridge, monkeypatch, settings):
    from sigap.core import compat as kit

    settings.SIGAP_SIGNATURE_MAX_SKEW = 300
    settings.SIGAP_SIGNATURE_BURST_SECONDS = 60
    headers = bridge.headers()
    assert _send_with(client, headers, room_body())["code"] == 1
    before = counts()
    start = time.time()
    monkeypatch.setattr(kit, "_now", lambda: start + 90)  # inside the 300 s window
    meta = _send_with(client, headers, room_body(tersedia="0"), op="update")
    assert meta["code"] == 401 and "X-timestamp baru" in meta["message"]
    meta = _send_with(client, headers, {"kodekelas": "KL3", "koderuang": "MAWAR"}, op="delete")
    assert meta["code"] == 401
    assert counts() == before and Room.objects.get().free == 5
    # a fresh signature is fine
    fresh = aplicare_headers("1001", "rahasia-bpjs", ts=int(start + 90))
    assert _send_with(client, fresh, room_body(tersedia="0"), op="update")["code"] == 1


def test_a_header_set_from_another_address_is_refused(client, bridge):
    headers = bridge.headers()
    assert _send_with(client, headers, room_body())["code"] == 1
    meta = _send_with(client, headers, room_body(koderuang="X"), REMOTE_ADDR="203.0.113.7")
    assert meta["code"] == 401 and "alamat lain" in meta["message"]
    assert Room.objects.count() == 1
