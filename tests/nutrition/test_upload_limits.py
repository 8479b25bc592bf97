"""e-PPGBM uploads are limited before they are read (issue 17 Medium): file size (from the
request's Content-Length, before Django parses the body), rows (counted while streaming,
reading stops at the first row past the limit) and an XLSX's decompressed size and ratio
(from the zip directory, before openpyxl inflates anything). Refusals are clear 4xx and
write nothing."""

import io
import zipfile

import pytest
from django.test import Client
from openpyxl import Workbook

from sigap.core.models import AuditEvent
from sigap.nutrition.importer import ImportFileError, import_eppgbm
from sigap.nutrition.models import Child, Measurement

from .test_import import HEADER, row

pytestmark = pytest.mark.django_db


def xlsx(n_rows: int) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for _ in range(n_rows):
        ws.append(row())
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def csv_file(n_rows: int) -> io.BytesIO:
    lines = [";".join(HEADER)] + [";".join(row()) for _ in range(n_rows)]
    return io.BytesIO("\n".join(lines).encode())


def nothing_written():
    return (
        not Child.objects.exists()
        and not Measurement.objects.exists()
        and not (
            AuditEvent.objects.filter(action__in=["eppgbm.import", "child.bulk_create"]).exists()
        )
    )


def test_rows_past_the_limit_are_refused_while_streaming(staff_actor, facilities, settings):
    settings.SIGAP_EPPGBM_MAX_ROWS = 50
    for make, name in ((xlsx, "x.xlsx"), (csv_file, "x.csv")):
        with pytest.raises(ImportFileError, match="maksimum 50 baris"):
            import_eppgbm(staff_actor, make(200), name)
    assert nothing_written()
    # at the limit the file is read
    report = import_eppgbm(staff_actor, csv_file(50), "x.csv")
    assert report.rows == 50


def test_a_file_over_the_size_limit_is_refused(staff_actor, facilities, settings):
    settings.SIGAP_EPPGBM_MAX_UPLOAD_BYTES = 2000
    with pytest.raises(ImportFileError, match="terlalu besar"):
        import_eppgbm(staff_actor, csv_file(40), "x.csv")
    with pytest.raises(ImportFileError, match="terlalu besar"):
        import_eppgbm(staff_actor, xlsx(400), "x.xlsx")
    assert nothing_written()


def test_a_zip_bomb_is_refused_before_it_is_inflated(staff_actor, facilities):
    """A workbook whose sheet inflates 1000:1 (the probe: 1.1 MB -> 1.2 M rows)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 4_000_000)  # 24 MB of one row
    assert len(buf.getvalue()) < 200_000
    buf.seek(0)
    with pytest.raises(ImportFileError, match="terlalu besar setelah dibuka"):
        import_eppgbm(staff_actor, buf, "bom.xlsx")
    assert nothing_written()


def test_decompressed_size_limit_is_a_setting(staff_actor, facilities, settings):
    settings.SIGAP_EPPGBM_MAX_XLSX_UNCOMPRESSED_BYTES = 5_000
    with pytest.raises(ImportFileError, match="setelah dibuka"):
        import_eppgbm(staff_actor, xlsx(20), "x.xlsx")
    assert nothing_written()


def test_import_page_refuses_a_big_upload_from_its_content_length(staff, settings):
    settings.SIGAP_EPPGBM_MAX_UPLOAD_BYTES = 10_000
    c = Client()
    c.force_login(staff)
    big = io.BytesIO(b"x" * 200_000)
    big.name = "besar.csv"
    r = c.post("/gizi/impor/", {"file": big})
    assert r.status_code == 413
    assert "Berkas terlalu besar (maksimum 9,8" in r.content.decode()
    assert nothing_written()
    # a small upload goes through the CSRF check as before
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    small = io.BytesIO(b"a;b\n")
    small.name = "kecil.csv"
    assert strict.post("/gizi/impor/", {"file": small}).status_code == 403
    small.seek(0)
    r = c.post("/gizi/impor/", {"file": small})
    assert r.status_code == 422 and nothing_written()
