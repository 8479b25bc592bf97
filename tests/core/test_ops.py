"""Operating SIGAP (issue 19): /healthz, /readyz, /metrics and the request id in the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from sigap.core import logs, ops, registry
from sigap.core.models import PeriodicRun

# --- health and readiness -----------------------------------------------------------------


def test_healthz_answers_without_the_database(client):
    # no django_db mark: any database access would fail the test
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_answers_200_with_its_checks(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache"}
    assert all(c["ok"] for c in body["checks"].values())


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_is_down(client, caplog):
    down = mock.patch.object(ops, "check_database", side_effect=ConnectionError("host db:5432"))
    with down, caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "detail": "ConnectionError"}
    assert "db:5432" not in response.content.decode()  # no connection details out
    # a probe's 503 is a warning of sigap.core.ops, never a django.request error
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert any("not ready: database" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_is_down(client):
    with mock.patch("django.core.cache.cache.set", side_effect=OSError("refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


@pytest.mark.django_db
def test_readyz_fails_on_unapplied_migrations(client, monkeypatch):
    monkeypatch.setattr(ops, "_migrations_ok", False)
    plan = [("fake", False)]
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=plan
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["detail"] == "1 migrations not applied"


@pytest.mark.django_db
@override_settings(SIGAP_WORKER_EXPECTED=True, SIGAP_WORKER_HEARTBEAT_MAX_SECONDS=60)
def test_readyz_wants_a_recent_worker_heartbeat_when_a_worker_is_expected(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]

    now = timezone.now()
    PeriodicRun.objects.update_or_create(
        name=ops.HEARTBEAT,
        defaults={"next_run_at": now, "last_started_at": now - timedelta(seconds=59)},
    )
    assert client.get("/readyz").status_code == 200

    PeriodicRun.objects.filter(name=ops.HEARTBEAT).update(
        last_started_at=now - timedelta(seconds=120)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "120 s ago" in response.json()["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_the_worker_heartbeat_is_a_sweep_that_stamps_its_run():
    from sigap.core import periodic

    assert ops.HEARTBEAT in {s.name for s in periodic.sweeps()}
    periodic.run_due()
    assert ops.heartbeat_age() < timedelta(seconds=5)


def test_readyz_takes_get_only(client):
    assert client.post("/readyz").status_code == 405


# --- metrics ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_from_loopback_export_request_db_and_sigap_gauges(client):
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "django_db_execute_total" in text
    for gauge in (
        'sigap_tasks{state="ready"} 0.0',
        'sigap_webhook_deliveries{state="pending"} 0.0',
        'sigap_webhook_deliveries{state="failed"} 0.0',
        "sigap_beds_stale_hospitals 0.0",
        'sigap_incidents_open{triage="merah"} 0.0',
        'sigap_referrals_waiting{state="waiting"} 0.0',
        "sigap_worker_heartbeat_age_seconds -1.0",
    ):
        assert gauge in text, gauge


@pytest.mark.django_db
def test_metrics_gauges_count_what_is_there(client):
    from sigap.core.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        name="partner", url="https://partner.example/hook", secret="s3cret-value"
    )
    now = timezone.now()
    for attempts, status in ((0, "pending"), (2, "pending"), (8, "failed")):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="e", body="{}", next_attempt_at=now,
            attempts=attempts, status=status,
        )  # fmt: skip
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'sigap_webhook_deliveries{state="pending"} 2.0' in text
    assert 'sigap_webhook_deliveries{state="retrying"} 1.0' in text
    assert 'sigap_webhook_deliveries{state="failed"} 1.0' in text


@pytest.mark.django_db
@override_settings(SIGAP_METRICS_TOKEN="", SIGAP_METRICS_ALLOW="127.0.0.1/32")
@pytest.mark.parametrize(
    "remote, headers",
    [
        ("10.0.0.7", {}),  # outside the allow-list
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}),  # loopback proxy forwarding
        ("::1", {}),  # IPv6 loopback not in this allow-list
        ("203.0.113.5", {"HTTP_AUTHORIZATION": "Bearer anything"}),  # no token configured
    ],
)
def test_metrics_refused_outside_the_allow_list(client, remote, headers):
    response = client.get("/metrics", REMOTE_ADDR=remote, **headers)
    assert response.status_code == 404
    assert b"sigap_" not in response.content


@pytest.mark.django_db
@override_settings(SIGAP_METRICS_TOKEN="scrape-token-123", SIGAP_METRICS_ALLOW="")
def test_metrics_with_the_bearer_token_from_anywhere(client):
    ok = client.get(
        "/metrics", REMOTE_ADDR="198.51.100.4", HTTP_AUTHORIZATION="Bearer scrape-token-123"
    )
    assert ok.status_code == 200
    assert b"sigap_tasks" in ok.content
    wrong = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer scrape-token-12"
    )
    assert wrong.status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404  # empty allow


@pytest.mark.django_db
def test_a_failing_gauge_is_logged_and_counted_not_a_500(client, caplog, monkeypatch):
    monkeypatch.setattr(registry, "_GAUGES", dict(registry._GAUGES))
    monkeypatch.setattr(ops, "_collect_errors", {})

    def broken() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_sigap")
        return 1

    registry.add_gauge("sigap_test_broken", "broken on purpose", [], broken)
    with caplog.at_level(logging.ERROR, logger="sigap.core.ops"):
        response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
        again = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200 and again.status_code == 200
    text = again.content.decode()
    assert 'sigap_gauge_errors_total{gauge="sigap_test_broken"} 2.0' in text
    assert "sigap_test_broken " not in text
    assert 'sigap_tasks{state="ready"}' in text  # the others still there, after a DB error
    assert "gauge sigap_test_broken failed" in caplog.text


# --- request id and logs ---------------------------------------------------------------------


def _json_handler(stream):
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    return handler


@pytest.mark.django_db
def test_request_id_on_the_response_and_in_the_api_500_json_log(client):
    import io

    from sigap.api import api

    stream = io.StringIO()
    handler = _json_handler(stream)
    api_logger = logging.getLogger("sigap.api")
    api_logger.addHandler(handler)
    try:
        with mock.patch(
            "sigap.beds.api.selectors.public_board",
            side_effect=RuntimeError("NIK 3374012345678901"),
        ):
            response = client.get("/api/v1/public/beds", HTTP_X_REQUEST_ID="proxy-abc-12345678")
    finally:
        api_logger.removeHandler(handler)
    assert api is not None
    assert response.status_code == 500
    assert response["X-Request-ID"] == "proxy-abc-12345678"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [x for x in lines if x["message"].startswith("API GET /api/v1/public/beds failed")]
    assert failed, lines
    assert failed[0]["request_id"] == "proxy-abc-12345678"
    assert failed[0]["level"] == "ERROR" and failed[0]["logger"] == "sigap.api"
    assert "3374012345678901" not in stream.getvalue()  # the NIK in the traceback is masked
    assert "3374xxxxxxxx8901" in stream.getvalue()


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "abc def 12345678", "id\r\nX-Evil: 1", "<script>alert(1)</script>", ""],
)
def test_a_bad_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    rid = response["X-Request-ID"]
    assert rid != incoming
    assert len(rid) == 32 and int(rid, 16) >= 0


def test_a_request_without_id_gets_a_new_one_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second and len(first) == 32


def test_same_request_id_twice_is_kept_twice(client):
    for _ in range(2):
        assert client.get("/healthz", HTTP_X_REQUEST_ID="retry-1234-abcd")["X-Request-ID"] == (
            "retry-1234-abcd"
        )


def test_no_request_id_outside_a_request():
    import io

    stream = io.StringIO()
    logger = logging.getLogger("sigap.test.outside")
    logger.addHandler(_json_handler(stream))
    logger.propagate = False
    logger.warning("hello")
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "-"
    assert line["message"] == "hello"


def test_text_format_carries_the_id_and_masks_niks():
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "nik %s", ("3374012345678901",), None
    )
    with logs.request_id_bound("req-0000-1111"):
        line = logs.TextFormatter().format(record)
    assert "[req-0000-1111]" in line and "3374xxxxxxxx8901" in line
    assert "3374012345678901" not in line


def test_mask_niks_keeps_other_numbers():
    assert logs.mask_niks("nik 3374012345678901.") == "nik 3374xxxxxxxx8901."
    assert logs.mask_niks("13 digits 1234567890123 and 17 12345678901234567") == (
        "13 digits 1234567890123 and 17 12345678901234567"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_run_by_the_db_worker_logs_with_its_id(caplog):
    from django.core.management import call_command

    from tests.core import ops_tasks

    result = ops_tasks.log_something.enqueue()
    caplog.handler.addFilter(logs.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="tests.core.ops_tasks"):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    lines = [r for r in caplog.records if r.name == "tests.core.ops_tasks"]
    assert lines, "the task did not run"
    assert lines[0].request_id == f"task-{result.id}"
    assert logs.current_request_id() is None


@pytest.mark.django_db
def test_django_request_4xx_lines_carry_the_request_id(client):
    """django.request logs a 4xx after the middleware returned: the id comes from the request."""
    import io

    stream = io.StringIO()
    handler = _json_handler(stream)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)
    try:
        client.get("/metrics", REMOTE_ADDR="10.1.1.1", HTTP_X_REQUEST_ID="scraper-0001-x")
        client.get("/cek-jkn/tidak-ada/3374012345678901", HTTP_X_REQUEST_ID="nik-in-url-01")
    finally:
        request_logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [x["request_id"] for x in lines] == ["scraper-0001-x", "nik-in-url-01"]
    assert lines[0]["message"] == "Not Found: /metrics" and lines[0]["status_code"] == 404
    assert "3374012345678901" not in stream.getvalue()
