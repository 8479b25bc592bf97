"""Issues 12 and 17 (Medium): the public JKN check is not a NIK-only oracle.

A NIK that cannot be a NIK is answered as invalid (not "not found"); the check asks for the
KK or JKN card number (the birth date is written in the NIK); repeated misses are slowed down
per address and per NIK; the limits live in the shared cache.
"""

from datetime import date

import pytest

from sigap.coverage import services

from .conftest import KEL_A, KEL_B, MEM_HEADER, POP_HEADER, TODAY, person, write_csv

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)
PEOPLE = [person("337401", date(1990, 1, 1 + i), 50 + i, KEL_A if i % 2 else KEL_B)
          for i in range(8)]  # fmt: skip
KK = PEOPLE[0][1]
CARD = "0001234567890"


@pytest.fixture
def data(semarang, cli, tmp_path):
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE),
                             MAY, today=TODAY)  # fmt: skip
    members = [[p[0], CARD if i == 0 else f"000{i:010d}", "PBI-APBN", "1", "", "", "3"]
               for i, p in enumerate(PEOPLE[:6])]  # fmt: skip
    services.import_snapshot(cli, "membership", write_csv(tmp_path / "m.csv", MEM_HEADER, members),
                             MAY, today=TODAY)  # fmt: skip


def _check(client, nik, nomor, addr="10.0.0.1"):
    return client.post("/cek-jkn/", {"nik": nik, "nomor": nomor}, REMOTE_ADDR=addr)


def _answer(resp):
    html = resp.content.decode()
    return html.split('data-answer="', 1)[1].split('"', 1)[0] if "data-answer" in html else None


@pytest.mark.parametrize(
    "bad",
    [
        "123",
        "33740101019000AB",
        "0074010101900050",
        "3374013201900050",
        "3374010101900000",
        "3374010113900050",
    ],  # fmt: skip
)
def test_a_nik_that_cannot_be_a_nik_is_called_invalid(client, data, bad):
    resp = _check(client, bad, KK)
    html = resp.content.decode()
    assert resp.status_code == 422 and "NIK ini tidak sah" in html
    assert "tidak ditemukan" not in html and _answer(resp) is None
    api = client.post("/api/v1/coverage/public/check", {"nik": bad, "family_card": KK},
                      content_type="application/json")  # fmt: skip
    assert api.status_code == 422 and api.json()["field"] == "nik"
    assert "tidak sah" in api.json()["message"]


def test_the_birth_date_alone_no_longer_answers(client, data):
    resp = client.post("/cek-jkn/", {"nik": PEOPLE[0][0], "tanggal_lahir": PEOPLE[0][4]})
    assert resp.status_code == 422 and _answer(resp) is None
    assert "nomor KK" in resp.content.decode()
    api = client.post("/api/v1/coverage/public/check",
                      {"nik": PEOPLE[0][0], "birth_date": PEOPLE[0][4]},
                      content_type="application/json")  # fmt: skip
    assert api.status_code == 422 and api.json()["field"] == "family_card"


def test_the_kk_or_the_card_number_answers(client, data):
    assert _answer(_check(client, PEOPLE[0][0], KK)) == "active"
    assert _answer(_check(client, PEOPLE[0][0], "0001 2345 67890")) == "active"  # the card
    assert _answer(_check(client, PEOPLE[7][0], KK)) == "uncovered"  # resident, not a member
    assert _answer(_check(client, PEOPLE[0][0], "0001234567891")) == "unknown"
    assert _answer(_check(client, PEOPLE[0][0], "3374010101000002")) == "unknown"
    api = client.post("/api/v1/coverage/public/check",
                      {"nik": PEOPLE[1][0], "card_number": "0000000000001"},
                      content_type="application/json")  # fmt: skip
    assert api.status_code == 200 and api.json() == {"answer": "active"}


def test_the_service_matches_only_numbers_the_registers_hold(data):
    assert services.coverage_status(PEOPLE[0][0], proof=KK).covered
    assert services.coverage_status(PEOPLE[0][0], proof=CARD).covered
    assert services.coverage_status(PEOPLE[0][0], proof="") is None
    assert services.coverage_status(PEOPLE[0][0], proof="1234567890") is None  # a short card
    assert services.coverage_status(PEOPLE[0][0], proof=PEOPLE[0][0]) is None  # the NIK itself
    assert not services.proof_matches("", "", "")


def test_repeated_misses_from_one_address_are_stopped(client, data, settings):
    settings.SIGAP_COVERAGE_LOOKUP_MISS_RATE = (3, 3600)
    codes = [_check(client, PEOPLE[i][0], "3374010101009999").status_code for i in range(3)]
    assert codes == [200, 200, 200]
    # the fourth check from this address is refused, even with the right number
    resp = _check(client, PEOPLE[0][0], KK)
    assert resp.status_code == 429 and _answer(resp) is None
    assert "tidak cocok" in resp.content.decode()
    # another address is not affected
    assert _answer(_check(client, PEOPLE[0][0], KK, addr="10.0.0.2")) == "active"


def test_repeated_misses_on_one_nik_from_many_addresses_lock_that_nik(client, data, settings):
    settings.SIGAP_COVERAGE_LOOKUP_NIK_MISS_RATE = (4, 86400)
    target = PEOPLE[0][0]
    for i in range(4):  # a guessing round spread over four addresses
        assert _check(client, target, f"3374099999{i:06d}", addr=f"10.1.0.{i}").status_code == 200
    resp = _check(client, target, KK, addr="10.1.0.99")
    assert resp.status_code == 429
    # other NIKs still answer from a fresh address
    assert _answer(_check(client, PEOPLE[1][0], KK, addr="10.1.0.98")) == "active"


def test_hits_do_not_count_as_misses(client, data, settings):
    settings.SIGAP_COVERAGE_LOOKUP_MISS_RATE = (1, 3600)
    for _ in range(3):
        assert _answer(_check(client, PEOPLE[0][0], KK)) == "active"


def test_the_cache_holds_no_nik(client, data):
    from django.db import connection

    _check(client, PEOPLE[0][0], "3374010101009999")
    with connection.cursor() as cur:
        cur.execute("SELECT cache_key FROM sigap_cache")
        keys = [r[0] for r in cur.fetchall()]
    assert keys and not any(PEOPLE[0][0] in k for k in keys)
