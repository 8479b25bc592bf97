"""Data quality of growth measurements (sigap/nutrition/quality.py): every statistic on small
hand-computed data, empty groups and a single child ("too few", never a number), the verdict
thresholds at their edges, the page and the API for the analyst and a Puskesmas user, the
dashboard's quality section, bad filters (422, nothing guessed) and English for every msgid."""

import re
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sigap.nutrition import quality as q
from sigap.nutrition.models import Child, Measurement
from tests.catalogue import english

from .conftest import client_for

NAN = np.nan


def data(**cols) -> q.Measurements:
    return q.Measurements.from_columns(**cols)


def one_group(m: q.Measurements) -> dict:
    s = q.summarise(m, np.zeros(len(m), np.int64), 1)
    return {k: v[0] for k, v in s.items()}


# --- statistics on hand-computed data ------------------------------------------------------------


def test_sd_skewness_kurtosis_by_hand():
    # [-1, 0, 1, 2]: mean 0.5, SD sqrt(5/3), symmetric (G1 = 0); m2 = 1.25, m4 = 2.5625,
    # g2 = 2.5625 / 1.5625 - 3 = -1.36, G2 = 3 / (2 * 1) * (5 * -1.36 + 6) = -1.2
    s = one_group(data(haz=[-1.0, 0.0, 1.0, 2.0]))
    assert s["haz_mean"] == pytest.approx(0.5)
    assert s["haz_sd"] == pytest.approx((5 / 3) ** 0.5)
    assert s["haz_skew"] == pytest.approx(0.0, abs=1e-12)
    assert s["haz_kurt"] == pytest.approx(-1.2)
    # [0, 0, 0, 3]: g1 = 2.53125 / 1.6875 ** 1.5 = 2 / sqrt(3); G1 = g1 * sqrt(12) / 2 = 2
    s = one_group(data(haz=[0.0, 0.0, 0.0, 3.0]))
    assert s["haz_skew"] == pytest.approx(2.0)


def test_statistics_match_scipy_and_pandas_definitions():
    import pandas as pd

    rng = np.random.default_rng(4)
    z = rng.normal(-1, 1.2, 200)
    s = one_group(data(whz=z))
    ser = pd.Series(z)
    assert s["whz_sd"] == pytest.approx(ser.std())
    assert s["whz_skew"] == pytest.approx(ser.skew())
    assert s["whz_kurt"] == pytest.approx(ser.kurt())


@pytest.mark.parametrize(
    "key, inside, outside",
    [
        ("haz", [-6.0, 6.0], [-6.01, 6.01]),
        ("waz", [-6.0, 5.0], [-6.01, 5.01]),
        ("whz", [-5.0, 5.0], [-5.01, 5.01]),
    ],
)
def test_who_flags_at_their_limits(key, inside, outside):
    s = one_group(data(**{key: [*inside, *outside, NAN]}))
    assert s[f"{key}_n"] == 4  # the missing z-score is not counted
    assert s[f"{key}_flagged"] == 2
    assert s[f"{key}_flagged_pct"] == pytest.approx(50.0)


def test_flagged_values_are_left_out_of_the_sd():
    s = one_group(data(haz=[-1.0, 0.0, 1.0, 2.0, 7.5]))
    assert s["haz_flagged"] == 1 and s["haz_flagged_pct"] == pytest.approx(20.0)
    assert s["haz_clean_n"] == 4 and s["haz_sd"] == pytest.approx((5 / 3) ** 0.5)


