"""Operating SIGAP: liveness, readiness and Prometheus metrics.

- `GET /healthz`: the process answers (touches nothing else).
- `GET /readyz`: the database answers and has every migration of this code applied, the
  cache answers (Redis when REDIS_URL is set), and, when `SIGAP_WORKER_EXPECTED` is on, a
  worker beat recently (the `core.worker_heartbeat` sweep). 200 with the checks, or 503
  naming the failing ones. Never logged as a server error.
- `GET /metrics`: django-prometheus' request and database metrics plus SIGAP's gauges
  (sigap.core.registry.add_gauge), computed at scrape time. Only for a caller with the
  bearer token `SIGAP_METRICS_TOKEN`, or from an address in `SIGAP_METRICS_ALLOW` (default
  loopback) that did not come through a proxy; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import registry

log = logging.getLogger(__name__)

HEARTBEAT = "core.worker_heartbeat"
HEARTBEAT_SECONDS = 10

# --- health and readiness -----------------------------------------------------------------

_migrations_ok = False  # once applied for this code they stay applied: checked until true
_lock = threading.Lock()


def _problem(exc: BaseException) -> str:
    # the class only: a message may carry a host name or a value from a row
    return type(exc).__name__


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    global _migrations_ok
    if _migrations_ok:
        return
    from django.db.migrations.executor import MigrationExecutor

    with _lock:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            raise RuntimeError(f"{len(plan)} migrations not applied")
        _migrations_ok = True


def check_cache() -> None:
    from django.core.cache import cache

    cache.set("sigap:readyz", "1", timeout=30)
    if cache.get("sigap:readyz") != "1":
        raise RuntimeError("cache does not keep a value")


def worker_expected() -> bool:
    return bool(getattr(settings, "SIGAP_WORKER_EXPECTED", False))


def heartbeat_age() -> timedelta | None:
    """Time since a worker last beat, None if none ever did."""
    from .models import PeriodicRun

    last = PeriodicRun.objects.filter(name=HEARTBEAT).values_list("last_started_at", flat=True)
    last = last.first()
    return None if last is None else timezone.now() - last


def check_worker() -> None:
    age = heartbeat_age()
    limit = getattr(settings, "SIGAP_WORKER_HEARTBEAT_MAX_SECONDS", 60)
    if age is None:
        raise RuntimeError("no worker has beaten yet")
    if age.total_seconds() > limit:
        raise RuntimeError(f"last heartbeat {int(age.total_seconds())} s ago")


def readiness() -> tuple[bool, dict[str, dict]]:
    """Run the checks; (all passed, {name: {"ok": bool, "detail": str}})."""
    checks: dict[str, dict] = {}

    def run(name: str, func) -> bool:
        try:
            func()
        except Exception as exc:  # any failure is "not ready", never a 500
            detail = str(exc) if isinstance(exc, RuntimeError) else _problem(exc)
            checks[name] = {"ok": False, "detail": detail}
            return False
        checks[name] = {"ok": True}
        return True

    db_ok = run("database", check_database)
    if db_ok:
        run("migrations", check_migrations)
    else:
        checks["migrations"] = {"ok": False, "detail": "skipped: no database"}
    run("cache", check_cache)
    if worker_expected():
        if db_ok:
            run("worker", check_worker)
        else:
            checks["worker"] = {"ok": False, "detail": "skipped: no database"}
    ready = all(c["ok"] for c in checks.values())
    return ready, checks


def _unlogged(response: HttpResponse) -> HttpResponse:
    # a probe's 503 is an answer, not a server error: keep it out of django.request's errors
    response._has_been_logged = True
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    ready, checks = readiness()
    if ready:
        return JsonResponse({"status": "ok", "checks": checks})
    failing = [
        name for name, c in checks.items() if not c["ok"] and "skipped" not in c.get("detail", "")
    ]
    log.warning("not ready: %s", ", ".join(failing))
    body = {"status": "unavailable", "failing": failing, "checks": checks}
    return _unlogged(JsonResponse(body, status=503))


# --- metrics --------------------------------------------------------------------------------

_collect_errors: dict[str, int] = {}


class SigapCollector:
    """Evaluates every registered gauge at scrape time; a failing one is logged, counted in
    `sigap_gauge_errors_total{gauge}` and left out, never failing the scrape."""

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        for gauge in registry.gauges():
            try:
                with transaction.atomic():
                    values = gauge.collect()
                family = GaugeMetricFamily(gauge.name, gauge.help, labels=list(gauge.labels))
                if isinstance(values, int | float):
                    family.add_metric([], float(values))
                else:
                    for key, value in values.items():
                        labels = [key] if isinstance(key, str) else [str(k) for k in key]
                        family.add_metric(labels, float(value))
            except Exception:
                _collect_errors[gauge.name] = _collect_errors.get(gauge.name, 0) + 1
                log.exception("metrics: gauge %s failed", gauge.name)
                continue
            yield family
        errors = CounterMetricFamily(
            "sigap_gauge_errors", "Scrapes in which a SIGAP gauge failed", labels=["gauge"]
        )
        for name, count in sorted(_collect_errors.items()):
            errors.add_metric([name], count)
        yield errors


def _sigap_registry():
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry(auto_describe=False)
    reg.register(SigapCollector())
    return reg


def _networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for item in raw.split(","):
        if item.strip():
            try:
                out.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                log.warning("SIGAP_METRICS_ALLOW: %r is not an address or network", item)
    return out


def metrics_allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "SIGAP_METRICS_TOKEN", "")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer "):
        return hmac.compare_digest(auth[len("Bearer ") :].strip().encode(), token.encode())
    # through a proxy the peer is the proxy (often loopback): only the token counts then
    proxied = any(h in request.headers for h in ("X-Forwarded-For", "X-Real-IP", "Forwarded"))
    if proxied:
        return False
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    allow = getattr(settings, "SIGAP_METRICS_ALLOW", "127.0.0.1/32,::1/128")
    return any(peer in net for net in _networks(allow))


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    body = generate_latest(base) + generate_latest(_sigap_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- database metrics without swapping the database engine -------------------------------


def _count_queries(sender, connection, **kwargs) -> None:
    """Times every query of a new connection into django-prometheus' database metrics."""
    from django_prometheus.db import (
        connections_total,
        errors_total,
        execute_total,
        query_duration_seconds,
    )

    alias, vendor = connection.alias, connection.vendor
    connections_total.labels(alias, vendor).inc()
    if any(getattr(w, "_sigap_metrics", False) for w in connection.execute_wrappers):
        return

    def timed(execute, sql, params, many, context):
        execute_total.labels(alias, vendor).inc(len(params) if many and params else 1)
        with query_duration_seconds.labels(alias, vendor).time():
            try:
                return execute(sql, params, many, context)
            except Exception as exc:
                errors_total.labels(alias, vendor, type(exc).__name__).inc()
                raise

    timed._sigap_metrics = True
    # first in the list, so a test's own execute_wrapper() pushes and pops after it
    connection.execute_wrappers.insert(0, timed)


