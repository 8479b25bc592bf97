"""Fixtures for referral tests: hospitals with services and beds, a Puskesmas, and people."""

import importlib

import pytest

from sigap.beds import selectors as bed_selectors
from sigap.beds import services as bed_services
from sigap.core.services import Actor
from sigap.referrals import selectors
from sigap.referrals.models import ReferralReason
from sigap.referrals.services import ReferralInput
from tests.beds.conftest import make_hospital, operator_of, semarang  # noqa: F401 - fixtures

PASSWORD = "rahasia-uji-123"
NIK = "3374014501900003"  # woman born 5 Jan 1990, registered in Semarang Tengah


@pytest.fixture(autouse=True)
def referral_reference_data(request, reference_data):
    """Referral reasons come from a data migration; a transactional flush removes them."""
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") or names & {
        "db",
        "transactional_db",
        "live_server",
    }:
        from django.apps import apps

        if not ReferralReason.objects.exists():
            importlib.import_module("sigap.referrals.migrations.0002_reference_data").load(
                apps, None
            )
    selectors.reset_caches()
    yield
    selectors.reset_caches()


@pytest.fixture
def public_dns(monkeypatch):
    """Webhook hosts `*.example` resolve to a public address (the SSRF check of
    sigap.core.webhooks resolves names; tests must not depend on real DNS). Names put in the
    returned table resolve to their addresses instead."""
    from sigap.core import webhooks

    table: dict[str, list[str]] = {}
    real = webhooks.resolve

    def resolve(host, port):
        if host in table:
            return list(table[host])
        if host.endswith(".example"):
            return ["93.184.215.14"]
        return real(host, port)

    monkeypatch.setattr(webhooks, "resolve", resolve)
    return table


def room(code, cls, cap, free):
    return bed_services.RoomInput(
        bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap, free=free
    )


@pytest.fixture
def network(make_hospital, make_user):  # noqa: F811 - the imported fixture
    """RS Alfa (near, ICU 2 free, KL3 3 free), RS Beta (far, ICU 0 free, KL3 25 free),
    RS Gamma (ICU 1 free, no obstetri) and Puskesmas Miroto, with one person each."""
    from sigap.facilities.models import Facility, FacilityOperator

    actor = Actor.system("test")
    alfa = make_hospital(
        "RS Alfa", village="3374011001", lat=-6.981, lon=110.412, emergency_phone="024-111"
    )
    beta = make_hospital("RS Beta", village="3374101001", lat=-7.090, lon=110.415)
    gamma = make_hospital("RS Gamma", village="3374021001", lat=-6.958, lon=110.421)
    for h in (alfa, beta, gamma):
        h.services.add("igd", "icu", "rawat_inap")
    alfa.services.add("obstetri")
    beta.services.add("obstetri")
    bed_services.upsert_room(actor, alfa, room("ICU1", "ICU", 6, 2), source="api")
    bed_services.upsert_room(actor, alfa, room("K3", "KL3", 20, 3), source="api")
    bed_services.upsert_room(actor, alfa, room("K1", "KL1", 10, 2), source="api")
    bed_services.upsert_room(actor, beta, room("ICU1", "ICU", 4, 0), source="api")
    bed_services.upsert_room(actor, beta, room("K3", "KL3", 30, 25), source="api")
    bed_services.upsert_room(actor, gamma, room("ICU1", "ICU", 4, 1), source="api")
    pkm = Facility.objects.create(
        name="Puskesmas Miroto",
        kind_id="puskesmas",
        ownership="public",
        village_id="3374011001",
        latitude=-6.979,
        longitude=110.411,
        is_synthetic=True,
    )
    people = {
        "pkm": make_user("pkm", "puskesmas_staff", area_code="3374"),
        "alfa": make_user("op-alfa", "hospital_operator", area_code="3374"),
        "beta": make_user("op-beta", "hospital_operator", area_code="3374"),
        "gamma": make_user("op-gamma", "hospital_operator", area_code="3374"),
        "dinkes": make_user("dinkes", "analyst", area_code="3374"),
        "crew": make_user("crew", "ambulance_crew", area_code="3374"),
        "public": make_user("warga", "public"),
    }
    FacilityOperator.objects.create(user=people["pkm"], facility=pkm)
    FacilityOperator.objects.create(user=people["alfa"], facility=alfa)
    FacilityOperator.objects.create(user=people["beta"], facility=beta)
    FacilityOperator.objects.create(user=people["gamma"], facility=gamma)
    bed_selectors.reset_snapshot()
    selectors.reset_caches()

    class Net:
        pass

    net = Net()
    net.alfa, net.beta, net.gamma, net.pkm, net.people = alfa, beta, gamma, pkm, people
    return net


def as_(user, channel="web"):
    return Actor(user=user, channel=channel)


def referral_input(net, **kw) -> ReferralInput:
    values = dict(
        sender=str(net.pkm.public_id),
        receiver=str(net.alfa.public_id),
        kind=2,
        urgency="emergency",
        payer="jkn_pbi",
        patient_name="Siti Contoh",
        patient_nik=NIK,
        patient_jkn="0001234567890",
        patient_contact="081234567890",
        patient_address="Jl. Contoh 1, Miroto",
        diagnosis="J18.9",
        reason="SP",
        anamnesis="Sesak napas 2 hari",
        consciousness=1,
        blood_pressure="130/85",
        pulse=110,
        temperature="38.6",
        respiration=28,
        pain=2,
        allergies="-",
        lab_results="Leukosit 15.000",
        service="icu",
        bed_class="ICU",
        doctor_name="dr. Contoh",
    )
    values.update(kw)
    return ReferralInput(**values)
