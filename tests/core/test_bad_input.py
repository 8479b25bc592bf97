"""Input the database cannot store is refused with a 400 before any view runs."""

import json
from unittest import mock

import pytest
from django.db import DataError

from sigap.core.models import AuditEvent


@pytest.fixture
def staff(make_user):
    return make_user("ani.dinkes", "analyst", area_code="3374")


def test_nul_in_a_query_value_is_a_400(client, db):
    r = client.get("/api/v1/regions/", {"q": "Sema\x00rang"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_input"
    assert client.get("/", {"kelas": "x\x00"}).status_code == 400


def test_nul_in_a_form_field_is_a_400_page_and_writes_nothing(client, staff):
    client.force_login(staff)
    before = AuditEvent.objects.count()
    r = client.post("/notifikasi/", {"note": "a\x00b"})
    assert r.status_code == 400
    assert "karakter NUL" in r.content.decode()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("text", ["a\\u0000b", "a\x00b"])
def test_nul_in_a_json_string_is_a_400_in_the_error_shape(client, db, text):
    body = '{"nik": "' + text + '"}'
    r = client.post("/api/v1/coverage/public/check", body, content_type="application/json")
    assert r.status_code == 400
    assert set(r.json()) == {"code", "message", "field"}


def test_an_escaped_backslash_before_u0000_is_an_ordinary_character(client, db):
    body = json.dumps({"q": "a\\u0000"})  # the text is: a, backslash, u0000
    r = client.post("/api/v1/nutrition/zscores", body, content_type="application/json")
    assert r.status_code != 500


def test_nul_in_a_multipart_text_field_is_a_400(client, staff):
    client.force_login(staff)
    r = client.post("/notifikasi/", {"note": "a\x00b"})  # the test client sends multipart
    assert r.status_code == 400


def test_upload_views_read_their_own_multipart_body(client, staff, settings):
    """The JKN import sets its own upload handlers before the body is read: the middleware
    must not parse it first (Django would refuse the handlers)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff)
    upload = SimpleUploadedFile("peserta.csv", b"nik,nama\n", content_type="text/csv")
    r = client.post("/dinkes/jkn/impor/", {"jenis": "x\x00", "berkas": upload})
    assert r.status_code < 500


def test_a_value_the_database_refuses_in_a_page_is_a_400(client, staff):
    client.force_login(staff)
    with mock.patch("sigap.core.views.notify.mark_read", side_effect=DataError("too long")):
        r = client.post("/notifikasi/")
    assert r.status_code == 400
    assert "terlalu panjang" in r.content.decode()


def test_nul_in_a_form_encoded_body_is_a_400(client, staff):
    client.force_login(staff)
    body = "note=a%00b"  # what a browser sends for a form field holding a NUL
    r = client.post("/notifikasi/", body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
