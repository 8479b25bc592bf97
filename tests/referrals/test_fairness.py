"""The payer-fairness report: a hospital that refuses JKN PBI patients more often is flagged;
one that treats payers alike is not, even when its payer mix differs between emergency and
elective referrals (the tests compare payers within an urgency stratum)."""

import contextlib
import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from sigap.core.errors import SigapError
from sigap.core.services import Actor
from sigap.referrals import demo, selectors, services
from sigap.referrals.models import Referral

from .conftest import as_, referral_input

pytestmark = pytest.mark.django_db


def offer(net, hospital, operator, payer: str, accept: bool) -> None:
    r = services.send_referral(
        as_(net.people["pkm"]),
        referral_input(
            net,
            receiver=str(hospital.public_id),
            payer=payer,
            urgency="elective",
            kind=1,
            bed_class="",
            service="",
        ),
    )
    services.answer_referral(
        as_(net.people[operator]), r, accept=accept, note="" if accept else "penuh"
    )


def test_unfair_hospital_is_flagged_and_fair_one_is_not(network):
    net = network
    for i in range(20):
        offer(net, net.alfa, "alfa", "jkn_pbi", accept=i < 4)  # 20 %
        offer(net, net.alfa, "alfa", "general", accept=i < 19)  # 95 %
        offer(net, net.gamma, "gamma", "jkn_pbi", accept=i < 17)
        offer(net, net.gamma, "gamma", "general", accept=i < 18)
    report = selectors.fairness_report("3374")
    by_name = {h["name"]: h for h in report["hospitals"]}
    alfa, gamma = by_name["RS Alfa"], by_name["RS Gamma"]
    assert alfa["flagged"] and "acceptance" in alfa["flags"]
    assert alfa["acceptance_method"] == "cmh"
    assert not gamma["flagged"]
    pbi = next(g for g in alfa["groups"] if g["payer"] == "jkn_pbi")
    assert (pbi["offers"], pbi["accepted"], pbi["rate"]) == (20, 4, 0.2)
    # adjusted p-values are never smaller than the raw ones
    assert alfa["p_adj"]["acceptance"] >= alfa["p"]["acceptance"]
    assert report["tests"] >= 2


def test_small_groups_use_fisher_and_nothing_is_flagged_on_noise(network):
    net = network
    for payer, accept in [
        ("jkn_pbi", True),
        ("jkn_pbi", False),
        ("general", True),
        ("private", True),
        ("jkn_non_pbi", False),
    ]:
        offer(net, net.alfa, "alfa", payer, accept)
    alfa = selectors.fairness_report("3374")["hospitals"][0]
    assert alfa["acceptance_method"] == "fisher" and not alfa["flagged"]


def offer_at(net, hospital, operator, payer, urgency, accept, at, minutes) -> None:
    """One referral sent at `at` and answered `minutes` later."""
    r = services.send_referral(
        as_(net.people["pkm"]),
        referral_input(
            net, receiver=str(hospital.public_id), payer=payer, urgency=urgency,
            kind=2 if urgency == "emergency" else 1, bed_class="", service="",
        ),
        now=at,
    )  # fmt: skip
    services.answer_referral(
        as_(net.people[operator]), r, accept=accept, note="" if accept else "penuh",
        now=at + timedelta(minutes=minutes),
    )  # fmt: skip


def mix(net, hospital, operator, rates, counts) -> None:
    """`counts[(urgency, payer)]` offers; the share `rates[(urgency, payer)]` accepted;
    emergencies answered in 2-9 minutes, elective referrals in 2-5 hours, whatever the payer."""
    base = timezone.now() - timedelta(days=10)
    i = 0
    for (urgency, payer), n in counts.items():
        accepted = round(n * rates[(urgency, payer)])
        for j in range(n):
            minutes = 2 + j % 8 if urgency == "emergency" else 120 + (j * 37) % 180
            at = base + timedelta(minutes=17 * i)
            offer_at(net, hospital, operator, payer, urgency, j < accepted, at, minutes)
            i += 1


