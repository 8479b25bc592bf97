"""Issue 17 (Medium/Low): register uploads have size and row limits checked before the file
is read to the end; a killed import leaves no temporary copy behind; an import error does
not show the server's paths."""

import io
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from sigap.core.errors import InvalidInput
from sigap.coverage import engine, services
from sigap.coverage.models import RejectedRow, Resident, Snapshot

from .conftest import KEL_A, POP_HEADER, TODAY, person, write_csv

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)
ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [person("337401", date(1990, 1, 1 + i), 50 + i, KEL_A) for i in range(10)]


def _csv_bytes(rows) -> bytes:
    lines = [",".join(POP_HEADER)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _mine() -> list[Path]:
    return [p for p in engine.spool_dir().iterdir() if p.name.startswith(engine.spool_prefix())]


@pytest.fixture
def office(client, make_user, semarang):
    client.force_login(make_user("analis", "analyst", area_code="3374"))
    return client


def _upload(client, name, content: bytes, kind="population"):
    f = io.BytesIO(content)
    f.name = name
    return client.post("/dinkes/jkn/impor/", {"jenis": kind, "periode": "2026-05", "berkas": f})


def test_an_upload_over_the_size_limit_is_refused_and_leaves_nothing(office, settings):
    settings.SIGAP_COVERAGE_MAX_UPLOAD_BYTES = 300
    content = _csv_bytes(PEOPLE)
    assert len(content) > 300
    resp = _upload(office, "penduduk.csv", content)
    assert resp.status_code == 413 and "sigap coverage import" in resp.content.decode()
    assert not Snapshot.objects.exists() and not Resident.objects.exists()
    # a body announced larger than the limit is refused before it is read
    resp = _upload(office, "penduduk.csv", content * 80)
    assert resp.status_code == 413
    assert not Snapshot.objects.exists() and _mine() == []


def test_the_upload_is_streamed_to_one_spool_copy_that_is_removed(office, monkeypatch):
    seen = []
    real = services.import_snapshot

    def spy(actor, kind, path, period, **kw):
        seen.append(Path(path))
        assert Path(path).exists() and Path(path).parent == engine.spool_dir()
        return real(actor, kind, path, period, today=TODAY, **kw)

    monkeypatch.setattr(services, "import_snapshot", spy)
    resp = _upload(office, "penduduk.csv", _csv_bytes(PEOPLE))
    assert resp.status_code == 302 and Resident.objects.count() == 10
    assert len(seen) == 1 and not seen[0].exists()
    assert _mine() == []


def test_a_file_over_the_row_limit_is_refused_in_every_channel(semarang, cli, tmp_path, settings,
                                                               office):  # fmt: skip
    settings.SIGAP_COVERAGE_MAX_IMPORT_ROWS = 5
    path = write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE)
    with pytest.raises(InvalidInput) as exc:
        services.import_snapshot(cli, "population", path, MAY, today=TODAY)
    assert "lebih dari 5 baris" in exc.value.message
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(POP_HEADER)
    for r in PEOPLE:
        wb.active.append(r)
    wb.save(tmp_path / "p.xlsx")
    with pytest.raises(InvalidInput):
        services.import_snapshot(cli, "population", tmp_path / "p.xlsx", MAY, today=TODAY)
    resp = _upload(office, "p.csv", _csv_bytes(PEOPLE))
    assert resp.status_code == 422 and "lebih dari 5 baris" in resp.content.decode()
    assert not Snapshot.objects.exists() and not RejectedRow.objects.exists()
    # exactly at the limit is fine
    settings.SIGAP_COVERAGE_MAX_IMPORT_ROWS = 10
    assert services.import_snapshot(cli, "population", path, MAY, today=TODAY).created
    assert _mine() == []


def test_a_workbook_that_expands_too_far_is_refused(semarang, cli, tmp_path, monkeypatch):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(POP_HEADER)
    for _ in range(2000):
        wb.active.append(PEOPLE[0])
    wb.save(tmp_path / "bomb.xlsx")
    monkeypatch.setattr(engine, "MAX_XLSX_EXPANDED", 20_000)
    with pytest.raises(InvalidInput) as exc:
        services.import_snapshot(cli, "population", tmp_path / "bomb.xlsx", MAY, today=TODAY)
    assert "tidak dapat dibaca" in exc.value.message
    assert not Snapshot.objects.exists() and _mine() == []


def test_an_import_error_does_not_show_server_paths(office):
    resp = _upload(office, "data.parquet", b"not a parquet file at all")
    html = resp.content.decode()
    assert resp.status_code == 422 and "tidak dapat dibaca" in html
    assert tempfile.gettempdir() not in html and "sigap-imports" not in html
    assert not Snapshot.objects.exists()


def test_a_killed_import_leaves_no_temporary_copy(semarang, tmp_path, office):
    """A process killed (SIGKILL) while its XLSX is converted leaves its spool copy; the next
    import sweeps the copies of processes that are gone."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(POP_HEADER)
    for r in PEOPLE:
        wb.active.append(r)
    wb.save(tmp_path / "p.xlsx")
    code = (
        "import os, signal, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'sigap.settings')\n"
        "django.setup()\n"
        "from sigap.coverage import engine\n"
        f"with engine.readable({str(tmp_path / 'p.xlsx')!r}) as p:\n"
        "    print(p, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ})  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    left = Path(proc.stdout.strip())
    assert left.exists() and left.parent == engine.spool_dir()  # what a kill leaves
    resp = _upload(office, "penduduk.csv", _csv_bytes(PEOPLE[:2]))  # the next import
    assert resp.status_code == 302
    assert not left.exists()
