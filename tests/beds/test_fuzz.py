"""Fuzzing the bed endpoints with hypothesis: random and half-valid parameters, bodies, paths
and headers against the public API, the operator API, and the Aplicare and SIRS endpoints.

Two properties for every request: never a server error (5xx), and a refusal (a 4xx, or an
Aplicare/SIRS error envelope) writes nothing: the counts of rooms, history rows and audit
records are the same before and after.
"""

import functools
import json
import time
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sigap.beds import services
from sigap.beds.models import AplicareCredential, BedUpdate, Room, SirsCredential
from sigap.core.models import ApiKey, AuditEvent
from sigap.core.services import Actor
from tests.beds.test_aplicare import aplicare_headers
from tests.beds.test_sirs import PASSWORD, sirs_headers

FUZZ = settings(
    max_examples=150,
    deadline=None,
    # The database fixtures are set up once per test; each example runs in a savepoint that is
    # rolled back (see `isolated`), so examples do not leak into each other.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def isolated(test):
    """Run each example in a rolled-back savepoint, so that a failure replays the same way."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with transaction.atomic():
            test(*args, **kwargs)
            transaction.set_rollback(True)

    return run


def counts() -> tuple[int, int, int]:
    return Room.objects.count(), BedUpdate.objects.count(), AuditEvent.objects.count()


# --- value strategies: mostly near-valid, sometimes garbage ----------------------------------

garbage = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                         max_size=2),
)  # fmt: skip
count_like = st.one_of(
    st.integers(min_value=-3, max_value=60).map(str),
    st.integers(min_value=-3, max_value=60),
    st.sampled_from(["", " 7 ", "+3", "1e2", "3.0", "０", "٣", "x", "-0", "99999999999"]),
    garbage,
)
kodekelas = st.one_of(
    st.sampled_from(["KL1", "KL3", "ICU", "icu", "NIC", "KRS", "ZZZ", "", " VIP "]), garbage
)
koderuang = st.one_of(
    st.sampled_from(["R1", "R2", "MAWAR", " R1 ", "", "A" * 40]), st.text(max_size=36), garbage
)
namaruang = st.one_of(st.just("Ruang Uji"), st.text(max_size=140), garbage)


def maybe(keys: dict) -> st.SearchStrategy:
    """A dict with each key present or absent."""
    return st.fixed_dictionaries({}, optional=keys)


def mutated(valid: st.SearchStrategy, wild: dict) -> st.SearchStrategy:
    """A valid body, then up to two fields dropped or replaced by a wild value: most requests
    get deep into validation and some succeed, which is where partial writes would hide."""

    @st.composite
    def build(draw):
        body = dict(draw(valid))
        for key in draw(st.lists(st.sampled_from(sorted(wild)), max_size=2, unique=True)):
            if draw(st.booleans()):
                body.pop(key, None)
            else:
                body[key] = draw(wild[key])
        return body

    return build()


@st.composite
def valid_aplicare(draw) -> dict:
    cap = draw(st.integers(min_value=0, max_value=30))
    return {
        "kodekelas": draw(st.sampled_from(["KL3", "ICU", "VIP"])),
        "koderuang": draw(st.sampled_from(["R1", "R2", "R3"])),
        "namaruang": "Ruang Uji", "kapasitas": str(cap),
        "tersedia": str(draw(st.integers(min_value=0, max_value=cap))),
        "tersediapria": "0", "tersediawanita": "0", "tersediapriawanita": "0",
    }  # fmt: skip


aplicare_wild = {
    "kodekelas": kodekelas, "koderuang": koderuang, "namaruang": namaruang,
    "kapasitas": count_like, "tersedia": count_like, "tersediapria": count_like,
    "tersediawanita": count_like, "tersediapriawanita": count_like, "extra": garbage,
}  # fmt: skip
aplicare_body = st.one_of(mutated(valid_aplicare(), aplicare_wild), maybe(aplicare_wild))
raw_body = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.sampled_from([b"", b"{", b"[]", b"null", b"1", b'"x"', b"a=1&b=2", b"\xef\xbb\xbf{}"]),
)
content_types = st.sampled_from(
    ["application/json", "Application/JSON", "text/plain", "application/x-www-form-urlencoded",
     "application/octet-stream", "multipart/form-data; boundary=x"]
)  # fmt: skip


# Mostly what bridges send, sometimes what nobody should.
json_types = st.one_of(
    st.just("application/json"), st.just("application/json"),
    st.sampled_from(["Application/JSON", "text/plain", "text/html"]),
)  # fmt: skip


def body_bytes(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def world(make_hospital, operator_of):
    """Two hospitals with rooms, Aplicare and SIRS credentials, and an operator API key."""
    a = make_hospital("RS Fuzz A", bpjs_kodeppk="0901R001")
    b = make_hospital("RS Fuzz B", bpjs_kodeppk="0901R002")
    for h in (a, b):
        for code, cls in (("R1", "KL3"), ("R2", "ICU")):
            services.upsert_room(
                Actor.system(), h,
                services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}", capacity=10,
                                   free=4),
                source="api",
            )  # fmt: skip
    AplicareCredential.objects.create(facility=a, cons_id="1001", secret="rahasia-bpjs")
    AplicareCredential.objects.create(facility=b, cons_id="2002", secret="rahasia-b")
    import hashlib

    SirsCredential.objects.create(
        facility=a, rs_id="3374999",
        password_md5=hashlib.md5(PASSWORD.encode(), usedforsecurity=False).hexdigest(),
    )  # fmt: skip
    _key, raw = ApiKey.generate(operator_of(a, "op-fuzz"), "fuzz")
    return {"a": a, "b": b, "auth": {"Authorization": f"Bearer {raw}"}}


# --- public API --------------------------------------------------------------------------

public_params = maybe({
    "kelas": kodekelas, "lat": st.one_of(st.floats(min_value=-100, max_value=100), garbage),
    "lon": st.one_of(st.floats(min_value=-200, max_value=200), garbage),
    "kecamatan": st.one_of(st.sampled_from(["337401", "337410", "3374"]), garbage),
    "wilayah": st.one_of(st.sampled_from(["33", "3374", "337401", "3374011001"]), garbage),
    "limit": st.one_of(st.integers(min_value=-5, max_value=1000), garbage),
    "include_full": st.one_of(st.sampled_from(["true", "false", "1"]), garbage),
    "format": st.one_of(st.sampled_from(["csv", "xlsx"]), garbage),
})  # fmt: skip


def _query(params: dict) -> dict:
    return {k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in params.items()}


@FUZZ
@given(params=public_params, export=st.booleans())
@isolated
def test_fuzz_public_board(world, params, export):
    client = Client()
    url = "/api/v1/public/beds/export" if export else "/api/v1/public/beds"
    r = client.get(url, _query(params))
    assert r.status_code < 500, (params, r.content[:300])
    if 400 <= r.status_code < 500:
        assert set(r.json()) == {"code", "message", "field"}
    elif not export:
        assert isinstance(r.json(), list)


# --- operator API --------------------------------------------------------------------------


@st.composite
def valid_operator(draw) -> dict:
    cap = draw(st.integers(min_value=0, max_value=30))
    free = draw(st.integers(min_value=0, max_value=cap))
    return {
        "namaruang": "Ruang Uji", "kapasitas": cap, "tersedia": free,
        "dipesan": draw(st.integers(min_value=0, max_value=cap - free)),
        "antrian": draw(st.integers(min_value=0, max_value=5)),
    }  # fmt: skip


operator_wild = {
    "namaruang": namaruang, "kapasitas": count_like, "tersedia": count_like,
    "tersediapria": count_like, "tersediawanita": count_like, "dipesan": count_like,
    "antrian": count_like, "extra": garbage,
}  # fmt: skip
operator_body = st.one_of(
    mutated(valid_operator(), operator_wild), mutated(valid_operator(), operator_wild),
    maybe(operator_wild), raw_body,
)  # fmt: skip
class_segment = st.one_of(
    st.just("KL3"), st.just("ICU"), st.sampled_from(["kl3", "ZZZ", "R1", "KRS"]),
    st.text(min_size=1, max_size=40),
)  # fmt: skip
room_segment = st.one_of(
    st.sampled_from(["R1", "R2", "NEW"]),
    st.sampled_from(["R1", "NEW", " R1", "ZZZ"]),
    st.text(min_size=1, max_size=40),
)


@FUZZ
@given(
    method=st.sampled_from(["put", "patch", "delete", "get"]),
    facility=st.sampled_from(["a", "a", "a", "b", "ppk-a", "junk"]),
    kodekelas=class_segment,
    koderuang=room_segment,
    body=operator_body,
    content_type=json_types,
)
@isolated
def test_fuzz_operator_api(world, method, facility, kodekelas, koderuang, body, content_type):
    ref = {"a": str(world["a"].public_id), "b": str(world["b"].public_id),
           "ppk-a": "0901R001", "junk": "x%00y"}[facility]  # fmt: skip
    base = f"/api/v1/beds/facilities/{ref}/rooms"
    url = (
        base
        if method == "get"
        else f"{base}/{quote(kodekelas, safe='')}/{quote(koderuang, safe='')}"
    )
    before = counts()
    if method == "get":
        r = Client().get(url, headers=world["auth"])
    else:
        r = getattr(Client(), method)(
            url, data=body_bytes(body), content_type=content_type, headers=world["auth"]
        )
    assert r.status_code < 500, (method, url, body, r.content[:300])
    detail = r.json().get("field") if r.status_code == 422 else ""
    event(f"operator {method} {r.status_code} {detail}")
    if r.status_code >= 400:
        assert set(r.json()) == {"code", "message", "field"}, r.content[:300]
        assert counts() == before, (method, url, body, r.status_code)
    if facility == "b":
        # Never another hospital's rooms (a malformed body may be refused before the check).
        assert 400 <= r.status_code < 500, r.status_code


@FUZZ
@given(
    method=st.sampled_from(["put", "put", "patch", "delete"]),
    kodekelas=st.sampled_from(["KL3", "ICU"]),
    koderuang=st.sampled_from(["R1", "R2", "NEW"]),
    body=operator_body,
)
@isolated
def test_fuzz_operator_writes(world, method, kodekelas, koderuang, body):
    """Well-formed paths, near-valid bodies: the writes themselves, and their refusals."""
    url = f"/api/v1/beds/facilities/{world['a'].public_id}/rooms/{kodekelas}/{koderuang}"
    before = counts()
    r = getattr(Client(), method)(
        url, data=body_bytes(body), content_type="application/json", headers=world["auth"]
    )
    assert r.status_code < 500, (method, url, body, r.content[:300])
    event(f"operator write {method} {r.status_code}")
    if r.status_code >= 400:
        assert set(r.json()) == {"code", "message", "field"}, r.content[:300]
        assert counts() == before, (method, url, body, r.status_code)
    else:
        room = Room.objects.filter(facility=world["a"], bed_class_id=kodekelas,
                                   code=koderuang).first()  # fmt: skip
        if method == "delete":
            assert room is None
        else:
            assert 0 <= room.free + room.reserved + room.preparing <= room.capacity
            assert r.json()["room"]["free"] == room.free


# --- Aplicare ------------------------------------------------------------------------------


@FUZZ
@given(
    op=st.sampled_from(["create", "update", "delete"]),
    kodeppk=st.one_of(
        st.just("0901R001"),
        st.just("0901R001"),
        st.just("0901R001"),
        st.sampled_from(["0901R002", "X"]),
        st.text(min_size=1, max_size=20),
    ),  # fmt: skip
    body=st.one_of(aplicare_body, aplicare_body, raw_body),
    content_type=json_types | content_types,
    auth=st.sampled_from(["good", "good", "good", "other", "stale", "none", "bad"]),
)
@isolated
def test_fuzz_aplicare(world, op, kodeppk, body, content_type, auth):
    headers = {
        "good": aplicare_headers("1001", "rahasia-bpjs"),
        "other": aplicare_headers("2002", "rahasia-b"),
        "stale": aplicare_headers("1001", "rahasia-bpjs", ts=int(time.time()) - 10_000),
        "none": {},
        "bad": aplicare_headers("1001", "salah"),
    }[auth]
    before = counts()

    def b_rooms() -> list:
        return list(Room.objects.filter(facility=world["b"]).values_list("code", "free"))

    b_before = b_rooms()
    r = Client().post(
        f"/aplicaresws/rest/bed/{op}/{quote(kodeppk, safe='')}",
        data=body_bytes(body), content_type=content_type, headers=headers,
    )  # fmt: skip
    if r.status_code == 404:  # a kodeppk with "/" in it names no endpoint at all
        assert "/" in kodeppk and counts() == before
        return
    assert r.status_code == 200, (r.status_code, r.content[:300])
    meta = r.json()["metadata"]
    event(f"aplicare {op} code {meta['code']}")
    assert meta["message"]
    if meta["code"] != 1:
        assert counts() == before, (op, body, meta)
    else:  # only a hospital's own cons-id on its own kodeppk gets through
        assert (auth, kodeppk) in {("good", "0901R001"), ("other", "0901R002")}, (auth, kodeppk)
    if auth != "other":  # hospital B's rooms are never touched through A's cons-id
        assert b_rooms() == b_before


@FUZZ
@given(
    op=st.sampled_from(["create", "update", "update", "delete"]),
    body=st.one_of(valid_aplicare(), mutated(valid_aplicare(), aplicare_wild), aplicare_body),
)
@isolated
def test_fuzz_aplicare_writes(world, op, body):
    """A correctly signed bridge of hospital A with near-valid bodies: what is accepted is
    stored exactly, what is refused leaves no trace."""
    before = counts()
    r = Client().post(
        f"/aplicaresws/rest/bed/{op}/0901R001", data=json.dumps(body),
        content_type="Application/JSON", headers=aplicare_headers("1001", "rahasia-bpjs"),
    )  # fmt: skip
    assert r.status_code == 200, r.content[:300]
    meta = r.json()["metadata"]
    event(f"aplicare write {op} code {meta['code']}")
    if meta["code"] != 1:
        assert counts() == before, (op, body, meta)
        return
    room = Room.objects.filter(
        facility=world["a"], bed_class_id=str(body["kodekelas"]).strip().upper(),
        code=str(body["koderuang"]).strip(),
    ).first()  # fmt: skip
    if op == "delete":
        assert room is None
    else:
        assert (room.capacity, room.free) == (int(body["kapasitas"]), int(body["tersedia"]))
        assert room.source == "aplicare"


@FUZZ
@given(
    kodeppk=st.one_of(st.just("0901R001"), st.text(min_size=1, max_size=12)),
    start=st.one_of(st.integers(min_value=-2, max_value=20).map(str), st.text(min_size=1,
                                                                             max_size=12)),
    limit=st.one_of(st.integers(min_value=-2, max_value=2000).map(str), st.text(min_size=1,
                                                                               max_size=12)),
)  # fmt: skip
@isolated
def test_fuzz_aplicare_read(world, kodeppk, start, limit):
    path = "/".join(quote(p, safe="") for p in (kodeppk, start, limit))
    r = Client().get(f"/aplicaresws/rest/bed/read/{path}",
                     headers=aplicare_headers("1001", "rahasia-bpjs"))  # fmt: skip
    assert r.status_code in (200, 404), r.content[:300]
    if r.status_code == 200 and r.json()["metadata"]["code"] == 1:
        assert all(row["kodeppk"] == "0901R001" for row in r.json()["response"]["list"])


# --- SIRS ---------------------------------------------------------------------------------


@st.composite
def valid_sirs(draw) -> dict:
    cap = draw(st.integers(min_value=0, max_value=30))
    used = draw(st.integers(min_value=0, max_value=cap))
    return {
        "id_tt": draw(st.sampled_from(["5", "6", "38", "10"])),
        "ruang": draw(st.sampled_from(["Melati", "ICU", "Ruang R1"])),
        "jumlah_ruang": "1", "jumlah": str(cap), "terpakai": str(used),
        "prepare": str(draw(st.integers(min_value=0, max_value=cap - used))),
        "prepare_plan": "0", "antrian": str(draw(st.integers(min_value=0, max_value=4))),
        "covid": 0,
    }  # fmt: skip


sirs_body = maybe({
    "id_tt": st.one_of(st.sampled_from(["5", "6", "38", "10", "999", 5]), garbage),
    "id_t_tt": st.one_of(st.integers(min_value=0, max_value=10**6).map(str), garbage),
    "ruang": st.one_of(st.sampled_from(["Melati", "ICU", "", "Ruang R1"]), st.text(max_size=140),
                       garbage),
    "jumlah_ruang": count_like, "jumlah": count_like, "terpakai": count_like,
    "prepare": count_like, "prepare_plan": count_like, "antrian": count_like, "covid": count_like,
})  # fmt: skip


sirs_wild = {
    "id_tt": st.one_of(st.sampled_from(["5", "999", 5, "0"]), garbage), "ruang": namaruang,
    "jumlah": count_like, "terpakai": count_like, "prepare": count_like, "antrian": count_like,
    "covid": count_like, "jumlah_ruang": count_like,
}  # fmt: skip


@FUZZ
@given(
    method=st.sampled_from(["post", "put", "delete", "get"]),
    body=st.one_of(
        mutated(valid_sirs(), sirs_wild), mutated(valid_sirs(), sirs_wild), sirs_body, raw_body
    ),  # fmt: skip
    by_id=st.sampled_from([None, None, "a", "b", "junk"]),
    content_type=json_types,
    auth=st.sampled_from(["good", "good", "good", "plain", "wrong", "none"]),
)
@isolated
def test_fuzz_sirs(world, method, body, by_id, content_type, auth):
    if by_id and isinstance(body, dict):
        # PUT/DELETE by the id_t_tt a GET returned: hospital A's, hospital B's, or none.
        rooms = {h: list(Room.objects.filter(facility=world[h]).values_list("pk", flat=True))
                 for h in ("a", "b")}  # fmt: skip
        body = dict(body, id_t_tt=str(rooms[by_id][0]) if rooms.get(by_id) else "12345678")
    headers = {
        "good": sirs_headers(), "plain": sirs_headers(hashed=False),
        "wrong": sirs_headers(password="salah"), "none": {},
    }[auth]  # fmt: skip
    before = counts()
    b_before = list(Room.objects.filter(facility=world["b"]).values_list("free", "capacity"))
    if method == "get":
        r = Client().get("/fo/index.php/Fasyankes", headers=headers)
    else:
        r = getattr(Client(), method)(
            "/fo/index.php/Fasyankes", data=body_bytes(body), content_type=content_type,
            headers=headers,
        )  # fmt: skip
    assert r.status_code == 200, (r.status_code, r.content[:300])
    rows = r.json()["fasyankes"]
    event(f"sirs {method} status {rows[0].get('status') if rows else 'empty list'}")
    if method != "get" or auth in ("wrong", "none"):
        assert len(rows) == 1 and rows[0]["message"]
        if rows[0]["status"] != "200":
            assert counts() == before, (method, body, rows)
    assert list(Room.objects.filter(facility=world["b"]).values_list("free", "capacity")) == (
        b_before
    )