# --- what core itself exports and runs ------------------------------------------------------


def task_queue() -> dict[str, int]:
    """Background tasks waiting, running and failed (django-tasks-db), one query."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    counts = {"ready": 0, "running": 0, "failed": 0}
    rows = DBTaskResult.objects.filter(status__in=["READY", "RUNNING", "FAILED"])
    for row in rows.values("status").annotate(n=Count("id")):
        counts[str(row["status"]).lower()] = row["n"]
    return counts


def webhook_backlog() -> dict[str, int]:
    """Outbound webhook deliveries: waiting, waiting after a failed attempt, given up."""
    from django.db.models import Count, Q

    from .models import WebhookDelivery

    pending = WebhookDelivery.Status.PENDING
    agg = WebhookDelivery.objects.aggregate(
        pending=Count("id", filter=Q(status=pending)),
        retrying=Count("id", filter=Q(status=pending, attempts__gt=0)),
        failed=Count("id", filter=Q(status=WebhookDelivery.Status.FAILED)),
    )
    return {k: v or 0 for k, v in agg.items()}


def heartbeat_seconds() -> float:
    age = heartbeat_age()
    return -1.0 if age is None else age.total_seconds()


def register() -> None:
    """Called from CoreConfig.ready(): core's gauges, the worker heartbeat, database
    metrics and the task ids in the worker's logs."""
    from django.db.backends.signals import connection_created

    from . import logs, periodic

    registry.add_gauge(
        "sigap_tasks", "Background tasks by state (ready = waiting)", ["state"], task_queue
    )
    registry.add_gauge(
        "sigap_webhook_deliveries",
        "Outbound webhook deliveries: pending, pending after a failed attempt, failed",
        ["state"],
        webhook_backlog,
    )
    registry.add_gauge(
        "sigap_worker_heartbeat_age_seconds",
        "Seconds since a worker last beat (-1: never)",
        [],
        heartbeat_seconds,
    )
    periodic.every(HEARTBEAT_SECONDS, name=HEARTBEAT)(_beat)
    connection_created.connect(_count_queries, dispatch_uid="sigap.ops.db_metrics")
    logs.bind_task_ids()


def _beat() -> None:
    """The sweep itself does nothing: claiming it stamps PeriodicRun.last_started_at."""