def test_digit_preference_score():
    # every weight ends in .0: table [10, 0, ..., 0], chi2 = 81 + 9 = 90, DPS = 100
    s = one_group(data(haz=[0.0] * 10, weight=[float(x) for x in range(5, 15)]))
    assert s["dps_weight"] == pytest.approx(100.0)
    # each last digit once: no preference
    s = one_group(data(haz=[0.0] * 10, length=[80 + d / 10 for d in range(10)]))
    assert s["dps_height"] == pytest.approx(0.0, abs=1e-9)
    # 20 values, .0 and .5 ten times each: chi2 = 2 * 8^2/2 + 8 * 2 = 80, DPS = 100 * sqrt(80/180)
    s = one_group(data(haz=[0.0] * 20, weight=[10.0] * 10 + [10.5] * 10))
    assert s["dps_weight"] == pytest.approx(100 * (80 / 180) ** 0.5)
    # missing weights do not count
    s = one_group(data(haz=[0.0] * 3, weight=[10.1, NAN, NAN]))
    assert s["dps_weight_n"] == 1


def test_age_heaping_and_missing_dates_of_birth():
    # 366 days is 12 completed months (366 / 30.4375 = 12.02); 400 days is 13
    s = one_group(data(haz=[0.0] * 4, age_days=[366.0, 731.0, 400.0, NAN]))
    assert s["age_heaping_n"] == 3
    assert s["whole_years_pct"] == pytest.approx(200 / 3)
    assert s["missing_dob"] == 1 and s["missing_dob_pct"] == pytest.approx(25.0)
    # all at whole years: every value in one of 12 cells, DPS = 100
    s = one_group(data(haz=[0.0] * 3, age_days=[366.0, 731.0, 1096.0]))
    assert s["age_heaping"] == pytest.approx(100.0)


def test_prevalence_with_wilson_interval_and_implausible_left_out():
    # 10 children, none stunted: 0% with the Wilson upper bound z^2 / (n + z^2) = 27.75%
    s = one_group(data(haz=[0.0] * 10, haz_class=[3] * 10))
    assert s["stunting"] == 0.0 and s["stunting_lo"] == 0.0
    assert s["stunting_hi"] == pytest.approx(100 * 1.959964**2 / (10 + 1.959964**2), rel=1e-5)
    # a stunted child flagged implausible is not counted (as on the dashboard)
    s = one_group(
        data(haz=[0.0, -2.5, -6.5], haz_class=[3, 2, 1], implausible=[False, False, True])
    )
    assert s["stunting_den"] == 2 and s["stunting_k"] == 1 and s["stunting"] == 50.0


def test_empty_group_and_single_child_say_too_few():
    m = data(haz=[-1.0], waz=[-0.5], whz=[0.2], weight=[9.4], length=[75.2], age_days=[400.0])
    s = q.summarise(m, np.array([0]), 2)  # group 1 has no measurement
    j = q.judge(s, 30)
    assert list(j["verdict"]) == ["too_few", "too_few"]
    for i in (0, 1):
        r = q.row(s, j, i, 30)
        assert r["verdict_label"] == "terlalu sedikit untuk dinilai"
        assert r["haz"]["sd"] is None and r["haz"]["flagged_pct"] is None
        assert r["stunting"]["pct"] is None and r["dps_weight"] is None
    assert q.row(s, j, 1, 30)["n"] == 0
    # even with a minimum of one, one value has no SD, skewness or kurtosis
    j = q.judge(s, 1)
    r = q.row(s, j, 0, 1)
    assert r["n"] == 1 and r["haz"]["mean"] == -1.0
    assert r["haz"]["sd"] is None and r["haz"]["skew"] is None and r["haz"]["kurt"] is None


# --- the verdict at its edges --------------------------------------------------------------------


