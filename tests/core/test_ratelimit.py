"""core.ratelimit counts in the shared cache (issue 12/17): the database cache table by
default, Redis when REDIS_URL is set; never per-process memory."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from sigap.core import ratelimit
from tests.helpers import run_together

ROOT = Path(__file__).resolve().parents[2]


def _request(addr="10.9.9.9"):
    return RequestFactory().post("/x", REMOTE_ADDR=addr)


def test_the_cache_is_shared_and_never_process_memory():
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"]
    assert "locmem" not in backend.lower() and "dummy" not in backend.lower()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sigap.settings"}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60).stdout  # fmt: skip
    assert out.strip() == "django.core.cache.backends.db.DatabaseCache"
    env["REDIS_URL"] = "redis://127.0.0.1:6399/0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60).stdout  # fmt: skip
    assert out.strip() == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.django_db
def test_the_cache_table_comes_with_migrate():
    from django.db import connection

    assert "sigap_cache" in connection.introspection.table_names()


@pytest.mark.django_db
def test_over_limit_counts_per_address_and_scope():
    results = [ratelimit.over_limit(_request(), "t", 3, 60) for _ in range(5)]
    assert results == [False, False, False, True, True]
    assert not ratelimit.over_limit(_request("10.9.9.8"), "t", 3, 60)  # another address
    assert not ratelimit.over_limit(_request(), "other", 3, 60)  # another scope


@pytest.mark.django_db
def test_hit_used_up_and_the_window(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    assert not ratelimit.used_up("k", 2, 60)
    assert ratelimit.hit("k", 2, 60) == 1
    assert not ratelimit.used_up("k", 2, 60)
    assert ratelimit.hit("k", 2, 60) == 2
    assert ratelimit.used_up("k", 2, 60)  # counts nothing itself
    assert ratelimit.hit("k", 2, 60) == 3 and ratelimit.hit("k", 2, 60) == 3
    assert ratelimit.used_up("k", 0, 60)
    now[0] += 60  # the next window starts empty
    assert not ratelimit.used_up("k", 2, 60) and ratelimit.hit("k", 2, 60) == 1


@pytest.mark.django_db
def test_a_lost_hint_never_lets_more_through():
    for _ in range(3):
        ratelimit.hit("h", 3, 60)
    cache.delete(f"{ratelimit._base('h', 60)}:n")  # the hint is only where to start looking
    assert ratelimit.hit("h", 3, 60) == 4


def test_private_key_hides_the_value():
    key = ratelimit.private_key("3374010101900001")
    assert "3374010101900001" not in key and key == ratelimit.private_key("3374010101900001")


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_uses_are_each_counted_once():
    """Eight threads, each with its own database connection, use a limit of five at once:
    exactly five get through (a read-then-write counter would let more through)."""
    results = run_together(8, lambda i: ratelimit.over("race", 5, 60), who="a counter")
    assert sorted(results) == [False] * 5 + [True] * 3, results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server")
def test_redis_backend_counts_the_same_way(settings, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": f"redis://127.0.0.1:{port}/0"}}  # fmt: skip
        for _ in range(50):
            try:
                cache.set("ping", 1, 5)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        results = run_together(6, lambda i: ratelimit.over("redis-race", 4, 60), who="a counter")
        assert sorted(results) == [False] * 4 + [True] * 2
    finally:
        server.terminate()
        server.wait(timeout=10)
