"""The payer-fairness report: a hospital that refuses JKN PBI patients more often is flagged;
one that treats payers alike is not."""

import pytest

from sigap.referrals import selectors, services

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
    assert alfa["acceptance_method"] == "chi2"
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
