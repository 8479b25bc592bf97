"""The demo builder (idempotent) and the simulator driving the real services."""

import pytest

from sigap.emergency import demo, simulate
from sigap.emergency.models import Agency, Assignment, Handoff, Incident, Unit
from sigap.regions.models import Region

pytestmark = pytest.mark.django_db


def test_demo_builds_units_agencies_incidents_once(area, make_hospital):
    make_hospital("RS Demo", services_=("igd", "icu", "ambulans"), rooms=[("I", "ICU", 5, 3)])
    Unit.objects.all().delete()
    region = Region.objects.get(code="3374")
    lines = demo.build(region, log=lambda m: None)
    assert "demo-crew" in lines[0]
    # one per kelurahan with coordinates (3 in 3374) + PMI post (the test hospital is not synthetic)
    assert Unit.objects.filter(code__startswith="AMB-").count() == 3
    assert Unit.objects.get(code="AMB-3374011001").crew.filter(username="demo-crew").exists()
    assert Agency.objects.filter(area_code="3374").count() == 5
    assert Incident.objects.filter(notes__startswith=demo.DEMO_MARK).count() == 4
    n_units, n_inc = Unit.objects.count(), Incident.objects.count()
    demo.build(region, log=lambda m: None)
    assert (Unit.objects.count(), Incident.objects.count()) == (n_units, n_inc)


def test_simulated_shift_runs_clean(area, make_hospital, make_unit, users):
    make_hospital(
        "RS Sim",
        services_=("igd", "icu", "trauma", "bedah"),
        rooms=[("I", "ICU", 6, 4), ("K", "KL3", 20, 10)],
    )
    make_hospital(
        "RS Sim Dua",
        lat=-7.0,
        lon=110.42,
        services_=("igd", "icu", "trauma", "bedah"),
        rooms=[("I", "ICU", 6, 4), ("K", "KL3", 20, 10)],
    )
    for v in ("3374011001", "3374021001", "3374101001"):
        make_unit(village=v)
        make_unit(village=v, kind="transport")
    log: list[str] = []
    summary = simulate.run(
        {"calls": 12, "seed": 5, "speed": 0, "area": "3374", "interval": 8, "repeat_share": 0.1},
        log.append,
    )
    assert summary["errors"] == 0, log
    assert summary["calls"] == 12 and summary["dispatched"] >= 1
    assert summary["median_response_min"] is not None
    assert not Assignment.objects.filter(status="active").exists()  # every unit came back
    assert set(Unit.objects.values_list("status", flat=True)) == {"available"}
    # patients reached hospitals through their referrals, the two state machines in step
    assert summary["handoffs"] >= 1 and summary["arrived_by_referral"] >= 1
    in_step = {"arrived": "arrived", "rejected": "cancelled", "acknowledged": "accepted"}
    for h in Handoff.objects.select_related("referral"):
        assert h.referral is not None
        assert h.referral.status == in_step.get(h.status, h.referral.status), h
    assert summary["referrals_accepted"] + summary["referrals_refused"] >= summary["handoffs"] - 1


def test_simulator_refuses_an_empty_area(area):
    with pytest.raises(ValueError):
        simulate.run({"calls": 3, "area": "3374"}, log=lambda m: None)


def test_simulator_plays_the_partner_agencies_through_the_signed_api(
    area, make_hospital, users, monkeypatch
):
    """Demo agencies with a dispatch system get a webhook on a loopback port; the simulator
    listens there, checks the signature and acknowledges through the signed partner API."""
    import socket

    from sigap.core.models import WebhookDelivery
    from sigap.emergency.models import IncidentAgency

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SIGAP_DEMO_PARTNER_PORT", str(port))
    make_hospital("RS Demo", services_=("igd", "icu", "trauma"), rooms=[("I", "ICU", 5, 3)])
    Unit.objects.all().delete()
    demo.build(Region.objects.get(code="3374"), log=lambda m: None)
    partners = Agency.objects.filter(area_code="3374", webhook__isnull=False)
    assert sorted(partners.values_list("kind", flat=True)) == ["bpbd", "fire", "pmi", "police"]
    assert all(f":{port}/mitra/" in a.webhook.url for a in partners)
    assert Agency.objects.get(area_code="3374", kind="psc119").webhook is None
    fire = IncidentAgency.objects.get(agency__kind="fire")  # the demo's fire incident
    assert fire.status == "sent"
    log: list[str] = []
    summary = simulate.run(
        {"calls": 15, "seed": 3, "speed": 0, "area": "3374", "interval": 6}, log.append
    )
    assert summary["errors"] == 0, log
    assert summary["agency_handovers_received"] >= 2 and summary["agency_answers"] >= 2
    fire.refresh_from_db()
    assert fire.status == "acknowledged" and fire.partner_status == "di lokasi"
    sent = IncidentAgency.objects.exclude(status="no_channel")
    assert sent.count() == summary["agency_handovers_received"]
    assert set(sent.values_list("status", flat=True)) == {"acknowledged"}
    assert WebhookDelivery.objects.filter(status="delivered").count() == sent.count()
