"""Every error under /api/ answers SIGAP's shape {code, message, field} (issue 17): bad input,
numbers past what the database holds, a missing object, a refused method, and an unexpected
exception (500, logged, no traceback to the client). Django's own pages keep HTML errors."""

import logging
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from django.test import Client

from sigap.api import api
from sigap.facilities.api import MAX_OFFSET

pytestmark = pytest.mark.django_db

FACILITIES = "/api/v1/facilities/"


def assert_error_shape(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.content[:300]
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"code", "message", "field"}
    assert body["message"] and isinstance(body["message"], str)
    if code:
        assert body["code"] == code
    return body


@pytest.fixture
def quiet_client():
    """A client that answers like a server: an exception is a response, not raised here."""
    return Client(raise_request_exception=False)


# --- offsets and other numbers past any integer ------------------------------------------


@pytest.mark.parametrize(
    "offset", [str(MAX_OFFSET + 1), str(2**63 - 1), str(2**63), "9" * 20, "1" + "0" * 400]
)
def test_huge_offset_is_refused_with_the_field(client, offset):
    body = assert_error_shape(client.get(FACILITIES, {"offset": offset}), 422, "invalid")
    assert body["field"] == "offset"


@pytest.mark.parametrize("offset", ["0", str(MAX_OFFSET)])
def test_offset_up_to_the_limit_is_a_page(client, offset):
    resp = client.get(FACILITIES, {"offset": offset})
    assert resp.status_code == 200 and isinstance(resp.json(), list)


@pytest.mark.parametrize("offset", ["-1", "abc", "1e3", ""])
def test_bad_offset_is_422(client, offset):
    assert assert_error_shape(client.get(FACILITIES, {"offset": offset}), 422)["field"] in (
        "offset",
        None,
    )


@pytest.mark.parametrize("exc", [OverflowError("Python int too large"), DataError("out of range")])
def test_number_past_the_database_is_422_on_any_endpoint(quiet_client, exc, caplog):
    """The generic net: whatever endpoint lets a huge number reach the database answers 422."""
    with mock.patch("sigap.facilities.services.public_facilities", side_effect=exc):
        body = assert_error_shape(quiet_client.get(FACILITIES), 422, "invalid_value")
    assert body["field"] is None


def test_every_integer_query_parameter_takes_a_huge_value_without_a_5xx(admin_client):
    """Each GET operation of the OpenAPI schema with an integer query parameter, given a number
    past 64 bits (as an admin, so that most get past authentication)."""
    schema = api.get_openapi_schema()
    tried = 0
    for path, item in schema["paths"].items():
        op = item.get("get")
        if not op or "{" in path:
            continue
        for param in op.get("parameters", []):
            if param["in"] == "query" and param.get("schema", {}).get("type") == "integer":
                resp = admin_client.get(path, {param["name"]: "9" * 30})
                assert resp.status_code < 500, (path, param["name"], resp.content[:300])
                if resp.status_code >= 400:
                    assert_error_shape(resp, resp.status_code)
                tried += 1
    assert tried >= 1


# --- unexpected exceptions, missing objects, refusals ------------------------------------


def test_unexpected_exception_is_a_json_500_logged_without_details(quiet_client, caplog):
    boom = RuntimeError("secret detail /srv/sigap/db.sqlite3")
    with (
        caplog.at_level(logging.ERROR, logger="sigap.api"),
        mock.patch("sigap.facilities.services.public_facilities", side_effect=boom),
    ):
        resp = quiet_client.get(FACILITIES)
    body = assert_error_shape(resp, 500, "server_error")
    assert body["field"] is None
    text = resp.content.decode()
    assert "secret detail" not in text and "Traceback" not in text and "RuntimeError" not in text
    records = [r for r in caplog.records if r.name == "sigap.api" and r.levelno == logging.ERROR]
    assert records and records[0].exc_info and records[0].exc_info[1] is boom
    assert FACILITIES in records[0].getMessage()


def test_unexpected_exception_twice_answers_the_same(quiet_client):
    with mock.patch("sigap.facilities.services.public_facilities", side_effect=KeyError("x")):
        first = quiet_client.get(FACILITIES)
        second = quiet_client.get(FACILITIES)
    assert first.json() == second.json() and first.status_code == second.status_code == 500


def test_unexpected_exception_in_english(quiet_client):
    quiet_client.cookies["django_language"] = "en"
    with mock.patch("sigap.facilities.services.public_facilities", side_effect=ValueError("x")):
        body = assert_error_shape(quiet_client.get(FACILITIES), 500, "server_error")
    assert body["message"]


def test_http404_inside_the_api_is_the_error_shape(client):
    with mock.patch("sigap.facilities.services.public_facilities", side_effect=Http404("x")):
        assert_error_shape(client.get(FACILITIES), 404, "not_found")


def test_permission_denied_inside_the_api_is_the_error_shape(client):
    with mock.patch(
        "sigap.facilities.services.public_facilities", side_effect=PermissionDenied("x")
    ):
        assert_error_shape(client.get(FACILITIES), 403, "forbidden")


def test_unknown_api_path_is_json_404(client):
    assert_error_shape(client.get("/api/v1/tidak-ada/"), 404, "not_found")


def test_refused_method_is_json_405_with_allow(client):
    resp = client.post(FACILITIES, data={}, content_type="application/json")
    assert_error_shape(resp, 405, "method_not_allowed")
    assert resp["Allow"] == "GET"


def test_unknown_facility_is_json_404(client):
    assert_error_shape(client.get(FACILITIES + "not-a-uuid"), 422)
    missing = FACILITIES + "00000000-0000-0000-0000-000000000000"
    assert_error_shape(client.get(missing), 404, "not_found")


# --- pages keep HTML ----------------------------------------------------------------------


def test_page_404_stays_html(client):
    resp = client.get("/halaman-yang-tidak-ada/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")


def test_page_500_stays_html(quiet_client):
    with mock.patch("sigap.beds.views.selectors.public_board", side_effect=RuntimeError("x")):
        resp = quiet_client.get("/tempat-tidur/")
    assert resp.status_code == 500 and resp["Content-Type"].startswith("text/html")
    assert b"RuntimeError" not in resp.content
