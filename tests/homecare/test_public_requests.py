"""Issue 17 (Medium): a burst of identical public home-visit requests landed in the
Puskesmas inbox one row each. A repeat (same NIK, or same phone and name; same address;
within the window) is answered with the open request; the public write is rate-limited per
client address."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import HomecareRequest

from .conftest import NIK, client_as, request_input

PUBLIC = Actor(user=None, channel="web")
FORM = dict(nik=NIK, name="Ibu Warsini", phone="081234567890", address="Jl. Miroto 3",
            village_code="3374011002", need="Pasca stroke")  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_the_same_request_twice_gives_one_row(puskesmas):
    first = services.create_request(PUBLIC, request_input())
    again = services.create_request(PUBLIC, request_input())
    assert again.pk == first.pk and again.is_duplicate and again.same_sender
    assert HomecareRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="homecare_request.create").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "0812-3456-7890"},  # the same number written differently
        {"phone": "+62 812 3456 7890"},
        {"address": "jl miroto 3"},  # the same address, other case and punctuation
        {"phone": "089999999999"},  # same NIK, another phone
        {"nik": "3374015203950002", "phone": "081234567890"},  # same phone, name: NIK typo
        {"nik": "3374015203950002", "phone": "081234567890", "name": "ibu  warsini"},
        {"need": "Luka di kaki"},
    ],
)
def test_repeats_are_recognised(puskesmas, change):
    first = services.create_request(PUBLIC, request_input())
    again = services.create_request(PUBLIC, request_input(**change))
    assert again.pk == first.pk and HomecareRequest.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"address": "Jl. Miroto 5"},  # another house
        {"village_code": "3374011001"},  # another kelurahan
        {"nik": "3374015203950002", "phone": "089999999999"},  # another person
        # the household's second patient: same phone and address, another NIK and name
        {"nik": "3374015203950002", "phone": "081234567890", "name": "Pak Darmo"},
    ],
)
def test_different_requests_are_kept(puskesmas, change):
    services.create_request(PUBLIC, request_input())
    services.create_request(PUBLIC, request_input(**change))
    assert HomecareRequest.objects.count() == 2


def test_window_and_closed_requests(actor, puskesmas, settings):
    first = services.create_request(PUBLIC, request_input())
    HomecareRequest.objects.filter(pk=first.pk).update(
        created_at=first.created_at - timedelta(hours=24, seconds=1)
    )
    second = services.create_request(PUBLIC, request_input())  # outside the window: new
    assert second.pk != first.pk
    services.cancel_request(actor, second, "warga pindah")
    third = services.create_request(PUBLIC, request_input())  # the open one was cancelled
    assert third.pk not in (first.pk, second.pk)
    settings.SIGAP_HOMECARE_DUPLICATE_HOURS = 48
    assert services.create_request(PUBLIC, request_input()).pk == first.pk  # the oldest open
    # staff and other capabilities are not de-duplicated by this rule
    staff_req = services.create_request(actor, request_input(), source="staff")
    assert staff_req.pk not in (first.pk, third.pk)


def test_api_answers_a_repeat_with_the_open_request_and_hides_its_number(puskesmas):
    c = client_as()
    r = c.post("/api/v1/homecare/requests", FORM, content_type="application/json")
    assert r.status_code == 201
    first = r.json()["id"]
    r = c.post("/api/v1/homecare/requests", FORM, content_type="application/json")
    assert r.status_code == 200 and r.json() == r.json() | {"id": first, "duplicate": True}
    # someone who knows the NIK and address but not the phone does not learn the number
    r = c.post("/api/v1/homecare/requests", FORM | {"phone": "089999999999"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["id"] is None and r.json()["duplicate"] is True
    assert HomecareRequest.objects.count() == 1


def test_public_writes_are_rate_limited(puskesmas, settings):
    settings.SIGAP_HOMECARE_REQUEST_LIMIT = (3, 3600)
    c = client_as()
    codes = []
    for i in range(3):
        body = FORM | {"nik": f"337401450180{i + 10:04d}", "address": f"Jl. Miroto {i}"}
        codes.append(c.post("/api/v1/homecare/requests", body,
                            content_type="application/json").status_code)  # fmt: skip
    assert codes == [201, 201, 201]
    r = c.post("/api/v1/homecare/requests", FORM, content_type="application/json")
    assert r.status_code == 429 and r.json()["code"] == "too_many_requests"
    page = c.post("/perawatan-rumah/minta/", FORM)
    assert page.status_code == 429 and "Terlalu banyak permintaan" in page.content.decode()
    assert HomecareRequest.objects.count() == 3
    # another client address has its own allowance
    other = c.post("/api/v1/homecare/requests", FORM, content_type="application/json",
                   REMOTE_ADDR="10.0.0.9")  # fmt: skip
    assert other.status_code == 201


def test_public_form_repeat_says_so(puskesmas):
    c = client_as()
    first = c.post("/perawatan-rumah/minta/", FORM).content.decode()
    assert 'data-duplicate="1"' not in first
    page = c.post("/perawatan-rumah/minta/", FORM | {"phone": "089999999999"}).content.decode()
    assert 'data-duplicate="1"' in page and "Nomor permintaan" not in page
    page = c.post("/perawatan-rumah/minta/", FORM).content.decode()
    req = HomecareRequest.objects.get()
    assert 'data-duplicate="1"' in page and str(req.public_id) in page
