"""The benchmark harness: a separate benchmark database, the real app server (gunicorn) on
loopback, a load generator (wrk, or a Python fallback), a paced update client, and the
figures written to `bench/README.md`.

Every load runs on 127.0.0.1 only and for a fixed, bounded duration.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
VAR_BENCH = Path(os.environ.get("SIGAP_VAR_DIR", REPO / "var")) / "bench"
README = BENCH_DIR / "README.md"
WRK_SCRIPT = BENCH_DIR / "wrk_paths.lua"


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- the benchmark database ----------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    engine: str  # "sqlite" or "postgresql"
    label: str


def bench_database(name: str) -> BenchDatabase:
    """A database of its own for benchmark `name`, never the user's data.

    SIGAP_BENCH_DATABASE_URL wins; else with a PostgreSQL DATABASE_URL the benchmark uses a
    sibling database `<dbname>_bench_<name>` on the same server; else a SQLite file under
    var/bench/.
    """
    explicit = os.environ.get("SIGAP_BENCH_DATABASE_URL")
    main = os.environ.get("DATABASE_URL", "")
    if explicit:
        url = explicit
    elif main.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(main)
        dbname = parts.path.lstrip("/") or "sigap"
        url = urlunsplit(parts._replace(path=f"/{dbname}_bench_{name}"))
    else:
        VAR_BENCH.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_BENCH / f'{name}.sqlite3'}"
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        return BenchDatabase(url, "sqlite", f"SQLite file {path}")
    parts = urlsplit(url)
    return BenchDatabase(url, "postgresql", f"PostgreSQL {parts.hostname}{parts.path}")


def reset_database(db: BenchDatabase) -> None:
    """Start from an empty database so that every run measures the same dataset."""
    if db.engine == "sqlite":
        path = Path(urlsplit(db.url).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(db.url)
    dbname = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def child_env(db: BenchDatabase, **extra: str) -> dict[str, str]:
    """Environment for a process that works on the benchmark database with bench settings."""
    env = dict(os.environ)
    env["DATABASE_URL"] = db.url
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_child(args: list[str], env: dict[str, str]) -> None:
    """Run `python <args>` in the repo with `env`; raise on failure."""
    subprocess.run([sys.executable, *args], cwd=REPO, env=env, check=True)


def build_dataset(
    db: BenchDatabase, module: str, fixture_file: Path, build_args: list[str]
) -> tuple[dict[str, str], dict, float]:
    """Empty the benchmark database, migrate it and build the dataset with
    `python -m <module> build <build_args> --out <fixture_file>`. Returns the environment for
    child processes, the fixture the build wrote and the seconds that migrate and build took."""
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    reset_database(db)
    env = child_env(db)
    t0 = time.perf_counter()
    run_child(["-m", "django", "migrate", "--noinput", "-v", "0"], env)
    run_child(["-m", module, "build", *build_args, "--out", str(fixture_file)], env)
    build_seconds = time.perf_counter() - t0
    return env, json.loads(fixture_file.read_text()), build_seconds


# --- the app server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_workers() -> int:
    # gunicorn's rule of thumb (2 x cores + 1) assumes the clients run elsewhere; here the
    # load generator shares the cores, so one worker per core plus one to cover I/O waits.
    return (os.cpu_count() or 2) + 1


@dataclass
class AppServer:
    port: int
    workers: int
    threads: int
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def description(self) -> str:
        kind = f"gthread x{self.threads}" if self.threads > 1 else "sync"
        return f"gunicorn sigap.wsgi, {self.workers} workers ({kind})"


@contextmanager
def app_server(
    env: dict[str, str], workers: int, threads: int, ready_path: str
) -> Iterator[AppServer]:
    """The real WSGI app under gunicorn on 127.0.0.1 and a free port."""
    server = AppServer(port=free_port(), workers=workers, threads=threads)
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "sigap.wsgi:application",
        "--bind",
        f"127.0.0.1:{server.port}",
        "--workers",
        str(workers),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--timeout",
        "60",
        # gunicorn's control socket has one fixed path per user; another server owns it.
        "--no-control-socket",
    ]
    if threads > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(threads)]
    log(f"starting {server.description} on {server.base}")
    server.process = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.process.returncode}")
            try:
                status, _ = http_get(server.base + ready_path, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield server
    finally:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# --- load generation -----------------------------------------------------------------------


@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    generator: str
    status_errors: int = 0  # the non-2xx/3xx answers among `errors`

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def write_paths(name: str, paths: list[str]) -> Path:
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    target = VAR_BENCH / f"{name}.paths"
    target.write_text("\n".join(paths) + "\n")
    return target


def run_load(
    label: str,
    base: str,
    paths_file: Path,
    seconds: float,
    connections: int,
    threads: int = 2,
) -> LoadResult:
    """Closed-loop load: `connections` clients each sending the next request as soon as the
    previous one answered, for `seconds`. wrk when installed, else a Python fallback."""
    wrk = shutil.which("wrk")
    if wrk:
        return _run_wrk(wrk, label, base, paths_file, seconds, connections, threads)
    log("wrk not found (apt-get install wrk): using the slower Python load generator")
    paths = [p for p in paths_file.read_text().splitlines() if p]
    return asyncio.run(_python_load(label, base, paths, seconds, connections))


def _run_wrk(
    wrk: str,
    label: str,
    base: str,
    paths_file: Path,
    seconds: float,
    connections: int,
    threads: int,
) -> LoadResult:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(WRK_SCRIPT),
        base + "/",
        "--",
        str(paths_file),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(
        data[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return LoadResult(
        label=label,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        generator=f"wrk -t{threads} -c{connections}",
        status_errors=data["status_errors"],
    )


async def _python_load(
    label: str, base: str, paths: list[str], seconds: float, connections: int
) -> LoadResult:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors = status_errors = 0
    start = time.perf_counter()
    stop_at = start + seconds

    async def client(seed: int) -> None:
        nonlocal errors, status_errors
        rnd = random.Random(seed)
        reader = writer = None
        while time.perf_counter() < stop_at:
            path = rnd.choice(paths)
            t0 = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("latin-1")
                )
                status_line = await reader.readline()
                status = int(status_line.split()[1])
                length, close = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection" and "close" in value.lower():
                        close = True
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    errors += 1
                    status_errors += 1
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(connections)))
    elapsed = time.perf_counter() - start
    return LoadResult(
        label=label,
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p90_ms=percentile(latencies, 90) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        max_ms=max(latencies, default=0) * 1000,
        errors=errors,
        generator=f"python asyncio -c{connections}",
        status_errors=status_errors,
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[rank]


# --- the paced update client ---------------------------------------------------------------


@dataclass
class UpdateRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class UpdateResult:
    planned: int = 0
    sent: int = 0
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class UpdateClient:
    """Sends `rate` updates per second for `seconds` on a fixed schedule (open loop: a slow
    answer does not slow the schedule, a late request is sent at once and never skipped),
    over `concurrency` connections, then stops by itself."""

    def __init__(
        self,
        base: str,
        make_request: Callable[[int], UpdateRequest],
        is_ok: Callable[[int, bytes], bool],
        rate: float,
        seconds: float,
        concurrency: int = 16,
    ) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.make_request = make_request
        self.is_ok = is_ok
        self.rate = rate
        self.concurrency = concurrency
        self.result = UpdateResult(planned=int(rate * seconds))
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._start = time.perf_counter()
        for k in range(self.concurrency):
            t = threading.Thread(target=self._worker, args=(k,), daemon=True)
            self._threads.append(t)
            t.start()

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self.result.seconds = time.perf_counter() - self._start

    def run(self) -> None:
        """Send everything and wait for the end."""
        self.start()
        self.join()

    def _worker(self, k: int) -> None:
        res = self.result
        conn = None
        for i in range(k, res.planned, self.concurrency):
            delay = self._start + i / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            with self._lock:
                req = self.make_request(i)
            t0 = time.perf_counter()
            status: int | str = "-"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                conn.request(req.method, req.path, body=req.body, headers=req.headers)
                resp = conn.getresponse()
                body = resp.read()
                status = resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                ok = self.is_ok(resp.status, body)
            except (OSError, http.client.HTTPException) as exc:
                if conn is not None:
                    conn.close()
                conn = None
                ok, body = False, repr(exc).encode()
            elapsed = time.perf_counter() - t0
            with self._lock:
                res.sent += 1
                res.latencies.append(elapsed)
                if ok:
                    res.ok += 1
                else:
                    res.failed += 1
                    if len(res.first_errors) < 3:
                        res.first_errors.append(f"{status} {body[:160]!r}")
        if conn is not None:
            conn.close()


# --- reporting -----------------------------------------------------------------------------


def machine_info(db: BenchDatabase) -> dict[str, str]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} ({cpu})",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": db.label,
    }
    if db.engine == "postgresql":
        import psycopg

        try:
            with psycopg.connect(db.url) as conn:
                info["database"] = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.Error as exc:
            log(f"could not read the PostgreSQL version: {exc}")
    else:
        import sqlite3

        info["database"] = f"SQLite {sqlite3.sqlite_version} (WAL)"
    return info


def print_table(headers: list[str], rows: list[list[str]]) -> str:
    """Print and return a Markdown table."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    lines = [fmt(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in rows]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def write_readme_section(name: str, markdown: str) -> None:
    """Replace (or append) this benchmark's section of bench/README.md, between markers."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = README.read_text() if README.exists() else "# SIGAP benchmarks\n"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)
    log(f"figures written to {README.relative_to(REPO)}")
