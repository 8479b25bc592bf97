"""Fixtures for the FHIR interface: two cities (Kota Semarang, Kota Magelang), their
hospitals with rooms, Puskesmas and posyandu, a referral, an emergency hand-off and a
measured child in each, and an API key for every kind of client."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sigap.beds import selectors as bed_selectors
from sigap.beds import services as bed_services
from sigap.core.models import ApiKey
from sigap.core.services import Actor
from sigap.emergency import selectors as emergency_selectors
from sigap.emergency import services as emergency_services
from sigap.nutrition import services as nutrition_services
from sigap.referrals import selectors as referral_selectors
from sigap.referrals import services as referral_services

NIK_SEMARANG = "3374014501900003"
NIK_MAGELANG = "3371015501900004"
CHILD_NIK = "3374011001240001"

REGIONS = [
    ("33", 1, None, "Jawa Tengah", None),
    ("3374", 2, "33", "Kota Semarang", None),
    ("3371", 2, "33", "Kota Magelang", None),
    ("337401", 3, "3374", "Semarang Tengah", None),
    ("337402", 3, "3374", "Semarang Utara", None),
    ("337101", 3, "3371", "Magelang Selatan", None),
    ("3374011001", 4, "337401", "Miroto", (-6.980, 110.412)),
    ("3374011002", 4, "337401", "Brumbungan", (-6.982, 110.420)),
    ("3374021001", 4, "337402", "Bandarharjo", (-6.958, 110.421)),
    ("3371011001", 4, "337101", "Jurangombo", (-7.497, 110.218)),
]


@dataclass
class World:
    facilities: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    rooms: dict = field(default_factory=dict)
    referrals: dict = field(default_factory=dict)
    handoffs: dict = field(default_factory=dict)
    children: dict = field(default_factory=dict)
    measurements: dict = field(default_factory=dict)

    def client(self, who: str | None = None, **headers) -> FhirClient:
        if who is not None:
            headers.setdefault("Authorization", f"Bearer {self.keys[who]}")
        return FhirClient(headers)


class FhirClient:
    """Django's test client with a client's headers on every call."""

    def __init__(self, headers: dict[str, str]):
        self.client = Client()
        self.headers = headers

    def get(self, path: str, data: dict | list | None = None, **headers):
        return self.client.get(path, data, headers={**self.headers, **headers})

    def json(self, path: str, data: dict | list | None = None, status: int = 200, **headers):
        response = self.get(path, data, **headers)
        assert response.status_code == status, response.content
        return json.loads(response.content)


def _facility(name, kind, village, **kw):
    from sigap.facilities.models import Facility

    return Facility.objects.create(
        name=name,
        kind_id=kind,
        ownership=kw.pop("ownership", "public"),
        village_id=village,
        latitude=kw.pop("lat", -6.98),
        longitude=kw.pop("lon", 110.41),
        is_synthetic=True,
        **kw,
    )


def _room(facility, code, cls, capacity, free):
    bed_services.upsert_room(
        Actor.system("test"),
        facility,
        bed_services.RoomInput(
            bed_class=cls, code=code, name=f"Ruang {code}", capacity=capacity, free=free
        ),
        source="api",
    )
    return facility.rooms.get(code=code, bed_class_id=cls)


def _referral(sender_user, sender, receiver, nik, name):
    data = referral_services.ReferralInput(
        sender=str(sender.public_id),
        receiver=str(receiver.public_id),
        kind=2,
        urgency="emergency",
        payer="jkn_pbi",
        patient_name=name,
        patient_nik=nik,
        patient_sex="P",
        patient_birth_date="1990-01-05",
        patient_contact="081234567890",
        patient_address="Jl. Contoh 1",
        diagnosis="J18.9",
        reason="SP",
        service="icu",
        bed_class="ICU",
    )
    return referral_services.send_referral(Actor(user=sender_user, channel="test"), data)


@pytest.fixture
def world(db, make_user) -> World:
    from sigap.facilities.models import FacilityOperator
    from sigap.regions.models import Region

    if not importlib.import_module("sigap.referrals.models").ReferralReason.objects.exists():
        from django.apps import apps

        importlib.import_module("sigap.referrals.migrations.0002_reference_data").load(apps, None)
    for code, level, parent, name, point in REGIONS:
        lat, lon = point or (None, None)
        Region.objects.create(
            code=code, level=level, parent_id=parent, name=name, latitude=lat, longitude=lon
        )
    emergency_services.villages.reset()
    emergency_selectors.reset_unit_index()
    bed_selectors.reset_snapshot()
    referral_selectors.reset_caches()

    w = World()
    f = w.facilities
    f["alfa"] = _facility(
        "RS Alfa", "rs", "3374011001", ownership="private", hospital_class="C",
        kemenkes_code="3374015", bpjs_kodeppk="3374R001", phone="024-111",
    )  # fmt: skip
    f["beta"] = _facility("RS Beta", "rs", "3374021001", bpjs_kodeppk="3374R002")
    f["mgl"] = _facility(
        "RS Magelang", "rs", "3371011001", bpjs_kodeppk="3371R001", lat=-7.497, lon=110.218
    )
    f["closed"] = _facility("RS Tutup", "rs", "3374011001", is_active=False)
    f["pkm"] = _facility("Puskesmas Miroto", "puskesmas", "3374011001", kemenkes_code="P3374011")
    f["pkm"].catchment.set(["3374011001", "3374011002"])
    f["pustu"] = _facility("Pustu Brumbungan", "pustu", "3374011002", parent=f["pkm"])
    f["pos"] = _facility("Posyandu Melati", "posyandu", "3374011001")
    f["pkm_mgl"] = _facility(
        "Puskesmas Jurangombo", "puskesmas", "3371011001", lat=-7.497, lon=110.218
    )
    f["pkm_mgl"].catchment.set(["3371011001"])
    f["pos_mgl"] = _facility("Posyandu Mawar", "posyandu", "3371011001")
    for h in ("alfa", "beta", "mgl"):
        f[h].services.add("igd", "icu", "rawat_inap")

    w.rooms["alfa_icu"] = _room(f["alfa"], "ICU1", "ICU", 6, 2)
    w.rooms["alfa_kl3"] = _room(f["alfa"], "K3", "KL3", 20, 0)
    w.rooms["beta_vip"] = _room(f["beta"], "V1", "VIP", 4, 4)
    w.rooms["mgl_icu"] = _room(f["mgl"], "ICU1", "ICU", 4, 1)
    w.rooms["closed"] = _room(f["closed"], "K1", "KL1", 5, 5)

    u = w.users
    u["pkm"] = make_user("bidan-miroto", "puskesmas_staff", area_code="3374")
    u["pkm_mgl"] = make_user("bidan-mgl", "puskesmas_staff", area_code="3371")
    u["alfa"] = make_user("op-alfa", "hospital_operator", area_code="3374")
    u["mgl"] = make_user("op-mgl", "hospital_operator", area_code="3371")
    u["analyst"] = make_user("analis", "analyst", area_code="3374")
    u["analyst_mgl"] = make_user("analis-mgl", "analyst", area_code="3371")
    u["dispatcher"] = make_user("disp", "dispatcher", area_code="3374")
    u["psc"] = make_user("psc", "psc_call_taker", area_code="3374")
    u["admin"] = make_user("admin-dinkes", "admin")
    u["public"] = make_user("warga", "public")
    for user, facility in [
        ("pkm", "pkm"), ("pkm", "pos"), ("pkm_mgl", "pkm_mgl"), ("alfa", "alfa"), ("mgl", "mgl"),
    ]:  # fmt: skip
        FacilityOperator.objects.create(user=u[user], facility=f[facility])
    for name, user in u.items():
        _, w.keys[name] = ApiKey.generate(user, f"fhir-{name}")

    w.referrals["smg"] = _referral(u["pkm"], f["pkm"], f["alfa"], NIK_SEMARANG, "Siti Contoh")
    w.referrals["mgl"] = _referral(
        u["pkm_mgl"], f["pkm_mgl"], f["mgl"], NIK_MAGELANG, "Ani Magelang"
    )

    incident = emergency_services.create_incident(
        Actor(user=u["psc"], channel="test"),
        emergency_services.IncidentInput(
            latitude=-6.981, longitude=110.413, caller_phone="081234567890",
            category="medical", triage="merah",
        ),
    )  # fmt: skip
    w.handoffs["smg"] = emergency_services.create_handoff(
        Actor(user=u["dispatcher"], channel="test"),
        incident,
        f["beta"],
        summary="Laki-laki 60 th, nyeri dada",
    )

    staff = Actor(user=u["pkm"], channel="test")
    today = timezone.localdate()
    child = nutrition_services.register_child(
        staff,
        nutrition_services.ChildInput(
            name="Budi Anak", sex="L", birth_date=today - timedelta(days=400),
            kelurahan_code="3374011001", nik=CHILD_NIK, posyandu=f["pos"],
        ),
    )  # fmt: skip
    w.children["smg"] = child
    w.measurements["smg"] = nutrition_services.record_measurement(
        staff,
        child,
        nutrition_services.MeasurementInput(
            measured_on=today - timedelta(days=5), weight_kg=8.9, length_cm=74.0,
            position="L", muac_cm=14.1,
        ),
    )  # fmt: skip
    child_mgl = nutrition_services.register_child(
        Actor(user=u["pkm_mgl"], channel="test"),
        nutrition_services.ChildInput(
            name="Citra Anak", sex="P", birth_date=date(2023, 3, 1),
            kelurahan_code="3371011001", posyandu=f["pos_mgl"],
        ),
    )  # fmt: skip
    w.children["mgl"] = child_mgl
    w.measurements["mgl"] = nutrition_services.record_measurement(
        Actor(user=u["pkm_mgl"], channel="test"),
        child_mgl,
        nutrition_services.MeasurementInput(
            measured_on=today - timedelta(days=3), weight_kg=10.5, length_cm=None
        ),
    )
    yield w
    emergency_services.villages.reset()
    emergency_selectors.reset_unit_index()
    bed_selectors.reset_snapshot()
    referral_selectors.reset_caches()


def parse(body: dict):
    """The answer parsed back with the fhir.resources R4B model of its resourceType (and
    every Bundle entry with its own): a body that does not validate fails the test here."""
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", []):
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def links(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}
