"""The public rate limit holds across app processes (issue 12 and 17): two real server
processes (`manage.py runserver --noreload` on two loopback ports) share one database, and
the public JKN check's limit is counted once for both, not once per process."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 6
SETTINGS = f"""from sigap.settings import *  # noqa: F403
SIGAP_COVERAGE_LOOKUP_RATE = ({LIMIT}, 3600)
SIGAP_COVERAGE_LOOKUP_MISS_RATE = (1000, 3600)
SIGAP_COVERAGE_LOOKUP_NIK_MISS_RATE = (1000, 3600)
"""

pytestmark = [
    pytest.mark.concurrency,
    # serialized: a plain flush would recreate the content types under new ids, and the
    # serialized rollback of the transactional tests after it would collide with them
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")  # fmt: skip


def _post(port: int, body: dict) -> int:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/coverage/public/check",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
        method="POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback only
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_until_listening(port: int, proc: subprocess.Popen) -> None:
    for _ in range(300):  # at most 60 s
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not start")


def test_two_server_processes_share_one_limit(tmp_path):
    (tmp_path / "rl_settings.py").write_text(SETTINGS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "rl_settings",
        "DATABASE_URL": _database_url(),
    }
    env.pop("REDIS_URL", None)
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for port in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_until_listening(port, proc)
        body = {"nik": "3374010101900001", "family_card": "3374010101000001"}
        codes = [_post(ports[i % 2], body) for i in range(LIMIT + 4)]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    # one budget for both processes: each alone would have allowed LIMIT
    assert codes == [200] * LIMIT + [429] * 4, codes
    assert {codes[LIMIT], codes[LIMIT + 1]} == {429}  # refused by both servers
