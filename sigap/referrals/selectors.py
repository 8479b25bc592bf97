"""Read side of referrals: the hospital inbox, lists, the recommendation of receiving hospitals
and the health office's payer-fairness report.

The recommendation is asked on every send form and every escalation, so everything it needs
is kept per process: the hospitals and their services (refreshed every minute), each
hospital's acceptance rate and answer time over the last 30 days from `ReferralDailyStat`
(refreshed every 30 s; ~30 rows per hospital), and the bed board's in-memory snapshot from
`sigap.beds.selectors` (refreshed within a quarter of a second of a change). One answer is a
few NumPy operations over the hospitals; no query runs unless a cache is due.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.models import Role, User
from sigap.core.travel import get_estimator
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility, Kind, Service
from sigap.regions.services import mask_nik

from .models import Referral, ReferralAnswer, ReferralDailyStat, ReferralEvent
from .time_critical import Condition, condition_for

HOSPITALS_TTL = 60.0
STATS_TTL = 30.0
STATS_DAYS = 30
# a hospital with few answers is pulled towards these (8 pseudo-offers)
PRIOR_RATE, PRIOR_WEIGHT = 0.75, 8.0
PRIOR_ANSWER_MIN = 15.0
INBOX_LIMIT = 200


@dataclass
class _Hospitals:
    at: float = -1e9
    pks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    lats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    info: list[dict] = field(default_factory=list)
    services: dict[str, np.ndarray] = field(default_factory=dict)  # code -> bool mask
    service_names: dict[str, str] = field(default_factory=dict)
    class_names: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stats:
    at: float = -1e9
    by_facility: dict[int, tuple[float, float, int]] = field(default_factory=dict)


_lock = threading.Lock()
_hospitals = _Hospitals()
_stats = _Stats()


def reset_caches() -> None:
    """Forget the cached hospitals and statistics (tests, after bulk loads)."""
    global _hospitals, _stats
    with _lock:
        _hospitals, _stats = _Hospitals(), _Stats()


def _load_hospitals() -> _Hospitals:
    rows = list(
        Facility.objects.filter(kind_id=Kind.HOSPITAL, is_active=True)
        .order_by("pk")
        .values(
            "pk",
            "public_id",
            "name",
            "latitude",
            "longitude",
            "phone",
            "emergency_phone",
            "hospital_class",
            "ownership",
        )
    )
    h = _Hospitals(at=time.monotonic())
    h.pks = np.array([r["pk"] for r in rows], dtype=int)
    h.lats = np.array([r["latitude"] for r in rows], dtype=float)
    h.lons = np.array([r["longitude"] for r in rows], dtype=float)
    h.info = rows
    position = {r["pk"]: i for i, r in enumerate(rows)}
    through = Facility.services.through.objects.filter(facility_id__in=position).values_list(
        "facility_id", "service_id"
    )
    for facility_id, service in through:
        mask = h.services.setdefault(service, np.zeros(len(rows), dtype=bool))
        mask[position[facility_id]] = True
    h.service_names = dict(Service.objects.values_list("code", "name"))
    h.class_names = {c.code: c.name for c in bed_services.public_bed_classes()}
    return h


def _get_hospitals() -> _Hospitals:
    global _hospitals
    if time.monotonic() - _hospitals.at > HOSPITALS_TTL:
        with _lock:
            if time.monotonic() - _hospitals.at > HOSPITALS_TTL:
                _hospitals = _load_hospitals()
    return _hospitals


def _load_stats(now: datetime) -> _Stats:
    since = timezone.localdate(now) - timedelta(days=STATS_DAYS)
    rows = (
        ReferralDailyStat.objects.filter(day__gte=since)
        .values("facility_id")
        .annotate(
            offers=Sum("offers"),
            accepted=Sum("accepted"),
            answered=Sum("answered"),
            seconds=Sum("answer_seconds"),
        )
    )
    st = _Stats(at=time.monotonic())
    for r in rows:
        rate = (r["accepted"] + PRIOR_RATE * PRIOR_WEIGHT) / (r["offers"] + PRIOR_WEIGHT)
        minutes = r["seconds"] / 60 / r["answered"] if r["answered"] else None
        st.by_facility[r["facility_id"]] = (rate, minutes, r["offers"])
    return st


def _get_stats(now: datetime) -> _Stats:
    global _stats
    if time.monotonic() - _stats.at > STATS_TTL:
        with _lock:
            if time.monotonic() - _stats.at > STATS_TTL:
                _stats = _load_stats(now)
    return _stats


def recommend(
    *,
    lat: float,
    lon: float,
    service: str = "",
    bed_class: str = "",
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int = 10,
    now: datetime | None = None,
    diagnosis: str = "",
    urgency: str = "",
) -> list[dict]:
    """Hospitals ranked for a referral from (lat, lon), each with a `reason` people read.

    Only hospitals with the service (when one is asked). A time-critical diagnosis (stroke,
    ACS, major trauma, obstetric haemorrhage, sepsis ...; `time_critical.csv`) that is not
    elective ranks as a clinician would: capable hospitals (offering the condition's service)
    with a free bed of the class first, each group by travel time alone. Otherwise hospitals
    with a free bed of the class first (when one is asked); then by an expected-delay score
    in minutes: travel time + answer time + 30 x the chance of a refusal (a refusal costs
    about a new search and another drive). The payer is not an input."""
    now = now or timezone.now()
    hosp = _get_hospitals()
    n = len(hosp.pks)
    if n == 0:
        return []
    ok = np.ones(n, dtype=bool)
    if service:
        ok &= hosp.services.get(service, np.zeros(n, dtype=bool))
    if exclude:
        ok &= ~np.isin(hosp.pks, list(exclude))
    if not ok.any():
        return []
    minutes = get_estimator().minutes(lat, lon, hosp.lats, hosp.lons, at=now)
    board = bed_services.board_snapshot()
    free = np.zeros(n, dtype=int)
    on_board = np.zeros(n, dtype=bool)
    if bed_class and bed_class in board.free_by_class:
        by_class = board.free_by_class[bed_class]
        for i, pk in enumerate(hosp.pks):
            j = board.position.get(int(pk))
            if j is not None:
                free[i] = by_class[j]
                on_board[i] = True
    stats = _get_stats(now).by_facility
    rate = np.array([stats.get(int(pk), (PRIOR_RATE, None, 0))[0] for pk in hosp.pks])
    answer = np.array(
        [(stats.get(int(pk), (0, None, 0))[1] or PRIOR_ANSWER_MIN) for pk in hosp.pks]
    )
    score = minutes + answer + 30.0 * (1.0 - rate)
    no_bed = (free <= 0) if bed_class else np.zeros(n, dtype=bool)
    condition = condition_for(diagnosis) if urgency != Referral.Urgency.ELECTIVE else None
    capable = np.ones(n, dtype=bool)
    if condition is not None and condition.service:
        capable = hosp.services.get(condition.service, np.zeros(n, dtype=bool))
    idx = np.flatnonzero(ok)
    if condition is not None:
        # capable with a bed, capable without, then the others; minutes decide in each group
        group = (~capable).astype(int) * 2 + no_bed.astype(int)
        keys = (score[idx], minutes[idx], group[idx])
    else:
        keys = (score[idx], no_bed[idx])
    order = idx[np.lexsort(keys)][: max(1, min(limit, 50))]
    out = []
    for i in order:
        info = hosp.info[i]
        s = stats.get(int(hosp.pks[i]))
        out.append(
            {
                "facility_id": int(hosp.pks[i]),
                "id": str(info["public_id"]),
                "name": info["name"],
                "hospital_class": info["hospital_class"] or None,
                "ownership": info["ownership"],
                "phone": info["phone"],
                "emergency_phone": info["emergency_phone"],
                "travel_minutes": round(float(minutes[i]), 1),
                "free_beds": int(free[i]) if bed_class else None,
                "on_board": bool(on_board[i]),
                "acceptance_rate": round(float(s[0]), 2) if s else None,
                "answer_minutes": round(float(s[1]), 1) if s and s[1] is not None else None,
                "recent_offers": s[2] if s else 0,
                "score": round(float(score[i]), 1),
                "time_critical": condition.label if condition else None,
                "reason": _reason(
                    hosp,
                    minutes=float(minutes[i]),
                    bed_class=bed_class,
                    free=int(free[i]),
                    on_board=bool(on_board[i]),
                    condition=condition,
                    capable=bool(capable[i]),
                    acceptance=s[0] if s else None,
                ),
            }
        )
    return out


def _reason(
    hosp: _Hospitals,
    *,
    minutes: float,
    bed_class: str,
    free: int,
    on_board: bool,
    condition: Condition | None,
    capable: bool,
    acceptance: float | None,
) -> str:
    """Why a hospital is where it is, e.g. "12 menit, ICU kosong 2, layanan Stroke unit"."""
    parts = [_("%(n)d menit") % {"n": max(1, round(minutes))}]
    if bed_class:
        label = hosp.class_names.get(bed_class, bed_class)
        if not on_board:
            parts.append(_("%(cls)s tidak dilaporkan") % {"cls": label})
        elif free > 0:
            parts.append(_("%(cls)s kosong %(n)d") % {"cls": label, "n": free})
        else:
            parts.append(_("%(cls)s penuh") % {"cls": label})
    if condition is not None and condition.service:
        name = hosp.service_names.get(condition.service, condition.service)
        if capable:
            parts.append(_("layanan %(service)s") % {"service": name})
        else:
            parts.append(_("tanpa layanan %(service)s") % {"service": name})
    elif acceptance is not None:
        parts.append(_("menerima %(pct)d%% rujukan") % {"pct": round(acceptance * 100)})
    return ", ".join(parts)


# --- lists --------------------------------------------------------------------------------

_LIST_FIELDS = (
    "pk",
    "public_id",
    "number",
    "status",
    "urgency",
    "kind",
    "payer",
    "created_at",
    "answer_due_at",
    "answered_at",
    "status_changed_at",
    "patient_name",
    "patient_nik",
    "patient_sex",
    "patient_birth_date",
    "diagnosis_code",
    "diagnosis_name",
    "sender_label",
    "receiver_id",
    "receiver__name",
    "room_class_id",
    "room_class__name",
    "service__name",
    "bed_hold_id",
    "attempts",
    "escalated_at",
    "proposed__name",
)


def _present(row: dict, now: datetime) -> dict:
    row = dict(row)
    row["patient_nik"] = mask_nik(row["patient_nik"])
    row["id"] = str(row.pop("public_id"))
    row["status_label"] = str(Referral.Status(row["status"]).label)  # people read labels
    row["room_class_name"] = row.pop("room_class__name")
    row["seconds_left"] = int((row["answer_due_at"] - now).total_seconds())
    row["overdue"] = row["status"] in ("sent", "escalated") and row["seconds_left"] < 0
    return row


def inbox(
    facility: Facility, *, status: str = "open", limit: int = 50, now: datetime | None = None
) -> list[dict]:
    """A hospital's incoming referrals: open ones by deadline (the most urgent first), or
    those in one status, newest first. One indexed query on (receiver, status, due)."""
    now = now or timezone.now()
    limit = max(1, min(limit, INBOX_LIMIT))
    qs = Referral.objects.filter(receiver=facility)
    if status == "open":
        qs = qs.filter(status__in=("sent", "escalated")).order_by("answer_due_at", "pk")
    elif status == "active":
        qs = qs.filter(status__in=("accepted", "arrived")).order_by("-status_changed_at", "-pk")
    else:
        qs = qs.filter(status=status).order_by("-status_changed_at", "-pk")
    return [_present(r, now) for r in qs.values(*_LIST_FIELDS)[:limit]]


def inbox_counts(facility: Facility) -> dict[str, int]:
    rows = (
        Referral.objects.filter(
            receiver=facility, status__in=("sent", "escalated", "accepted", "arrived")
        )
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {r["status"]: r["n"] for r in rows}
    return {
        "open": counts.get("sent", 0) + counts.get("escalated", 0),
        "active": counts.get("accepted", 0) + counts.get("arrived", 0),
    }


def sent_by(user: User, *, limit: int = 50, now: datetime | None = None) -> list[dict]:
    """Referrals sent by the user's facilities (or by the user, for PSC and crews)."""
    now = now or timezone.now()
    facilities = facility_services.facilities_operated_by(user).values("pk")
    qs = Referral.objects.filter(Q(sender_id__in=facilities) | Q(created_by=user))
    return [
        _present(r, now) for r in qs.order_by("-created_at", "-pk").values(*_LIST_FIELDS)[:limit]
    ]


def escalations(area: str = "", *, limit: int = 100, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    qs = Referral.objects.filter(status__in=("escalated", "rejected"))
    if area:
        qs = qs.filter(receiver__village__code__startswith=area)
    return [
        _present(r, now) for r in qs.order_by("answer_due_at", "pk").values(*_LIST_FIELDS)[:limit]
    ]


def office_counts(area: str = "", *, now: datetime | None = None) -> dict[str, int]:
    """For the health office: referrals waiting for the receiving hospital's answer (and of
    them past their answer deadline), and the escalated or refused ones waiting for a new
    hospital (the office's list, `escalations`), received by hospitals in `area`."""
    now = now or timezone.now()
    qs = Referral.objects.filter(receiver__village__code__startswith=area)
    return qs.aggregate(
        waiting=Count("id", filter=Q(status="sent")),
        overdue=Count("id", filter=Q(status="sent", answer_due_at__lt=now)),
        escalated=Count("id", filter=Q(status__in=("escalated", "rejected"))),
    )


# --- the payer-fairness report ------------------------------------------------------------

PAYER_GROUPS = [p.value for p in Referral.Payer]
ALPHA = 0.05
MIN_PER_GROUP = 5  # answers per payer group before a group enters a time test


STRATA = [u.value for u in Referral.Urgency]


def _kruskal(groups: dict[str, list[float]]):
    from scipy import stats

    usable = [v for v in groups.values() if len(v) >= MIN_PER_GROUP]
    if len(usable) < 2:
        return None
    if len({x for v in usable for x in v}) < 2:
        return 1.0  # all equal: nothing differs
    return float(stats.kruskal(*usable).pvalue)


def _stratified_kruskal(strata: dict[str, dict[str, list[float]]]):
    """Times by payer compared within each urgency stratum (Kruskal-Wallis), never across:
    an emergency is answered in minutes and an elective referral in hours, so a payer group
    with more emergencies would look faster without any unequal treatment. The smallest
    per-stratum p-value, Bonferroni-corrected for the number of strata tested."""
    ps = [p for p in (_kruskal(groups) for groups in strata.values()) if p is not None]
    if not ps:
        return None
    return min(1.0, min(ps) * len(ps))


def _cmh(tables: dict[str, dict[str, tuple[int, int]]]):
    """Generalised Cochran-Mantel-Haenszel test of payer x accepted, stratified by urgency:
    the association within strata, pooled (chi-square with K-1 df for K payer groups). Unlike
    a test on the pooled table, it cannot be made or hidden by a payer mix that differs
    between emergency and elective referrals (Simpson's paradox)."""
    from scipy import stats

    order = list(dict.fromkeys(p for t in tables.values() for p in t))
    payers = [p for p in order if any(t.get(p, (0, 0))[1] > 0 for t in tables.values())]
    if len(payers) < 2:
        return None
    k = len(payers) - 1  # the last group is implied by the margins
    dev = np.zeros(k)
    cov = np.zeros((k, k))
    used = 0
    for table in tables.values():
        acc = np.array([table.get(p, (0, 0))[0] for p in payers], dtype=float)
        tot = np.array([table.get(p, (0, 0))[1] for p in payers], dtype=float)
        n = tot.sum()
        yes = acc.sum()
        no = n - yes
        if n < 2 or yes == 0 or no == 0:
            continue  # a stratum where everyone (or no one) was accepted carries no information
        used += 1
        r = tot[:k]
        dev += acc[:k] - r * yes / n
        cov += yes * no / (n * n * (n - 1)) * (n * np.diag(r) - np.outer(r, r))
    if used == 0:
        return 1.0  # no stratum shows any refusal difference to test
    q = float(dev @ np.linalg.pinv(cov) @ dev)
    df = int(np.linalg.matrix_rank(cov))
    if df == 0:
        return 1.0
    return float(stats.chi2.sf(q, df))


JKN_GROUPS = {"JKN": ("jkn_pbi", "jkn_non_pbi"), "non-JKN": ("general", "private")}


def _merge(tables: dict, groups: dict[str, tuple[str, ...]]) -> dict:
    """The strata's tables with payer groups merged (or dropped when not in any group)."""
    out = {}
    for u, t in tables.items():
        merged = {}
        for name, members in groups.items():
            pairs = [t.get(p, (0, 0)) for p in members]
            merged[name] = (sum(a for a, _n in pairs), sum(n for _a, n in pairs))
        out[u] = merged
    return out


def _expected(tables: dict, group: str) -> tuple[float, float]:
    """Expected acceptances and refusals of one group, summed over strata, under no
    difference between groups within a stratum."""
    yes_e = no_e = 0.0
    for t in tables.values():
        n = sum(m for _a, m in t.values())
        if n == 0:
            continue
        yes = sum(a for a, _m in t.values())
        rows = t.get(group, (0, 0))[1]
        yes_e += rows * yes / n
        no_e += rows * (n - yes) / n
    return yes_e, no_e


def _acceptance_test(tables: dict[str, dict[str, tuple[int, int]]]):
    """Independence of acceptance and payer within urgency strata, by Cochran-Mantel-
    Haenszel over the payer groups with enough offers (at least 5 expected acceptances and 5
    expected refusals, summed over strata); when fewer than two groups have enough, JKN
    (PBI + non-PBI) against the other payers; with too few for that in a single stratum,
    Fisher's exact test of the same two groups; else no test."""
    from scipy import stats

    filled = {u: t for u, t in tables.items() if any(n for _a, n in t.values())}
    if not filled:
        return None, ""
    yes_all = sum(a for t in filled.values() for a, _n in t.values())
    n_all = sum(n for t in filled.values() for _a, n in t.values())
    if yes_all == 0 or yes_all == n_all:
        return 1.0, "cmh"  # everyone accepted (or no one): no difference

    def enough(tabs: dict, group: str) -> bool:
        yes_e, no_e = _expected(tabs, group)
        return yes_e >= 5 and no_e >= 5

    payers = [p for p in PAYER_GROUPS if enough(filled, p)]
    if len(payers) >= 2:
        p = _cmh(_merge(filled, {q: (q,) for q in payers}))
        return (p, "cmh") if p is not None else (None, "")
    two = _merge(filled, JKN_GROUPS)
    if all(enough(two, g) for g in JKN_GROUPS):
        p = _cmh(two)
        return (p, "cmh") if p is not None else (None, "")
    if len(filled) > 1:
        return None, ""
    (table,) = two.values()
    (a1, n1), (a2, n2) = table["JKN"], table["non-JKN"]
    if n1 == 0 or n2 == 0:
        return None, ""
    return float(stats.fisher_exact([[a1, n1 - a1], [a2, n2 - a2]]).pvalue), "fisher"


def fairness_report(area: str = "", *, days: int = 90, now: datetime | None = None) -> dict:
    """Per hospital and payer group: offers, acceptance rate, median answer time, median
    waiting time (sent to arrival). Per hospital, a test for each of the three measures,
    each comparing payers WITHIN an urgency stratum (emergency, elective) so that the case
    mix cannot create or hide a flag: Cochran-Mantel-Haenszel for acceptance, per-stratum
    Kruskal-Wallis (Bonferroni over strata) for the times. The p-values of all tests are
    adjusted together (Benjamini-Hochberg) and a hospital is flagged when any adjusted
    p-value is below 5 %."""
    from scipy import stats

    now = now or timezone.now()
    since = now - timedelta(days=days)
    answers = ReferralAnswer.objects.filter(answered_at__gte=since)
    arrivals = Referral.objects.filter(arrived_at__gte=since, arrived_at__isnull=False)
    if area:
        answers = answers.filter(facility__village__code__startswith=area)
        arrivals = arrivals.filter(receiver__village__code__startswith=area)
    # per hospital, per urgency stratum, per payer: the tests compare payers within a stratum
    per: dict[int, dict] = {}
    names = {}

    def new() -> dict:
        return {m: {u: {} for u in STRATA} for m in ("acc", "ans", "wait")}

    for r in answers.values(
        "facility_id", "facility__name", "payer", "urgency", "outcome", "seconds"
    ):
        h = per.setdefault(r["facility_id"], new())
        names[r["facility_id"]] = r["facility__name"]
        acc = h["acc"][r["urgency"]]
        a, n = acc.get(r["payer"], (0, 0))
        acc[r["payer"]] = (a + (r["outcome"] == "accepted"), n + 1)
        if r["outcome"] != "timeout":
            h["ans"][r["urgency"]].setdefault(r["payer"], []).append(r["seconds"] / 60)
    for r in arrivals.values(
        "receiver_id", "receiver__name", "payer", "urgency", "created_at", "arrived_at"
    ):
        h = per.setdefault(r["receiver_id"], new())
        names[r["receiver_id"]] = r["receiver__name"]
        wait = (r["arrived_at"] - r["created_at"]).total_seconds() / 60
        h["wait"][r["urgency"]].setdefault(r["payer"], []).append(wait)

    def pooled_acc(h: dict, payer: str) -> tuple[int, int]:
        pairs = [h["acc"][u].get(payer, (0, 0)) for u in STRATA]
        return sum(a for a, _n in pairs), sum(n for _a, n in pairs)

    def pooled(h: dict, metric: str, payer: str) -> list[float]:
        return [x for u in STRATA for x in h[metric][u].get(payer, [])]

    hospitals = []
    tests: list[tuple[int, str, float]] = []
    for pk, h in per.items():
        groups = []
        for payer in PAYER_GROUPS:
            a, n = pooled_acc(h, payer)
            ans, wait = pooled(h, "ans", payer), pooled(h, "wait", payer)
            by_urgency = {}
            for u in STRATA:
                ua, un = h["acc"][u].get(payer, (0, 0))
                by_urgency[u] = {"offers": un, "rate": round(ua / un, 3) if un else None}
            groups.append(
                {
                    "payer": payer,
                    "label": str(Referral.Payer(payer).label),
                    "offers": n,
                    "accepted": a,
                    "rate": round(a / n, 3) if n else None,
                    "answer_median": round(float(np.median(ans)), 1) if ans else None,
                    "wait_median": round(float(np.median(wait)), 1) if wait else None,
                    "by_urgency": by_urgency,
                }
            )
        p_acc, method = _acceptance_test(h["acc"])
        p_ans, p_wait = _stratified_kruskal(h["ans"]), _stratified_kruskal(h["wait"])
        entry = {
            "facility_id": pk,
            "name": names[pk],
            "groups": groups,
            "offers": sum(pooled_acc(h, p)[1] for p in PAYER_GROUPS),
            "p": {"acceptance": p_acc, "answer": p_ans, "wait": p_wait},
            "acceptance_method": method,
            "p_adj": {},
            "flagged": False,
            "flags": [],
        }
        hospitals.append(entry)
        for metric, p in entry["p"].items():
            if p is not None:
                tests.append((len(hospitals) - 1, metric, p))
    if tests:
        adjusted = stats.false_discovery_control([max(min(p, 1.0), 0.0) for _, _, p in tests])
        for (i, metric, _p), q in zip(tests, adjusted, strict=True):
            hospitals[i]["p_adj"][metric] = float(q)
            if q < ALPHA:
                hospitals[i]["flagged"] = True
                hospitals[i]["flags"].append(metric)
    hospitals.sort(key=lambda e: (not e["flagged"], e["name"]))
    totals = []
    for payer in PAYER_GROUPS:
        a = sum(pooled_acc(h, payer)[0] for h in per.values())
        n = sum(pooled_acc(h, payer)[1] for h in per.values())
        totals.append(
            {
                "payer": payer,
                "label": str(Referral.Payer(payer).label),
                "offers": n,
                "accepted": a,
                "rate": round(a / n, 3) if n else None,
            }
        )
    return {
        "days": days,
        "alpha": ALPHA,
        "tests": len(tests),
        "hospitals": hospitals,
        "totals": totals,
    }


def detail_events(referral: Referral) -> QuerySet:
    return referral.events.select_related("facility").order_by("at", "id")


def naive_inbox(facility: Facility, limit: int = 50) -> list[dict]:
    """Baseline for the benchmark: model instances, related rows fetched one by one."""
    out = []
    now = timezone.now()
    for r in Referral.objects.filter(receiver=facility, status__in=("sent", "escalated")).order_by(
        "answer_due_at"
    )[:limit]:
        out.append(
            {
                "id": str(r.public_id),
                "number": r.number,
                "sender": r.sender_label,
                "receiver": r.receiver.name,
                "service": r.service.name if r.service else None,
                "nik": mask_nik(r.patient_nik),
                "seconds_left": int((r.answer_due_at - now).total_seconds()),
            }
        )
    return out


def naive_recommend(
    *, lat: float, lon: float, service: str, bed_class: str, limit: int = 10
) -> list[dict]:
    """Baseline for the benchmark: query per hospital for beds and the answer history."""
    out = []
    since = timezone.now() - timedelta(days=STATS_DAYS)
    est = get_estimator()
    for f in Facility.objects.filter(kind_id=Kind.HOSPITAL, is_active=True):
        if service and not f.services.filter(code=service).exists():
            continue
        free = bed_services.free_beds(f, bed_class)
        answers = ReferralAnswer.objects.filter(facility=f, answered_at__gte=since)
        n = answers.count()
        acc = answers.filter(outcome="accepted").count()
        ans = answers.exclude(outcome="timeout").aggregate(s=Sum("seconds"), c=Count("pk"))
        rate = (acc + PRIOR_RATE * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)
        minutes = float(est.minutes(lat, lon, f.latitude, f.longitude))
        answer = ans["s"] / 60 / ans["c"] if ans["c"] else PRIOR_ANSWER_MIN
        out.append(
            {
                "facility_id": f.pk,
                "name": f.name,
                "free_beds": free,
                "score": minutes + answer + 30 * (1 - rate),
            }
        )
    out.sort(key=lambda r: (r["free_beds"] <= 0, r["score"]))
    return out[:limit]


def visible_referrals(user: User | None) -> QuerySet[Referral]:
    """The referrals `services.can_view` lets `user` see, as one query (for lists that page,
    e.g. the FHIR interface): the whole country for admins, the area of sender or receiver
    for analysts, otherwise the ones they sent and those of the facilities they operate."""
    qs = Referral.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.role == Role.ANALYST:
        area = user.area_code
        return qs.filter(
            Q(receiver__village__code__startswith=area) | Q(sender__village__code__startswith=area)
        )
    operated = facility_services.facilities_operated_by(user)
    return qs.filter(Q(created_by=user) | Q(receiver__in=operated) | Q(sender__in=operated))


# --- the health office's period report ----------------------------------------------------


def report_rows(area: str, start: datetime, end: datetime) -> dict[str, list[dict]]:
    """For the office's report over [start, end), referrals received by hospitals in `area`
    (no personal data): `sent` (referrals created), `answers` (each offer's outcome and
    seconds), `refusals` (each rejection with its note and the bed class asked for),
    `closed` (closed in the period: back-referral note given, arrival and close times).
    `from_emergency` marks a PSC 119 hand-off (it carries the incident's reference)."""
    in_area = Q(receiver__village__code__startswith=area)
    sent = list(
        Referral.objects.filter(in_area, created_at__gte=start, created_at__lt=end)
        .annotate(from_emergency=~Q(incident_ref=""))
        .values(
            "created_at",
            "urgency",
            "diagnosis_code",
            "diagnosis_name",
            "receiver_id",
            "receiver__name",
            "status",
            "from_emergency",
        )  # fmt: skip
    )
    answers = list(
        ReferralAnswer.objects.filter(
            answered_at__gte=start, answered_at__lt=end, facility__village__code__startswith=area
        ).values("facility_id", "facility__name", "outcome", "seconds", "urgency")
    )
    refusals = list(
        ReferralEvent.objects.filter(
            action="reject", at__gte=start, at__lt=end, facility__village__code__startswith=area
        )
        .annotate(from_emergency=~Q(referral__incident_ref=""))
        .values(
            "at",
            "facility_id",
            "facility__name",
            "note",
            "referral__room_class_id",
            "referral__bed_class_id",
            "from_emergency",
        )  # fmt: skip
    )
    closed = list(
        Referral.objects.filter(in_area, closed_at__gte=start, closed_at__lt=end)
        .annotate(back=~Q(back_referral_note=""))
        .values("receiver_id", "receiver__name", "arrived_at", "closed_at", "back")
    )
    return {"sent": sent, "answers": answers, "refusals": refusals, "closed": closed}