def neutral(n: int = 400, **over) -> dict:
    """Statistics of one group with nothing wrong; `over` sets single values."""
    s = {"n": float(n)}
    for key in q.INDICES:
        s.update({
            f"{key}_n": float(n), f"{key}_flagged": 0.0, f"{key}_flagged_pct": 0.0,
            f"{key}_clean_n": float(n), f"{key}_mean": 0.0, f"{key}_sd": 1.0,
            f"{key}_skew": 0.0, f"{key}_kurt": 0.0,
        })  # fmt: skip
        ses = (6.0 * n * (n - 1) / ((n - 2) * (n + 1) * (n + 3))) ** 0.5
        s[f"{key}_ses"] = ses
        s[f"{key}_sek"] = 2 * ses * ((n * n - 1) / ((n - 3) * (n + 5))) ** 0.5
    for name in ("weight", "height"):
        s.update({f"dps_{name}": 5.0, f"dps_{name}_p": 0.5, f"dps_{name}_n": float(n)})
    s.update(over)
    return {k: np.array([v], dtype=float) for k, v in s.items()}


def verdict(**over) -> tuple[str, list[str]]:
    j = q.judge(neutral(**over), 30)
    return str(j["verdict"][0]), [k for k, v in j["problems"].items() if v[0]]


def test_verdict_edges_flagged_share():
    assert verdict() == ("good", [])
    # exactly 1% (4 of 400) is within the threshold
    assert verdict(haz_flagged=4.0, haz_flagged_pct=1.0) == ("good", [])
    # 12 of 400 (3%) is beyond it and significant (binomial p = 0.0009 < 0.005)
    assert verdict(haz_flagged=12.0, haz_flagged_pct=3.0) == ("check", ["flagged"])
    # 10 of 400 (2.5%) is beyond it but could be chance (p = 0.008: not below 0.05 / 10)
    assert verdict(haz_flagged=10.0, haz_flagged_pct=2.5)[1] == []
    # beyond 1% but not significant: one flag in 40 (2.5%, p = 0.33)
    assert verdict(n=40, haz_n=40.0, haz_flagged=1.0, haz_flagged_pct=2.5)[1] == []


def test_verdict_edges_sd_skewness_kurtosis_dps():
    assert verdict(haz_sd=1.95)[1] == []  # at the bound
    assert verdict(haz_sd=2.3)[1] == ["sd"]  # wider, significantly
    assert verdict(whz_sd=0.6)[1] == []  # narrower does not count
    assert verdict(whz_skew=0.59)[1] == []
    assert verdict(whz_skew=0.6)[1] == ["skew"]  # |0.6| is problematic (SMART)
    assert verdict(n=1000, whz_kurt=-0.6)[1] == ["kurt"]
    assert verdict(n=1000, whz_kurt=0.59)[1] == []
    assert verdict(whz_kurt=-0.6)[1] == []  # n = 400: SE 0.24, could be chance
    # skewness and kurtosis are judged on WHZ (SMART), shown for HAZ and WAZ
    assert verdict(haz_skew=1.5, waz_kurt=2.0)[1] == []
    assert verdict(dps_weight=19.9, dps_weight_p=0.001)[1] == []
    assert verdict(dps_weight=20.0, dps_weight_p=0.001)[1] == ["dps_weight"]
    assert verdict(dps_height=25.0, dps_height_p=0.2)[1] == []  # not significant
    assert verdict(dps_height=25.0, dps_height_p=0.006)[1] == []  # not below 0.05 / 10


def test_verdict_counts_problems_and_needs_the_minimum():
    assert verdict(dps_weight=30.0, dps_weight_p=0.001)[0] == "check"
    assert verdict(dps_weight=30.0, dps_weight_p=0.001, haz_sd=2.3)[0] == "visit"
    assert verdict(n=29)[0] == "too_few"
    assert verdict(n=30)[0] == "good"


# --- pages and API --------------------------------------------------------------------------------

MONTH = date(2026, 1, 1)


