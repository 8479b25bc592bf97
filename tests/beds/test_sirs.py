"""The Kemenkes SIRS Online-compatible endpoint, spoken to as a SIMRS bridge speaks to SIRS."""

import hashlib
import json
import time
from datetime import UTC, datetime

import pytest

from sigap.beds.models import BedUpdate, Room, SirsCredential
from sigap.core.models import AuditEvent

URL = "/fo/index.php/Fasyankes"
PASSWORD = "S!rs-uji-2026"


def sirs_headers(rs_id="3374999", password=PASSWORD, ts=None, hashed=True) -> dict[str, str]:
    return {
        "X-rs-id": rs_id,
        "X-Timestamp": str(int(time.time()) if ts is None else ts),
        "X-pass": hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        if hashed
        else password,
    }


def bed(**overrides) -> dict:
    body = {
        "id_tt": "5", "ruang": "Melati", "jumlah_ruang": "1", "jumlah": "20", "terpakai": "12",
        "prepare": "2", "prepare_plan": "0", "antrian": "3", "covid": 0,
    }  # fmt: skip
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def counts() -> tuple[int, int, int]:
    return Room.objects.count(), BedUpdate.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def sirs_hospital(make_hospital):
    h = make_hospital("RS SIRS")
    SirsCredential.objects.create(
        facility=h,
        rs_id="3374999",
        password_md5=hashlib.md5(PASSWORD.encode(), usedforsecurity=False).hexdigest(),
    )
    return h