def test_a_fair_hospital_with_a_different_payer_mix_per_urgency_is_not_flagged(network):
    """Simpson's paradox: within each stratum every payer is treated alike, but JKN PBI
    patients come mostly as elective referrals (accepted 40 % of the time, answered in
    hours) and general patients mostly as emergencies (accepted 95 %, answered in minutes).
    Pooled, PBI looks refused far more often and answered much slower; stratified, nothing."""
    net = network
    rates = {("emergency", p): 0.95 for p in ("jkn_pbi", "general")}
    rates |= {("elective", p): 0.4 for p in ("jkn_pbi", "general")}
    counts = {
        ("emergency", "jkn_pbi"): 10,
        ("elective", "jkn_pbi"): 40,
        ("emergency", "general"): 40,
        ("elective", "general"): 10,
    }
    mix(net, net.beta, "beta", rates, counts)
    beta = {h["name"]: h for h in selectors.fairness_report("3374")["hospitals"]}["RS Beta"]
    pbi = next(g for g in beta["groups"] if g["payer"] == "jkn_pbi")
    general = next(g for g in beta["groups"] if g["payer"] == "general")
    # the pooled rates differ a lot ...
    assert pbi["rate"] < 0.6 and general["rate"] > 0.8
    assert pbi["answer_median"] > 10 * general["answer_median"]
    # ... a test on the pooled table would flag it ...
    from scipy import stats

    pooled = [[pbi["accepted"], pbi["offers"] - pbi["accepted"]],
              [general["accepted"], general["offers"] - general["accepted"]]]  # fmt: skip
    assert stats.chi2_contingency(pooled, correction=False).pvalue < 0.001
    # ... the stratified tests do not
    assert beta["acceptance_method"] == "cmh"
    assert beta["p"]["acceptance"] > 0.5 and beta["p"]["answer"] > 0.05
    assert not beta["flagged"], beta
    assert pbi["by_urgency"]["elective"] == {"offers": 40, "rate": 0.4}


def test_a_hospital_unfair_within_strata_is_flagged(network):
    net = network
    rates = {("emergency", "jkn_pbi"): 0.4, ("emergency", "general"): 0.95,
             ("elective", "jkn_pbi"): 0.3, ("elective", "general"): 0.9}  # fmt: skip
    counts = dict.fromkeys(rates, 20)
    mix(net, net.beta, "beta", rates, counts)
    beta = {h["name"]: h for h in selectors.fairness_report("3374")["hospitals"]}["RS Beta"]
    assert beta["flagged"] and "acceptance" in beta["flags"], beta
    assert beta["acceptance_method"] == "cmh" and beta["p"]["acceptance"] < 0.001


def test_unequal_answer_times_within_a_stratum_are_flagged(network):
    """Same acceptance, but elective PBI referrals wait hours for an answer that others get
    in minutes."""
    net = network
    base = timezone.now() - timedelta(days=5)
    for j in range(12):
        for payer, minutes in (("jkn_pbi", 300 + j), ("general", 10 + j)):
            at = base + timedelta(minutes=40 * (2 * j + (payer == "general")))
            offer_at(net, net.gamma, "gamma", payer, "elective", True, at, minutes)
    gamma = {h["name"]: h for h in selectors.fairness_report("3374")["hospitals"]}["RS Gamma"]
    assert gamma["flagged"] and "answer" in gamma["flags"], gamma


def test_the_demo_history_still_flags_its_biased_hospital(network):
    """The demo's own generator (60 days of referrals, one hospital accepting JKN PBI
    patients at 30 % instead of 86 %) on the test hospitals, RS Alfa as the biased one."""
    net = network
    rng = random.Random(3374)
    actor = Actor.system("demo")
    now = timezone.now()
    start = now - timedelta(days=30)
    for i in range(260):
        at = start + timedelta(minutes=150 * i)
        # as the demo does: a step the services refuse (e.g. no bed) drops that referral
        with contextlib.suppress(SigapError), transaction.atomic():
            demo._history_one(rng, actor, net.pkm, at, net.alfa.pk, now)
    assert Referral.objects.filter(urgency="emergency").exists()
    assert Referral.objects.filter(urgency="elective").exists()
    report = selectors.fairness_report("3374")
    by_name = {h["name"]: h for h in report["hospitals"]}
    alfa = by_name["RS Alfa"]
    assert alfa["flagged"] and "acceptance" in alfa["flags"], alfa
    assert not any(h["flagged"] for name, h in by_name.items() if name != "RS Alfa")
