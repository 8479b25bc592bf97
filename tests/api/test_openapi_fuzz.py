"""Schemathesis over the whole OpenAPI document, once per role (issue 17): whatever the
generated input, no operation answers a 5xx, and every documented response matches its schema.

Each generated case is sent with the API key of every role in turn (and with none, as the
public), so that an operation is exercised past its permission check by the roles that may
use it and refused cleanly by the others."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig

from sigap.core.models import ApiKey
from sigap.wsgi import application
from tests.beds.conftest import make_hospital, operator_of, semarang  # noqa: F401 - fixtures

# Fuzzing only: the coverage phase's exhaustive boundary combinations would multiply the
# calls (x8 roles) past what CI can afford on every push.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)
if os.environ.get("SIGAP_FUZZ_PATH"):  # e.g. SIGAP_FUZZ_PATH=emergency to look at one app
    schema = schema.include(path_regex=os.environ["SIGAP_FUZZ_PATH"])

ROLES = (
    "hospital_operator",
    "puskesmas_staff",
    "psc_call_taker",
    "dispatcher",
    "ambulance_crew",
    "analyst",
    "admin",
)


@pytest.fixture
def in_test_transaction():
    """Calls go through the WSGI app directly; like Django's test client, keep the request
    signals from closing the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(in_test_transaction, make_hospital, operator_of, make_user):  # noqa: F811 - pytest fixtures
    from sigap.facilities.models import Facility, FacilityOperator

    hospital = make_hospital("RS Fuzz")
    puskesmas = Facility.objects.create(
        name="Puskesmas Fuzz", kind_id="puskesmas", village_id="3374011001",
        latitude=-6.981, longitude=110.411,
    )  # fmt: skip
    headers = {"public": {}}
    for role in ROLES:
        if role == "hospital_operator":
            user = operator_of(hospital, "fuzz-hospital_operator")
        else:
            user = make_user(f"fuzz-{role}", role, area_code="3374", is_staff=role == "admin")
            if role in ("puskesmas_staff", "ambulance_crew"):
                FacilityOperator.objects.create(user=user, facility=puskesmas)
        _key, raw = ApiKey.generate(user, "fuzz")
        headers[role] = {"Authorization": f"Bearer {raw}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_responses_match_the_schema(case, role_headers):
    for role, headers in role_headers.items():
        response = case.call(headers=headers)
        assert response.status_code < 500, (role, case.method, case.formatted_path, response.text)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