def _store(facility, kel, rows):
    """Counted measurements for children of one posyandu: (haz, waz, whz, weight, length)."""
    children = Child.objects.bulk_create(
        [
            Child(name=f"Anak {kel} {i}", sex="L", birth_date=date(2024, 1, 10),
                  posyandu=facility, kelurahan_id=kel, is_synthetic=True)
            for i in range(len(rows))
        ]
    )  # fmt: skip
    Measurement.objects.bulk_create(
        [
            Measurement(
                public_id=uuid.uuid4(), child=c, measured_on=date(2026, 1, 12), month=MONTH,
                age_days=733, weight_kg=w, length_cm=ln, position="H", haz=h, waz=wz, whz=wh,
                haz_class=2 if h < -2 else 3, waz_class=3, whz_class=3,
                implausible=abs(h) > 6, counts_in_month=True, posyandu=facility,
                kelurahan_code=kel, sex="L", source="demo",
            )
            for c, (h, wz, wh, w, ln) in zip(children, rows, strict=True)
        ]
    )  # fmt: skip


@pytest.fixture
def measured(facilities):
    """Posyandu Melati (Miroto): 40 clean measurements. Posyandu Mawar (Pudakpayung): 40 with
    four implausible HAZ and every weight and length rounded to a whole number."""
    rng = np.random.default_rng(7)
    clean = [
        (float(rng.normal(-1, 1)), float(rng.normal(-0.5, 1)), float(rng.normal(0, 1)),
         10 + i / 10, 85 + ((i * 3) % 10) / 10)
        for i in range(40)
    ]  # fmt: skip
    bad = [
        (7.0 if i < 4 else float(rng.normal(-1, 1)), float(rng.normal(-0.5, 1)),
         float(rng.normal(0, 1)), float(10 + i % 3), float(85 + i % 4))
        for i in range(40)
    ]  # fmt: skip
    _store(facilities["pos1"], "3374011001", clean)
    _store(facilities["pos2"], "3374101001", bad)
    return facilities


def test_report_flags_the_posyandu_with_bad_data(analyst, measured):
    r = q.report(analyst, month=MONTH, area="3374", level="posyandu", window=1)
    by_name = {u["name"]: u for u in r.units}
    assert by_name["Posyandu Mawar"]["verdict"] == "visit"
    assert set(by_name["Posyandu Mawar"]["problem_keys"]) >= {"flagged", "dps_weight"}
    assert by_name["Posyandu Melati"]["verdict"] == "good"
    assert [u["name"] for u in r.visit] == ["Posyandu Mawar"]
    assert r.totals["n"] == 80
    # per Puskesmas: the kelurahan's Puskesmas (catchment)
    r = q.report(analyst, month=MONTH, area="3374", level="puskesmas", window=1)
    assert {u["name"] for u in r.units} == {"Puskesmas Miroto", "Puskesmas Pudak"}
    # per month: twelve months, only January has measurements
    assert [m["n"] for m in r.months][-1] == 80 and sum(m["n"] for m in r.months) == 80


def test_page_for_the_analyst_lists_posyandu_to_visit(analyst, measured):
    c = client_for(analyst)
    page = c.get("/gizi/mutu-data/?bulan=2026-01&periode=1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Posyandu Melati" in html and "Posyandu Mawar" in html
    visit = html.split('id="quality-visit"')[1].split("</section>")[0]
    assert "Posyandu Mawar" in visit and "Posyandu Melati" not in visit
    link = f"?posyandu={measured['pos2'].pk}&amp;bulan=2026-01&amp;periode=1"
    assert link in visit
    assert "WHO/UNICEF 2019" in html and "Mei Z, Grummer-Strawn LM" in html
    # the same request twice: the same figures
    again = c.get("/gizi/mutu-data/?bulan=2026-01&periode=1").content.decode()
    assert again.split('id="quality-total"')[1] == html.split('id="quality-total"')[1]
    # one posyandu's own view
    one = c.get(f"/gizi/mutu-data/?posyandu={measured['pos2'].pk}&bulan=2026-01&periode=1")
    assert one.status_code == 200 and "perlu kunjungan" in one.content.decode()


def test_page_for_a_puskesmas_user_shows_only_its_area(staff, measured):
    c = client_for(staff)
    html = c.get("/gizi/mutu-data/?bulan=2026-01&periode=1").content.decode()
    assert "Posyandu Melati" in html and "Posyandu Mawar" not in html
    # another Puskesmas's posyandu is not found
    r = c.get(f"/gizi/mutu-data/?posyandu={measured['pos2'].pk}&bulan=2026-01")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "query, field",
    [
        ("bulan=2026-13", "bulan"),
        ("bulan=januari", "bulan"),
        ("periode=5", "periode"),
        ("periode=x", "periode"),
        ("tingkat=provinsi", "tingkat"),
        ("kecamatan=999999", "kecamatan"),
        ("posyandu=abc", "posyandu"),
    ],
)
def test_bad_filters_answer_4xx_with_a_message(analyst, measured, query, field):
    r = client_for(analyst).get(f"/gizi/mutu-data/?{query}")
    assert r.status_code in (404, 422), query
    assert 'id="quality-error"' in r.content.decode()


