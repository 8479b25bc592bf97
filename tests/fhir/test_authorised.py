"""The personal part of /fhir/: ServiceRequest, Task, Encounter, Observation, Patient. A key's
user sees exactly what SIGAP's own APIs let that user see; anonymous is 401, another
tenant's record 404; every read of personal data is audited."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from sigap.core.models import AuditEvent
from sigap.fhir import resources as r
from sigap.referrals import selectors as referral_selectors
from sigap.referrals import services as referral_services
from sigap.referrals.models import Referral

from .conftest import CHILD_NIK, NIK_SEMARANG, ids, parse

PERSONAL_TYPES = ["ServiceRequest", "Task", "Encounter", "Observation", "Patient"]


def bundle(world, who, path, params=None):
    body = world.client(who).json(f"/fhir/{path}", params)
    parse(body)
    assert body["resourceType"] == "Bundle"
    return body


def expected_observations(measurement) -> set[str]:
    return {r.observation_id(measurement, k) for k in r.observation_kinds(measurement)}


@pytest.mark.parametrize("rtype", PERSONAL_TYPES)
def test_anonymous_gets_401_operation_outcome_and_nothing_is_audited(world, rtype):
    before = AuditEvent.objects.count()
    c = world.client()
    for path in (f"/fhir/{rtype}", f"/fhir/{rtype}/{world.referrals['smg'].public_id}"):
        response = c.get(path)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        body = json.loads(response.content)
        assert parse(body).issue[0].code == "login"
    assert AuditEvent.objects.count() == before


def test_admin_sees_everything(world):
    sr = bundle(world, "admin", "ServiceRequest")
    assert {str(world.referrals[k].public_id) for k in ("smg", "mgl")} <= set(ids(sr))
    assert sr["total"] == Referral.objects.count()
    assert ids(bundle(world, "admin", "Encounter")) == [str(world.handoffs["smg"].public_id)]
    obs = bundle(world, "admin", "Observation", {"_count": 50})
    assert set(ids(obs)) == expected_observations(
        world.measurements["smg"]
    ) | expected_observations(world.measurements["mgl"])


@pytest.mark.parametrize(
    "who, referrals, handoff, children",
    [
        ("pkm", ["smg"], False, ["smg"]),  # sender's staff; nutrition in its catchment
        ("alfa", ["smg"], False, []),  # receiver's operator; no nutrition role
        ("pkm_mgl", ["mgl"], False, ["mgl"]),
        ("mgl", ["mgl"], False, []),
        ("analyst_mgl", ["mgl"], False, ["mgl"]),
        ("psc", [], True, []),  # PSC: hand-offs of incidents in its area
        ("public", [], False, []),
    ],
)
def test_each_client_sees_its_own_scope_only(world, who, referrals, handoff, children):
    expected_refs = {str(world.referrals[k].public_id) for k in referrals}
    for rtype in ("ServiceRequest", "Task"):
        found = set(ids(bundle(world, who, rtype)))
        assert expected_refs <= found
        others = {str(world.referrals[k].public_id) for k in ("smg", "mgl")} - expected_refs
        assert not (found & others)
    encounters = ids(bundle(world, who, "Encounter"))
    assert encounters == ([str(world.handoffs["smg"].public_id)] if handoff else [])
    obs = set(ids(bundle(world, who, "Observation", {"_count": 50})))
    assert obs == set().union(*(expected_observations(world.measurements[k]) for k in children))
    patients = set(ids(bundle(world, who, "Patient", {"_count": 50})))
    for k in ("smg", "mgl"):
        assert (r.child_patient_id(world.children[k]) in patients) == (k in children)
        assert (r.referral_patient_id(world.referrals[k]) in patients) == (k in referrals)


@pytest.mark.parametrize(
    "rtype, make_id",
    [
        ("ServiceRequest", lambda w: w.referrals["smg"].public_id),
        ("Task", lambda w: w.referrals["smg"].public_id),
        ("Patient", lambda w: r.referral_patient_id(w.referrals["smg"])),
        ("Patient", lambda w: r.child_patient_id(w.children["smg"])),
        ("Observation", lambda w: r.observation_id(w.measurements["smg"], "weight")),
        ("Encounter", lambda w: w.handoffs["smg"].public_id),
    ],
)
def test_another_tenants_record_is_404_like_a_missing_one(world, rtype, make_id):
    path = f"/fhir/{rtype}/{make_id(world)}"
    for who in ("pkm_mgl", "analyst_mgl", "mgl", "public"):
        response = world.client(who).get(path)
        assert response.status_code == 404, (who, response.content)
        assert parse(json.loads(response.content)).issue[0].code == "not-found"
    assert world.client("admin").get(path).status_code == 200


def test_visible_referrals_agrees_with_can_view_for_every_user(world):
    referrals = list(Referral.objects.select_related("sender", "receiver"))
    for user in world.users.values():
        visible = set(referral_selectors.visible_referrals(user).values_list("pk", flat=True))
        for referral in referrals:
            assert (referral.pk in visible) == referral_services.can_view(user, referral), (
                user.username,
                referral.number,
            )


# --- content -----------------------------------------------------------------------------------


def test_service_request_and_task_of_a_referral(world):
    referral = world.referrals["smg"]
    c = world.client("pkm")
    sr = c.json(f"/fhir/ServiceRequest/{referral.public_id}")
    parse(sr)
    assert sr["identifier"][0] == {"system": r.SYS_REFERRAL_NUMBER, "value": referral.number}
    assert sr["status"] == "active" and sr["intent"] == "order" and sr["priority"] == "stat"
    assert sr["subject"]["reference"] == f"Patient/{r.referral_patient_id(referral)}"
    assert sr["requester"]["reference"] == f"Organization/{world.facilities['pkm'].public_id}"
    assert sr["performer"][0]["reference"] == f"Organization/{world.facilities['alfa'].public_id}"
    assert sr["reasonCode"][0]["coding"][0] == {
        "system": r.SYS_ICD10, "code": "J18.9", "display": referral.diagnosis_name,
    }  # fmt: skip
    task = c.json(f"/fhir/Task/{referral.public_id}")
    parse(task)
    assert task["status"] == "requested"
    assert task["businessStatus"]["coding"][0]["code"] == "sent"
    assert task["focus"]["reference"] == f"ServiceRequest/{referral.public_id}"
    assert task["for"]["reference"] == f"Patient/{r.referral_patient_id(referral)}"
    assert task["owner"]["reference"] == f"Organization/{world.facilities['alfa'].public_id}"

    # the hospital accepts: the Task follows SIGAP's status
    from sigap.core.services import Actor

    referral_services.answer_referral(
        Actor(user=world.users["alfa"], channel="test"), referral, accept=True, note="Siap"
    )
    task = c.json(f"/fhir/Task/{referral.public_id}")
    parse(task)
    assert task["status"] == "accepted"
    assert task["statusReason"]["text"] == "Siap"
    assert c.json("/fhir/Task", {"status": "accepted"})["total"] == 1
    assert c.json("/fhir/Task", {"status": "requested"})["total"] == 0


@pytest.mark.parametrize("status", [s for s, _ in Referral.Status.choices])
def test_every_referral_status_maps_to_a_valid_task_and_request(world, status):
    referral = Referral.objects.select_related("sender", "receiver", "service").get(
        pk=world.referrals["smg"].pk
    )
    referral.status = status
    task = r.task(referral)
    request = r.service_request(referral)
    parse(json.loads(task.json()))
    parse(json.loads(request.json()))
    assert task.status == r.TASK_STATUS[status]
    assert task.businessStatus.coding[0].code == status


@pytest.mark.parametrize(
    "params, found",
    [
        ({"identifier": "{number}"}, True),
        ({"identifier": f"{r.SYS_REFERRAL_NUMBER}|{{number}}"}, True),
        ({"identifier": "http://other|{number}"}, False),
        ({"patient": "Patient/{patient}"}, True),
        ({"subject": "{patient}"}, True),
        ({"patient": "Patient/anak-{uuid}"}, False),
        ({"performer": "Organization/{alfa}"}, True),
        ({"requester": "Organization/{alfa}"}, False),
        ({"status": "active"}, True),
        ({"status": "completed"}, False),
    ],
)
def test_service_request_search_params(world, params, found):
    referral = world.referrals["smg"]
    values = {
        "number": referral.number,
        "patient": r.referral_patient_id(referral),
        "uuid": referral.public_id,
        "alfa": world.facilities["alfa"].public_id,
    }
    query = {k: v.format(**values) for k, v in params.items()}
    body = bundle(world, "pkm", "ServiceRequest", query)
    assert (str(referral.public_id) in ids(body)) == found


def test_encounter_of_an_emergency_handoff(world):
    handoff = world.handoffs["smg"]
    c = world.client("psc")
    enc = c.json(f"/fhir/Encounter/{handoff.public_id}")
    parse(enc)
    assert enc["status"] == "planned"
    assert enc["class"]["code"] == "EMER"
    assert enc["priority"]["coding"][0]["code"] == "EM"  # triage merah
    assert enc["serviceProvider"]["reference"] == (
        f"Organization/{world.facilities['beta'].public_id}"
    )
    assert enc["identifier"][0]["value"] == handoff.incident.number
    beta = world.facilities["beta"].public_id
    assert c.json("/fhir/Encounter", {"service-provider": f"Organization/{beta}"})["total"] == 1
    assert c.json("/fhir/Encounter", {"status": "planned", "class": "EMER"})["total"] == 1
    assert c.json("/fhir/Encounter", {"status": "arrived"})["total"] == 0
    assert c.json("/fhir/Encounter", {"identifier": handoff.incident.number})["total"] == 1


def test_observations_of_a_measurement_carry_loinc_and_ucum(world):
    m = world.measurements["smg"]
    c = world.client("pkm")
    weight = c.json(f"/fhir/Observation/{r.observation_id(m, 'weight')}")
    parse(weight)
    assert weight["code"]["coding"][0]["system"] == r.SYS_LOINC
    assert weight["code"]["coding"][0]["code"] == "29463-7"
    assert weight["valueQuantity"] == {
        "value": 8.9, "unit": "kg", "system": r.SYS_UCUM, "code": "kg",
    }  # fmt: skip
    assert weight["subject"]["reference"] == f"Patient/{r.child_patient_id(world.children['smg'])}"
    length = c.json(f"/fhir/Observation/{r.observation_id(m, 'length')}")
    assert length["code"]["coding"][0]["code"] == "8306-3"  # measured lying
    assert length["valueQuantity"]["code"] == "cm"
    muac = c.json(f"/fhir/Observation/{r.observation_id(m, 'muac')}")
    assert muac["code"]["coding"][0]["code"] == "56072-2"
    m.refresh_from_db()
    assert m.haz is not None
    haz = c.json(f"/fhir/Observation/{r.observation_id(m, 'haz')}")
    parse(haz)
    assert haz["code"]["coding"][0] == {
        "system": r.CS_GROWTH_ZSCORE, "code": "haz", "display": r.ZSCORES["haz"][3],
    }  # fmt: skip
    assert haz["valueQuantity"]["code"] == "{Z-score}"
    assert haz["valueQuantity"]["value"] == round(m.haz, 2)
    assert haz["derivedFrom"] == [{"reference": f"Observation/{r.observation_id(m, 'length')}"}]
    # the Magelang child has no MUAC: no such Observation
    mgl = world.measurements["mgl"]
    response = world.client("admin").get(f"/fhir/Observation/{r.observation_id(mgl, 'muac')}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params, kinds",
    [
        ({"code": "http://loinc.org|29463-7"}, ["weight"]),
        ({"code": "8306-3"}, ["length"]),
        ({"code": "8302-2"}, []),  # measured lying, so no standing height
        ({"code": "56072-2,29463-7"}, ["weight", "muac"]),
        ({"code": f"{r.CS_GROWTH_ZSCORE}|waz"}, ["waz"]),
        ({"code": "http://loinc.org|waz"}, []),
        ({"category": "vital-signs"}, ["weight", "length", "muac"]),
        ({"category": "exam"}, ["haz", "waz", "whz"]),
        ({"patient": "Patient/{child}"}, "all"),
        ({"subject": "Patient/rujukan-{uuid}"}, []),
        ({"date": "ge{day}"}, "all"),
        ({"date": "gt{day}"}, []),
        ({"date": "{day}"}, "all"),
        ({"date": "ne{day}"}, []),
        ({"date": "le{day}", "code": "29463-7"}, ["weight"]),
    ],
)
def test_observation_search_params(world, params, kinds):
    m = world.measurements["smg"]
    m.refresh_from_db()
    values = {
        "child": r.child_patient_id(world.children["smg"]),
        "uuid": m.public_id,
        "day": m.measured_on.isoformat(),
    }
    query = {k: v.format(**values) for k, v in params.items()}
    found = set(ids(bundle(world, "pkm", "Observation", query)))
    present = r.observation_kinds(m)
    wanted = present if kinds == "all" else [k for k in kinds if k in present]
    assert found == {r.observation_id(m, k) for k in wanted}


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "ge2025", "xx2025-01-01"])
def test_bad_dates_are_400(world, value):
    response = world.client("pkm").get("/fhir/Observation", {"date": value})
    assert response.status_code == 400
    assert parse(json.loads(response.content)).issue[0].code == "invalid"


def test_observation_paging_runs_across_kinds(world):
    admin = world.client("admin")
    everything = admin.json("/fhir/Observation", {"_count": 50})
    total = everything["total"]
    seen, offset = [], 0
    while offset < total:
        page = admin.json("/fhir/Observation", {"_count": 2, "_offset": offset})
        parse(page)
        assert page["total"] == total
        seen += ids(page)
        offset += 2
    assert seen == ids(everything)


def test_patient_of_the_nutrition_register_and_of_a_referral(world):
    c = world.client("pkm")
    child = world.children["smg"]
    body = c.json(f"/fhir/Patient/{r.child_patient_id(child)}")
    patient = parse(body)
    assert body["identifier"] == [{"use": "official", "system": r.SYS_NIK, "value": CHILD_NIK}]
    assert patient.gender == "male" and patient.birthDate == child.birth_date
    referral = world.referrals["smg"]
    body = c.json(f"/fhir/Patient/{r.referral_patient_id(referral)}")
    parse(body)
    assert body["identifier"][0]["value"] == NIK_SEMARANG
    assert body["gender"] == "female" and body["name"][0]["text"] == "Siti Contoh"

    by_nik = c.json("/fhir/Patient", {"identifier": f"{r.SYS_NIK}|{NIK_SEMARANG}"})
    assert ids(by_nik) == [r.referral_patient_id(referral)]
    assert ids(c.json("/fhir/Patient", {"identifier": CHILD_NIK})) == [r.child_patient_id(child)]
    assert ids(c.json("/fhir/Patient", {"name": "budi"})) == [r.child_patient_id(child)]
    assert c.json("/fhir/Patient", {"gender": "female"})["total"] == 1
    assert c.json("/fhir/Patient", {"birthdate": child.birth_date.isoformat()})["total"] == 1
    assert c.json("/fhir/Patient", {"_id": r.child_patient_id(child)})["total"] == 1
    # the other city's NIK is not found by this client
    assert c.json("/fhir/Patient", {"identifier": "3371015501900004"})["total"] == 0
    assert world.client("pkm").get("/fhir/Patient/anak-not-a-uuid").status_code == 404
    assert world.client("pkm").get("/fhir/Patient/someone-else").status_code == 404


def test_reads_and_searches_of_personal_data_are_audited(world):
    c = world.client("pkm")
    child = world.children["smg"]
    before = AuditEvent.objects.count()
    c.json(f"/fhir/Patient/{r.child_patient_id(child)}")
    read = AuditEvent.objects.filter(action="child.read").latest("at")
    assert read.actor == world.users["pkm"] and read.object_id == str(child.public_id)
    assert read.channel == "api"
    c.json("/fhir/Patient")
    lists = {e.action: e for e in AuditEvent.objects.filter(pk__gt=read.pk)}
    assert set(lists) == {"child.list", "referral.list"}
    assert lists["child.list"].after["ids"] == [str(child.public_id)]
    assert lists["child.list"].after["fhir"] == "Patient"
    assert CHILD_NIK not in json.dumps(lists["child.list"].after)
    assert AuditEvent.objects.count() == before + 3
    # an empty answer reads nobody: no audit record
    count = AuditEvent.objects.count()
    world.client("public").json("/fhir/Patient")
    c.json("/fhir/Observation", {"code": "8302-2"})
    assert AuditEvent.objects.count() == count
    # a refused read is not a read
    world.client("pkm_mgl").get(f"/fhir/Patient/{r.child_patient_id(child)}")
    assert AuditEvent.objects.count() == count


def test_public_types_are_not_audited(world):
    count = AuditEvent.objects.count()
    world.client("admin").json("/fhir/Organization")
    world.client().json("/fhir/Location")
    assert AuditEvent.objects.count() == count


def test_session_login_works_like_a_key(world):
    from django.test import Client

    client = Client()
    client.force_login(world.users["pkm"])
    response = client.get("/fhir/ServiceRequest")
    assert response.status_code == 200
    assert str(world.referrals["smg"].public_id) in ids(json.loads(response.content))


def test_date_prefix_edges(world):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = bundle(world, "pkm", "Observation", {"date": f"lt{yesterday}"})
    assert body["total"] == len(r.observation_kinds(world.measurements["smg"]))