@pytest.fixture
def send(client, sirs_hospital):
    def send(method: str, body=None, headers=None, content_type="application/json"):
        kw = {"headers": sirs_headers() if headers is None else headers}
        if body is not None:
            kw["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kw["content_type"] = content_type
        r = getattr(client, method.lower())(URL, **kw)
        assert r.status_code == 200, r.content
        return r.json()["fasyankes"]

    return send


def test_post_get_put_delete(send, sirs_hospital):
    [answer] = send("POST", bed())
    assert answer["status"] == "200" and answer["message"]
    room = Room.objects.get()
    assert (room.facility, room.bed_class_id, room.code, room.name) == (
        sirs_hospital,
        "KL3",
        "MELATI",
        "Melati",
    )
    # free = jumlah - terpakai - prepare
    assert (room.capacity, room.free, room.preparing, room.waiting) == (20, 6, 2, 3)
    assert room.sirs_type_id == 5 and room.source == "sirs"
    assert answer["id_t_tt"] == str(room.pk)
    assert AuditEvent.objects.get().actor_label == "sirs:3374999"

    [row] = send("GET")
    assert row["id_t_tt"] == str(room.pk) and row["id_tt"] == "5" and row["ruang"] == "Melati"
    assert (row["jumlah"], row["terpakai"], row["prepare"], row["antrian"], row["kosong"]) == (
        "20",
        "12",
        "2",
        "3",
        "6",
    )

    # PUT by id_t_tt, as bridges do after reading it back from GET.
    [answer] = send("PUT", bed(id_t_tt=row["id_t_tt"], terpakai="15", prepare="0"))
    assert answer["status"] == "200"
    room.refresh_from_db()
    assert (room.free, room.preparing) == (5, 0)
    # PUT by id_tt + ruang, and a resend changes nothing.
    send("PUT", bed(terpakai="16", prepare="0"))
    before = counts()
    [answer] = send("PUT", bed(terpakai="16", prepare="0"))
    assert answer["status"] == "200" and counts() == before
    room.refresh_from_db()
    assert room.free == 4

    [answer] = send("DELETE", {"id_t_tt": str(room.pk)})
    assert answer["status"] == "200" and not Room.objects.exists()
    [answer] = send("DELETE", {"id_t_tt": str(room.pk)})
    assert answer["status"] == "404"


def test_post_existing_and_put_unknown(send):
    send("POST", bed())
    before = counts()
    assert send("POST", bed(terpakai="1"))[0]["status"] == "409"
    assert send("PUT", bed(ruang="Tidak Ada"))[0]["status"] == "404"
    assert send("PUT", bed(id_t_tt="999999"))[0]["status"] == "404"
    assert counts() == before


def test_room_codes_are_stable_slugs(send):
    send("POST", bed(ruang=""))  # no ruang: SIRS{id_tt}
    send("POST", bed(id_tt="6", ruang="ICU Lt. 2"))
    send("POST", bed(id_tt="38", ruang="ICU Lt. 2"))  # ventilator twin: never the same room
    codes = set(Room.objects.values_list("bed_class_id", "code"))
    assert codes == {("KL3", "SIRS5"), ("ICU", "ICU-LT-2"), ("ICU", "ICU-LT-2-38")}
    [answer] = send("PUT", bed(id_tt="6", ruang="icu lt 2", terpakai="1", prepare="0"))
    assert answer["status"] == "200"  # the same slug finds the same room


def test_get_lists_only_this_hospitals_rooms(send, make_hospital, system_actor):
    from sigap.beds import services

    other = make_hospital("RS Lain")
    services.upsert_room(
        system_actor, other,
        services.RoomInput(bed_class="ICU", code="X", name="ICU lain", capacity=3, free=1),
        source="api",
    )  # fmt: skip
    send("POST", bed())
    rows = send("GET")
    assert [r["ruang"] for r in rows] == ["Melati"]
    other_room = Room.objects.get(facility=other)
    assert send("DELETE", {"id_t_tt": str(other_room.pk)})[0]["status"] == "404"
    assert Room.objects.filter(pk=other_room.pk).exists()


def test_auth(send):
    now = int(time.time())
    iso = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send("POST", bed(), headers=sirs_headers(ts=iso))[0]["status"] == "200"
    # Some bridges send the password itself rather than its MD5: accepted too.
    assert send("GET", headers=sirs_headers(hashed=False))[0]["ruang"] == "Melati"
    for headers in [
        {},
        sirs_headers(password="salah"),
        sirs_headers(rs_id="0000000"),
        sirs_headers(ts=now - 3600),
        sirs_headers(ts="bukan-waktu"),
        {k: v for k, v in sirs_headers().items() if k != "X-pass"},
    ]:
        assert send("POST", bed(ruang="Lain"), headers=headers)[0]["status"] == "401", headers
    assert Room.objects.count() == 1


BAD = [
    bed(jumlah="10", terpakai="9", prepare="2"),  # free would be negative
    bed(jumlah="-1"),
    bed(terpakai="banyak"),
    bed(id_tt="999"),
    bed(id_tt=None),
    bed(jumlah=None),
    bed(terpakai=None),
    bed(antrian="-3"),
    bed(covid="x"),
    bed(ruang="A\x00"),
    bed(ruang="R" * 200),
    "{broken",
    "[]",
    "",
]


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("body", BAD, ids=range(len(BAD)))
def test_bad_input_writes_nothing(send, method, body):
    if method == "PUT":
        send("POST", bed())
    before = counts()
    [answer] = send(method, body)
    assert answer["status"] in {"400", "404"}, answer
    assert counts() == before


def test_wrong_method(client, sirs_hospital):
    r = client.patch(URL, headers=sirs_headers())
    assert r.status_code == 405 and r.json()["fasyankes"][0]["status"] == "405"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_example_bridge_script_against_a_live_server(live_server, sirs_hospital):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "simrs_sirs.py"
    run = subprocess.run(
        [sys.executable, str(script), "--base-url", live_server.url, "--rs-id", "3374999",
         "--password", PASSWORD],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    room = Room.objects.get(facility=sirs_hospital)
    assert (room.bed_class_id, room.name, room.capacity, room.free, room.waiting) == (
        "KL3",
        "SIMRS Melati",
        24,
        3,
        2,
    )
    assert BedUpdate.objects.filter(kind="delete", bed_class_id="NIC").count() == 1


def test_xpass_forms_follow_the_setting(send, settings):
    """Public SIRS Online bridges send the password itself, SIGAP's example its MD5; a
    deployment may accept one form only (issue 17)."""
    settings.SIGAP_SIRS_XPASS_FORMS = ("password",)
    assert send("POST", bed())[0]["status"] == "401"  # the stored MD5 is not the credential
    assert send("POST", bed(), headers=sirs_headers(hashed=False))[0]["status"] == "200"
    settings.SIGAP_SIRS_XPASS_FORMS = ("md5",)
    assert send("GET", headers=sirs_headers(hashed=False))[0]["status"] == "401"
    assert send("GET")[0]["ruang"] == "Melati"
    settings.SIGAP_SIRS_XPASS_FORMS = ()
    assert send("GET")[0]["status"] == "401"
    assert Room.objects.count() == 1
