"""The access report: travel times per kelurahan and kind, population sources, indicators
with their denominators."""

import pytest

from sigap.access import selectors


@pytest.mark.django_db
def test_report_of_the_slice(facilities):
    rep = selectors.report("3374", mode="motorbike", hour=10)
    rows = {r["code"]: r for r in rep.rows}
    assert len(rows) == 4
    miroto = rows["3374011001"]
    assert miroto["puskesmas_minutes"] < 1 and miroto["status"] == "hospital"
    assert miroto["hospital_igd_nearest"] == "RS Contoh Tengah"
    assert rows["3374101001"]["status"] == "pustu_only"
    assert rows["3374011002"]["status"] == "hospital"
    gedawang = rows["3374101002"]
    assert gedawang["lat"] is None and gedawang["puskesmas_minutes"] is None
    assert gedawang["status"] == "none"
    # no upload, no register, no village figure: the city's 40,000 shared over 4 kelurahan
    assert {r["source"] for r in rep.rows} == {"estimate"}
    assert miroto["population"] == 10_000
    assert rep.counts["population"] == 40_000
    share = next(s for s in rep.shares if s["target"] == "puskesmas" and s["minutes"] == 15)
    # Gedawang has no position: out of the denominator
    assert share["denominator"] == 30_000
    assert share["population"] == 20_000  # Pudakpayung is ~12 km away
    assert rep.puskesmas["count"] == 1 and rep.puskesmas["per_puskesmas"] == 40_000
    assert rep.puskesmas["kecamatan_without"] == 1
