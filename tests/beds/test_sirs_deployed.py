"""SIRS Online as deployed clients call it (issue 16), replaying what public SIRS clients send
(read in their public source, not against Kemenkes' service): the bed-type reference they read
first (`GET /fo/index.php/Referensi/tempat_tidur`, parsed as `tempat_tidur[].kode_tt/nama_tt`,
headers `X-rs-id`, `X-Timestamp` in Unix seconds, `X-pass` = the password itself), and a
Livewire SIMRS that POSTs integers including `jumlah_ruang`, `terpakai_suspek`,
`terpakai_konfirmasi`, `prepare_plan` and `covid`, then PUTs by `id_t_tt`."""

import json

import pytest

from sigap.beds.models import BedUpdate, Room, SirsBedType

from .test_sirs import PASSWORD, URL, bed, counts, sirs_headers, sirs_hospital  # noqa: F401

pytestmark = pytest.mark.django_db

REF = "/fo/index.php/Referensi/tempat_tidur"


def livewire_bed(**over) -> dict:
    body = {
        "ruang": "Bangsal A - Melati - Kelas III", "jumlah_ruang": 1, "jumlah": 20,
        "terpakai": 12, "terpakai_suspek": 0, "terpakai_konfirmasi": 0, "antrian": 0,
        "prepare": 0, "prepare_plan": 0, "covid": 0, "id_tt": "5",
    }  # fmt: skip
    body.update(over)
    return body


@pytest.fixture
def call(client, sirs_hospital):  # noqa: F811 - the imported fixture
    def call(method: str, body=None, path=URL, headers=None) -> dict:
        kw = {"headers": headers or sirs_headers(password=PASSWORD, hashed=False)}
        if body is not None:
            kw["data"], kw["content_type"] = json.dumps(body), "application/json"
        r = getattr(client, method.lower())(path, **kw)
        assert r.status_code in (200, 405), r.content
        return r.json()

    return call


def test_reference_bed_types_as_clients_parse_them(call):
    answer = call("GET", path=REF)
    rows = answer["tempat_tidur"]
    assert {"kode_tt": "1", "nama_tt": "VVIP"} in rows
    assert [r["kode_tt"] for r in rows] == [str(t) for t in SirsBedType.objects.values_list(
        "id_tt", flat=True).order_by("id_tt")]  # fmt: skip
    assert all(set(r) == {"kode_tt", "nama_tt"} and r["nama_tt"] for r in rows)
    # the codes of reference/indonesia.md are there
    assert {"1", "5", "6", "12", "36", "38", "52"} <= {r["kode_tt"] for r in rows}
    # lower-case path and trailing slash, as some clients write it
    assert call("GET", path="/fo/index.php/referensi/tempat_tidur/") == answer


def test_reference_refusals_use_the_sirs_envelope(call):
    bad = call("GET", path=REF, headers=sirs_headers(password="salah", hashed=False))
    [row] = bad["tempat_tidur"]
    assert row["status"] == "401" and row["message"]
    [row] = call("POST", {}, path=REF)["tempat_tidur"]
    assert row["status"] == "405"


def test_round_trip_of_jumlah_ruang_prepare_plan_covid(call):
    [created] = call("POST", livewire_bed(jumlah_ruang=3, prepare_plan=4, covid=1, prepare=2))[
        "fasyankes"
    ]
    assert created["status"] == "200", created
    [row] = call("GET")["fasyankes"]
    assert (row["jumlah_ruang"], row["prepare_plan"], row["covid"], row["prepare"]) == (
        "3",
        "4",
        "1",
        "2",
    )
    assert row["id_t_tt"] == created["id_t_tt"]
    # a PUT that leaves them out keeps them; one that sends them changes them
    [upd] = call("PUT", {"id_t_tt": row["id_t_tt"], "jumlah": 20, "terpakai": 10})["fasyankes"]
    assert upd["status"] == "200", upd
    [row] = call("GET")["fasyankes"]
    assert (row["jumlah_ruang"], row["prepare_plan"], row["covid"]) == ("3", "4", "1")
    [upd] = call("PUT", livewire_bed(id_t_tt=row["id_t_tt"], jumlah_ruang=0, covid=0))["fasyankes"]
    [row] = call("GET")["fasyankes"]
    assert (row["jumlah_ruang"], row["prepare_plan"], row["covid"]) == ("0", "0", "0")
    room = Room.objects.get()
    assert (room.sirs_room_count, room.sirs_prepare_plan, room.sirs_covid) == (0, 0, 0)


def test_values_never_sent_answer_sirs_defaults(call):
    call("POST", {k: v for k, v in bed().items()
                  if k not in ("jumlah_ruang", "prepare_plan", "covid")})  # fmt: skip
    [row] = call("GET")["fasyankes"]
    assert (row["jumlah_ruang"], row["prepare_plan"], row["covid"]) == ("1", "0", "0")


def test_the_same_report_twice_leaves_one_history_row(call):
    call("POST", livewire_bed(jumlah_ruang=2, prepare_plan=1))
    id_t_tt = call("GET")["fasyankes"][0]["id_t_tt"]
    put = livewire_bed(id_t_tt=id_t_tt, jumlah_ruang=2, prepare_plan=1)
    call("PUT", put)
    before = BedUpdate.objects.count()
    call("PUT", put)
    assert BedUpdate.objects.count() == before
    # only prepare_plan changed: that is a change, with a history row
    call("PUT", {**put, "prepare_plan": 5})
    assert BedUpdate.objects.count() == before + 1


BAD = [
    {"jumlah_ruang": -1},
    {"jumlah_ruang": "abc"},
    {"jumlah_ruang": 1.5},
    {"jumlah_ruang": 21},  # more rooms than beds
    {"prepare_plan": -2},
    {"prepare_plan": "1e3"},
    {"prepare_plan": 5001},
    {"covid": 21},
    {"covid": True},
    {"covid": "-0"},
    {"prepare": 9},  # terpakai 12 + prepare 9 > jumlah 20
    {"terpakai_suspek": 10, "terpakai_konfirmasi": 3},  # more than terpakai
    {"terpakai_konfirmasi": -1},
]


def test_bad_values_are_refused_in_the_sirs_envelope_without_writing(call):
    call("POST", livewire_bed(jumlah_ruang=2, prepare_plan=1, covid=1))
    stored = Room.objects.values().get()
    id_t_tt = str(stored["id"])
    before = counts()
    for over in BAD:
        for method, body in (("POST", livewire_bed(id_tt="3", **over)),
                             ("PUT", livewire_bed(id_t_tt=id_t_tt, **over))):  # fmt: skip
            [row] = call(method, body)["fasyankes"]
            assert row["status"] == "400", (method, over, row)
            assert row["message"]
    assert counts() == before
    assert Room.objects.values().get() == stored


def test_edges_zero_beds_and_flags(call):
    # a closed ward keeps its rooms; covid as a flag on a ward of one bed
    [a] = call("POST", livewire_bed(jumlah=0, terpakai=0, jumlah_ruang=3, covid=1))["fasyankes"]
    assert a["status"] == "200", a
    [b] = call("POST", livewire_bed(id_tt="3", ruang="Mawar", jumlah=1, terpakai=1, covid=1))[
        "fasyankes"
    ]
    assert b["status"] == "200", b
    rows = {r["ruang"]: r for r in call("GET")["fasyankes"]}
    assert rows["Bangsal A - Melati - Kelas III"]["jumlah_ruang"] == "3"
    assert rows["Mawar"]["covid"] == "1"
