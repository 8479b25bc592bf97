"""The situation page's figures as the sentences people read, one text per tile figure.

The page renders these texts and the poll's JSON carries the same ones (`texts`), so the
page and its live refresh never format a figure two ways."""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.emergency import selectors as emergency

NO_DATA = gettext_lazy("belum ada data")


def _n(value: int | None) -> str:
    return formats.number_format(value or 0, use_l10n=True, force_grouping=True)


def _dec(value: float) -> str:
    return formats.number_format(value, decimal_pos=1, use_l10n=True)


def month_label(iso: str | None) -> str:
    if not iso:
        return str(NO_DATA)
    d = date.fromisoformat(iso)
    return f"{MONTHS[d.month]} {d.year}"


def triage_labels() -> list[tuple[str, str]]:
    """(colour, label) in the queue's order."""
    return emergency.triage_labels()


def _of(part: int, whole: int, noun: str) -> str:
    return _("%(part)s dari %(whole)s %(noun)s") % {
        "part": _n(part),
        "whole": _n(whole),
        "noun": noun,
    }


def _prevalence(p: dict) -> str:
    if not p["n"]:
        return str(NO_DATA)
    if p["too_few"] or p["pct"] is None:
        return _("terlalu sedikit untuk dinilai (%(n)s balita)") % {"n": _n(p["n"])}
    return _("%(pct)s%% (IK 95%% %(low)s–%(high)s; %(k)s dari %(n)s balita)") % {
        "pct": _dec(p["pct"]),
        "low": _dec(p["low"]),
        "high": _dec(p["high"]),
        "k": _n(p["k"]),
        "n": _n(p["n"]),
    }


def _deaths(this: int, last: int) -> str:
    return _("%(this)s (tahun lalu %(last)s)") % {"this": _n(this), "last": _n(last)}


def texts(fig: dict) -> dict[str, str]:
    """figure key (the page's `data-figure`) -> its text."""
    out: dict[str, str] = {}
    b = fig["beds"]
    out["beds-free"] = _of(b["free"], b["capacity"], _("tempat tidur kosong"))
    for c in b["classes"]:
        out[f"beds-class-{c['code']}"] = f"{_n(c['free'])} / {_n(c['capacity'])}"
    out["beds-stale"] = (
        _of(b["stale"], b["hospitals"], _("rumah sakit")) if b["hospitals"] else str(NO_DATA)
    )

    e = fig["emergency"]
    for colour, _label in triage_labels():
        out[f"em-open-{colour}"] = _n(e["open"].get(colour, 0))
    out["em-open-total"] = _n(e["open_total"])
    out["em-units"] = _of(e["units_out"], e["units_in_service"], _("unit bertugas"))
    if e["response_n"]:
        out["em-response"] = _("median %(m)s menit (n = %(n)s)") % {
            "m": _dec(e["response_median"]),
            "n": _n(e["response_n"]),
        }
    else:
        out["em-response"] = str(NO_DATA)
    if e["judged"]:
        out["em-target"] = _("%(k)s dari %(n)s dalam target (%(pct)s%%)") % {
            "k": _n(e["within_target"]),
            "n": _n(e["judged"]),
            "pct": _dec(e["within_target_pct"]),
        }
    else:
        out["em-target"] = ""  # the response line above already says there is no data

    r = fig["referrals"]
    out["ref-waiting"] = _("%(n)s (%(late)s lewat batas jawab)") % {
        "n": _n(r["waiting"]),
        "late": _n(r["overdue"]),
    }
    out["ref-escalated"] = _n(r["escalated"])

    h = fig["homecare"]
    if h["planned"]:
        out["hc-visits"] = _("%(done)s dari %(planned)s kunjungan selesai (%(pct)s%%)") % {
            "done": _n(h["done"]),
            "planned": _n(h["planned"]),
            "pct": _dec(h["done_pct"]),
        }
    else:
        out["hc-visits"] = _("belum ada kunjungan terjadwal hari ini")
    out["hc-missed"] = _n(h["missed"])

    c = fig["coverage"]
    if c["population"]:
        out["cov-pct"] = _("%(pct)s%% (%(k)s dari %(n)s jiwa)") % {
            "pct": _dec(c["coverage_pct"]),
            "k": _n(c["covered"]),
            "n": _n(c["population"]),
        }
    else:
        out["cov-pct"] = str(NO_DATA)
    out["cov-period"] = month_label(c["period"]) + (
        " · " + _("bulan berjalan") if c["period_in_progress"] else ""
    )
    if c["quota_run"]:
        out["cov-quota"] = _of(c["quota_used"], c["quota_total"], _("kuota terpakai"))
    else:
        out["cov-quota"] = _("kuota bulan ini belum ditetapkan")
    out["cov-quota-month"] = month_label(c["quota_month"]) + " · " + _("bulan berjalan")

    n = fig["nutrition"]
    out["nut-month"] = month_label(n["month"]) + (
        " · " + _("bulan berjalan") if n["in_progress"] else " · " + _("bulan lengkap terakhir")
    )
    out["nut-stunting"] = _prevalence(n["stunting"])
    out["nut-wasting"] = _prevalence(n["wasting"])
    q = n["quality"]
    out["nut-quality"] = q["verdict_label"] if q["n"] else str(NO_DATA)

    d = fig["deaths"]
    this, last = d["this_year"], d["last_year"]
    out["deaths-maternal"] = _deaths(this["maternal"], last["maternal"])
    out["deaths-infant"] = _deaths(this["infant"], last["infant"])
    out["deaths-births"] = _deaths(this["live_births"], last["live_births"])

    for row in fig["breakdown"]:
        key = f"kk-{row['code']}"
        out[f"{key}-beds"] = f"{_n(row['beds_free'])} / {_n(row['beds_capacity'])}"
        out[f"{key}-stale"] = f"{_n(row['stale'])} / {_n(row['hospitals'])}"
        out[f"{key}-incidents"] = _n(row["incidents_open"])
        out[f"{key}-referrals"] = (
            f"{_n(row['referrals_waiting'])} / {_n(row['referrals_escalated'])}"
        )
        out[f"{key}-visits"] = f"{_n(row['visits_done'])} / {_n(row['visits_planned'])}"
        out[f"{key}-coverage"] = (
            f"{_dec(row['coverage_pct'])}%" if row["coverage_pct"] is not None else "—"
        )
    return out