def test_page_needs_a_reader_role(make_user, area):
    assert client_for(make_user("warga", "public")).get("/gizi/mutu-data/").status_code == 403


def test_page_without_measurements_says_so(analyst, facilities):
    html = client_for(analyst).get("/gizi/mutu-data/?bulan=2026-01").content.decode()
    assert "Belum ada pengukuran pada periode ini." in html
    assert "terlalu sedikit untuk dinilai" in html  # the area total: no number


def test_dashboard_shows_the_quality_section(analyst, measured):
    html = client_for(analyst).get("/gizi/?bulan=2026-01&tingkat=posyandu").content.decode()
    section = html.split('id="quality-summary"')[1].split("</section>")[0]
    assert "Mutu data pengukuran" in section and "Posyandu Mawar" in section
    assert 'data-verdict="visit"' in section and "/gizi/mutu-data/?bulan=2026-01" in section


def test_api_report_and_scope(analyst, staff, measured):
    r = client_for(analyst).get("/api/v1/nutrition/quality?month=2026-01&months=1")
    assert r.status_code == 200
    body = r.json()
    assert body["min_denominator"] == 30 and body["totals"]["n"] == 80
    assert [v["name"] for v in body["visit"]] == ["Posyandu Mawar"]
    assert "flagged" in body["visit"][0]["problems"]
    assert body["thresholds"]["dps"] == 20.0
    mine = client_for(staff).get("/api/v1/nutrition/quality?month=2026-01&months=1").json()
    assert mine["totals"]["n"] == 40 and mine["visit"] == []
    c = client_for(analyst)
    assert c.get("/api/v1/nutrition/quality?month=2026-13").status_code == 422
    assert c.get("/api/v1/nutrition/quality?month=2026-01&months=5").status_code == 422
    assert c.get("/api/v1/nutrition/quality?month=2026-01&level=rt").status_code == 422
    assert c.get("/api/v1/nutrition/quality?month=2026-01&area=3301").status_code == 422
    other = client_for(staff).get(
        f"/api/v1/nutrition/quality?month=2026-01&posyandu={measured['pos2'].pk}"
    )
    assert other.status_code == 404


# --- translations ---------------------------------------------------------------------------------

APP = Path(q.__file__).parent
TEMPLATE_MSG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
BLOCK_MSG = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", re.S)
PY_MSG = re.compile(r"""\b_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)[,)]""")


def test_every_quality_msgid_has_english():
    found = set()
    for path in (APP / "templates" / "nutrition").glob("_quality*.html"):
        text = path.read_text()
        # Django looks a template msgid up with a literal % doubled, as makemessages stores it
        found |= {m.group(2).replace("%", "%%") for m in TEMPLATE_MSG.finditer(text)}
        found |= {
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1).replace("%", "%%"))
            for m in BLOCK_MSG.finditer(text)
        }
    for m in PY_MSG.finditer((APP / "quality.py").read_text()):
        found.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
    assert len(found) > 40
    assert sorted(m for m in found if m not in english()) == []
