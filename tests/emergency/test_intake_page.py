"""The call-intake form outside the area (issue 12) and with hostile input (issue 17 Medium:
a NUL character was a 500 on PostgreSQL). Run on both databases."""

import pytest
from django.test import Client

from sigap.core.models import AuditEvent
from sigap.emergency.models import Incident, IncidentCall

pytestmark = pytest.mark.django_db
URL = "/gawat-darurat/panggilan/"
FORM = {
    "caller_phone": "081234567890",
    "latitude": "-6.981",
    "longitude": "110.413",
    "category": "medical",
    "victims": "1",
    "triage": "",
    "notes": "",
}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _unchanged():
    return (
        Incident.objects.count() == 0
        and IncidentCall.objects.count() == 0
        and not AuditEvent.objects.filter(action__startswith="emergency.").exists()
    )


@pytest.mark.parametrize(
    "field",
    [
        "caller_phone",
        "caller_name",
        "address",
        "notes",
        "village_code",
        "latitude",
        "category",
        "triage",
        "victims",
        "place",
        "repeat_of",
        "q_tidak_sadar",
    ],
)
def test_a_nul_character_in_any_field_is_a_clear_4xx(users, field):
    form = {**FORM, field: (FORM.get(field) or "x") + "\x00"}
    r = login(users["psc"]).post(URL, form)
    assert r.status_code == 422, r.status_code
    assert b'role="alert"' in r.content and _unchanged()


def test_a_nul_in_a_field_name_is_a_clear_4xx(users):
    r = login(users["psc"]).post(URL, {**FORM, "q_\x00": "on"})
    assert r.status_code == 422 and _unchanged()


def test_a_non_uuid_repeat_reference_is_a_404(users):
    r = login(users["psc"]).post(URL, {**FORM, "repeat_of": "nope"})
    assert r.status_code == 404 and _unchanged()


def test_outside_the_area_the_form_says_so_and_needs_the_override(users):
    psc = login(users["psc"])
    form = {**FORM, "latitude": "-7.151", "longitude": "110.401"}  # Desa Uji, Kab. Semarang
    r = psc.post(URL, form)
    assert r.status_code == 422 and _unchanged()
    page = r.content.decode()
    assert 'id="out-of-area-warning"' in page and "Desa Uji" in page
    assert "PSC 119 Kab. Semarang" in page and 'name="allow_out_of_area"' in page
    assert 'id="out-of-area" hidden' not in page
    r = psc.post(URL, {**form, "allow_out_of_area": "1"})
    assert r.status_code == 302
    inc = Incident.objects.get()
    assert inc.out_of_area and inc.area_code == "3374" and inc.responsible_area == "3322"
    # the active list on the intake page marks it
    assert "di luar wilayah" in psc.get(URL).content.decode()


def test_inside_the_area_no_warning(users):
    r = login(users["psc"]).post(URL, FORM)
    assert r.status_code == 302
    assert not Incident.objects.get().out_of_area


def test_place_api_tells_the_intake_page(users):
    c = login(users["psc"])
    inside = c.get("/api/v1/emergency/place", {"lat": -6.981, "lon": 110.413}).json()
    assert inside["out_of_area"] is False and inside["village"] == "Miroto"
    outside = c.get("/api/v1/emergency/place", {"lat": -7.151, "lon": 110.401}).json()
    assert outside["out_of_area"] is True and "PSC 119 Kab. Semarang" in outside["message"]
    assert Client().get("/api/v1/emergency/place", {"lat": 0, "lon": 0}).status_code == 401
