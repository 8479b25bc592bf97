"""A value the database refuses in a page view is a 422 page, never a 500."""

from unittest import mock

import pytest
from django.db import DataError


@pytest.fixture
def staff(make_user):
    return make_user("ani.dinkes", "analyst", area_code="3374")


def test_a_value_the_database_refuses_in_a_page_is_a_422(client, staff):
    client.force_login(staff)
    with mock.patch("sigap.core.views.notify.mark_read", side_effect=DataError("too long")):
        r = client.post("/notifikasi/")
    assert r.status_code == 422
    assert "tidak dapat disimpan" in r.content.decode()


def test_other_errors_are_not_hidden(client, staff):
    client.force_login(staff)
    client.raise_request_exception = True
    with (
        mock.patch("sigap.core.views.notify.mark_read", side_effect=RuntimeError("bug")),
        pytest.raises(RuntimeError),
    ):
        client.post("/notifikasi/")


# A NUL character reaching PostgreSQL through real forms (home care, coverage, nutrition,
# SISRUTE) is swept on PostgreSQL by tests/test_all_or_nothing.py.
