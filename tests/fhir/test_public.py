"""The public part of /fhir/: metadata, Organization, Location, HealthcareService; search
parameters, paging, errors and content negotiation. Every answer is parsed back with the
fhir.resources R4B models (`parse`)."""

import json

import pytest

from sigap.fhir import resources as r

from .conftest import CHILD_NIK, NIK_MAGELANG, NIK_SEMARANG, ids, links, parse

PERSONAL = [NIK_SEMARANG, NIK_MAGELANG, CHILD_NIK, "Siti Contoh", "Ani Magelang", "Budi Anak"]
PUBLIC_TYPES = ["Organization", "Location", "HealthcareService"]


def search(world, path, params=None, status=200, **headers):
    body = world.client().json(path, params, status=status, **headers)
    parse(body)
    return body


def outcome(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    parse(body)
    assert body["issue"][0]["diagnostics"]
    return body["issue"][0]


# --- metadata ------------------------------------------------------------------------------


def test_metadata_is_a_capability_statement_of_every_served_type(world):
    response = world.client().get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = json.loads(response.content)
    statement = parse(body)
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    served = {res.type: res for res in statement.rest[0].resource}
    assert set(served) == {
        "Organization", "Location", "HealthcareService", "ServiceRequest", "Task",
        "Encounter", "Observation", "Patient",
    }  # fmt: skip
    for res in served.values():
        assert {i.code for i in res.interaction} == {"read", "search-type"}
        assert {"_id", "_count", "_offset"} <= {p.name for p in res.searchParam}
    org_params = {p.name for p in served["Organization"].searchParam}
    assert {"identifier", "name", "type", "partof", "address-city"} <= org_params


# --- Organization --------------------------------------------------------------------------


def test_organization_search_lists_active_facilities_with_kemenkes_and_bpjs_codes(world):
    body = search(world, "/fhir/Organization", {"_count": 50})
    f = world.facilities
    active = {str(f[k].public_id) for k in f if k != "closed"}
    assert set(ids(body)) == active and body["total"] == len(active)
    alfa = next(e["resource"] for e in body["entry"] if e["resource"]["name"] == "RS Alfa")
    assert {(i["system"], i["value"]) for i in alfa["identifier"]} == {
        (r.SYS_KEMENKES_CODE, "3374015"),
        (r.SYS_BPJS_KODEPPK, "3374R001"),
    }
    admin_code = alfa["address"][0]["extension"][0]
    assert admin_code["url"] == r.EXT_ADMINISTRATIVE_CODE
    assert {e["url"]: e["valueCode"] for e in admin_code["extension"]} == {
        "province": "33", "city": "3374", "district": "337401", "village": "3374011001",
    }  # fmt: skip
    assert alfa["address"][0]["city"] == "Kota Semarang"
    entry = body["entry"][0]
    assert entry["fullUrl"] == f"http://testserver/fhir/Organization/{entry['resource']['id']}"
    assert entry["search"]["mode"] == "match"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"identifier": f"{r.SYS_BPJS_KODEPPK}|3374R001"}, ["alfa"]),
        ({"identifier": "3374015"}, ["alfa"]),
        ({"identifier": "P3374011"}, ["pkm"]),
        ({"identifier": f"{r.SYS_KEMENKES_CODE}|3374R001"}, []),  # right value, wrong system
        ({"name": "rs a"}, ["alfa"]),
        ({"name:exact": "RS Alfa"}, ["alfa"]),
        ({"name:exact": "rs alfa"}, []),
        ({"name:contains": "agel"}, ["mgl"]),
        ({"type": "rs"}, ["alfa", "beta", "mgl"]),
        ({"type": f"{r.CS_FACILITY_KIND}|puskesmas"}, ["pkm", "pkm_mgl"]),
        ({"type": "102"}, ["pkm", "pkm_mgl"]),  # SATUSEHAT jenis_sarana
        ({"type": "rs,posyandu"}, ["alfa", "beta", "mgl", "pos", "pos_mgl"]),
        ({"type": "unknown"}, []),
        ({"address-city": "Kota Magelang"}, ["mgl", "pkm_mgl", "pos_mgl"]),
        ({"address-city": "kota mag"}, ["mgl", "pkm_mgl", "pos_mgl"]),
        ({"address-city": "3371"}, ["mgl", "pkm_mgl", "pos_mgl"]),
        ({"address-city": "3374011002"}, ["pustu"]),
        ({"address-city": "99"}, []),
        ({"active": "true", "type": "rs"}, ["alfa", "beta", "mgl"]),
        ({"active": "false"}, []),
    ],
)
def test_organization_search_params(world, params, expected):
    body = search(world, "/fhir/Organization", params)
    assert sorted(ids(body)) == sorted(str(world.facilities[k].public_id) for k in expected)
    assert body["total"] == len(expected)


def test_organization_id_partof_and_repeated_params(world):
    f = world.facilities
    both = f"{f['alfa'].public_id},{f['beta'].public_id}"
    body = search(world, "/fhir/Organization", {"_id": both})
    assert sorted(ids(body)) == sorted([str(f["alfa"].public_id), str(f["beta"].public_id)])
    # a parameter repeated is AND
    body = search(world, "/fhir/Organization", [("_id", both), ("name", "RS B")])
    assert ids(body) == [str(f["beta"].public_id)]
    for value in (f"Organization/{f['pkm'].public_id}", str(f["pkm"].public_id)):
        body = search(world, "/fhir/Organization", {"partof": value})
        assert ids(body) == [str(f["pustu"].public_id)]
        assert body["entry"][0]["resource"]["partOf"]["reference"].endswith(str(f["pkm"].public_id))
    assert search(world, "/fhir/Organization", {"partof": "Location/x"})["total"] == 0
    assert search(world, "/fhir/Organization", {"_id": "not-a-uuid"})["total"] == 0


def test_organization_read(world):
    f = world.facilities
    c = world.client()
    body = c.json(f"/fhir/Organization/{f['alfa'].public_id}")
    assert parse(body).name == "RS Alfa"
    issue = outcome(c.get(f"/fhir/Organization/{f['closed'].public_id}"), 404)
    assert issue["code"] == "not-found"
    outcome(c.get("/fhir/Organization/00000000-0000-0000-0000-000000000000"), 404)
    outcome(c.get("/fhir/Organization/bukan_id!"), 404)
    outcome(c.get("/fhir/Organization/" + "a" * 65), 404)


# --- Location ------------------------------------------------------------------------------


def _extensions(resource):
    return {e["url"]: e for e in resource.get("extension", [])}


def test_location_is_a_room_with_bed_class_free_and_total_beds(world):
    body = search(world, "/fhir/Location")
    rooms = world.rooms
    assert sorted(ids(body)) == sorted(
        str(rooms[k].public_id) for k in ("alfa_icu", "alfa_kl3", "beta_vip", "mgl_icu")
    )
    by_id = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    icu = by_id[str(rooms["alfa_icu"].public_id)]
    ext = _extensions(icu)
    assert ext[r.EXT_FREE_BEDS]["valueInteger"] == 2
    assert ext[r.EXT_TOTAL_BEDS]["valueInteger"] == 6
    assert r.EXT_REPORTED_AT in ext
    assert r.EXT_SERVICE_CLASS not in ext  # ICU has no SATUSEHAT inpatient class
    assert icu["type"][0]["coding"][0] == {
        "system": r.CS_BED_CLASS,
        "code": "ICU",
        "display": "ICU",
    }
    assert icu["physicalType"]["coding"][0]["code"] == "ro"
    assert icu["mode"] == "instance"
    assert icu["operationalStatus"]["code"] == "U"
    assert icu["managingOrganization"]["reference"] == (
        f"Organization/{world.facilities['alfa'].public_id}"
    )
    assert by_id[str(rooms["alfa_kl3"].public_id)]["operationalStatus"]["code"] == "O"
    kl3_class = _extensions(by_id[str(rooms["alfa_kl3"].public_id)])[r.EXT_SERVICE_CLASS]
    assert kl3_class["valueCodeableConcept"]["coding"][0]["code"] == "3"
    vip_class = _extensions(by_id[str(rooms["beta_vip"].public_id)])[r.EXT_SERVICE_CLASS]
    assert vip_class["valueCodeableConcept"]["coding"][0] == {
        "system": r.CS_SERVICE_CLASS, "code": "vip", "display": "VIP",
    }  # fmt: skip


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"operational-status": "U"}, ["alfa_icu", "beta_vip", "mgl_icu"]),
        ({"operational-status": f"{r.CS_BED_STATUS}|O"}, ["alfa_kl3"]),
        ({"operational-status": "C"}, []),
        ({"type": "KL3"}, ["alfa_kl3"]),
        ({"type": f"{r.CS_BED_CLASS}|ICU"}, ["alfa_icu", "mgl_icu"]),
        ({"type": "ICU", "address-city": "3371"}, ["mgl_icu"]),
        ({"identifier": "ICU1"}, ["alfa_icu", "mgl_icu"]),
        ({"name": "ruang v"}, ["beta_vip"]),
        ({"address-city": "Kota Semarang"}, ["alfa_icu", "alfa_kl3", "beta_vip"]),
    ],
)
def test_location_search_params(world, params, expected):
    body = search(world, "/fhir/Location", params)
    assert sorted(ids(body)) == sorted(str(world.rooms[k].public_id) for k in expected)


def test_location_by_organization_and_read(world):
    alfa = world.facilities["alfa"]
    body = search(world, "/fhir/Location", {"organization": f"Organization/{alfa.public_id}"})
    assert body["total"] == 2
    c = world.client()
    room = world.rooms["beta_vip"]
    assert parse(c.json(f"/fhir/Location/{room.public_id}")).id == str(room.public_id)
    outcome(c.get(f"/fhir/Location/{world.rooms['closed'].public_id}"), 404)  # inactive RS


# --- HealthcareService -------------------------------------------------------------------------


def test_healthcare_service_search_and_read(world):
    body = search(world, "/fhir/HealthcareService")
    assert body["total"] == 9  # three hospitals x (igd, icu, rawat_inap)
    body = search(world, "/fhir/HealthcareService", {"service-type": "icu"})
    assert body["total"] == 3
    resource = body["entry"][0]["resource"]
    assert resource["type"][0]["coding"][0]["system"] == r.CS_FACILITY_SERVICE
    alfa = world.facilities["alfa"]
    body = search(world, "/fhir/HealthcareService", {"organization": str(alfa.public_id)})
    assert body["total"] == 3
    assert search(world, "/fhir/HealthcareService", {"name": "ic"})["total"] == 3
    c = world.client()
    sid = f"{alfa.public_id}.rawat-inap"
    service = parse(c.json(f"/fhir/HealthcareService/{sid}"))
    assert service.providedBy.reference == f"Organization/{alfa.public_id}"
    assert service.type[0].coding[0].code == "rawat_inap"
    outcome(c.get(f"/fhir/HealthcareService/{alfa.public_id}.obstetri"), 404)  # not offered
    outcome(c.get(f"/fhir/HealthcareService/{alfa.public_id}"), 404)


# --- paging ------------------------------------------------------------------------------------


def test_paging_walks_every_match_once_with_next_previous_first_last(world):
    c = world.client()
    first = c.json("/fhir/Organization", {"_count": 3})
    parse(first)
    assert len(first["entry"]) == 3 and first["total"] == 8
    assert "previous" not in links(first)
    assert "_offset=6" in links(first)["last"]
    seen, page, pages = [], first, 0
    while True:
        pages += 1
        seen += ids(page)
        if "next" not in links(page):
            break
        page = c.json(links(page)["next"])  # the absolute URL, as clients follow it
        parse(page)
        assert "previous" in links(page)
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    assert len(page["entry"]) == 2  # the last page holds the rest


def test_paging_keeps_the_search_in_its_links(world):
    body = world.client().json(
        "/fhir/Organization", {"type": "rs", "_count": 1, "_total": "accurate"}
    )
    nxt = links(body)["next"]
    assert (
        "type=rs" in nxt and "_count=1" in nxt and "_offset=1" in nxt and "_total=accurate" in nxt
    )
    assert "_offset=2" in links(body)["last"]


@pytest.mark.parametrize(
    "count, entries",
    [("0", 0), ("1", 1), ("100000", 8), ("200", 8)],
)
def test_count_edges(world, count, entries):
    body = search(world, "/fhir/Organization", {"_count": count})
    assert len(body.get("entry", [])) == entries and body["total"] == 8


def test_summary_count_and_total_none(world):
    body = search(world, "/fhir/Organization", {"_summary": "count"})
    assert body["total"] == 8 and "entry" not in body
    body = search(world, "/fhir/Organization", {"_total": "none"})
    assert "total" not in body and len(body["entry"]) == 8


@pytest.mark.parametrize(
    "params",
    [
        {"_count": "-1"},
        {"_count": "abc"},
        {"_count": "1.5"},
        {"_offset": "-1"},
        {"_offset": "x"},
        {"_offset": "99999999999999999999"},
        {"_total": "sometimes"},
        {"name:missing": "true"},  # a modifier the parameter does not take
    ],
)
def test_bad_result_parameters_are_400_operation_outcomes(world, params):
    issue = outcome(world.client().get("/fhir/Organization", params), 400)
    assert issue["code"] == "invalid"


def test_offset_past_the_end_is_an_empty_page(world):
    body = search(world, "/fhir/Organization", {"_offset": "50"})
    assert body["total"] == 8 and "entry" not in body
    assert "next" not in links(body)


# --- lenient and strict handling, errors, formats ---------------------------------------------


def test_unknown_parameter_is_ignored_unless_strict(world):
    c = world.client()
    body = c.json("/fhir/Organization", {"colour": "blue", "type": "rs"})
    assert body["total"] == 3
    assert "colour" not in links(body)["self"]
    issue = outcome(c.get("/fhir/Organization", {"colour": "blue"}, Prefer="handling=strict"), 400)
    assert "colour" in issue["diagnostics"]
    assert c.json("/fhir/Organization", {"type": "rs"}, Prefer="handling=strict")["total"] == 3
    # an empty value is ignored
    assert c.json("/fhir/Organization", {"name": ""})["total"] == 8


def test_unknown_type_other_paths_and_methods(world):
    c = world.client()
    issue = outcome(c.get("/fhir/Practitioner"), 404)
    assert "Practitioner" in issue["diagnostics"]
    outcome(c.get("/fhir/Organization/x/_history"), 404)
    outcome(c.get("/fhir/"), 404)
    response = c.client.post("/fhir/Organization", data="{}", content_type=r_json())
    outcome(response, 405)
    assert response["Allow"] == "GET, HEAD"
    outcome(c.client.delete(f"/fhir/Organization/{world.facilities['alfa'].public_id}"), 405)
    outcome(c.client.put("/fhir/metadata", data="{}", content_type=r_json()), 405)


def r_json():
    return "application/fhir+json"


@pytest.mark.parametrize(
    "accept, fmt, content_type",
    [
        (None, None, "application/fhir+json"),
        ("application/fhir+json", None, "application/fhir+json"),
        ("application/json", None, "application/json"),
        ("application/json+fhir", None, "application/fhir+json"),
        ("*/*", None, "application/fhir+json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, "application/fhir+json"),
        ("application/fhir+xml", "json", "application/fhir+json"),
        (None, "application/fhir+json", "application/fhir+json"),
        (None, "application/json", "application/json"),
    ],
)
def test_json_is_answered_to_json_accept_headers_and_formats(world, accept, fmt, content_type):
    headers = {"Accept": accept} if accept else {}
    params = {"_format": fmt} if fmt else {}
    response = world.client().get("/fhir/Location", params, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    parse(json.loads(response.content))


@pytest.mark.parametrize(
    "accept, fmt",
    [("application/fhir+xml", None), ("application/xml", None), (None, "xml"), (None, "html")],
)
def test_xml_is_406(world, accept, fmt):
    headers = {"Accept": accept} if accept else {}
    params = {"_format": fmt} if fmt else {}
    issue = outcome(world.client().get("/fhir/metadata", params, **headers), 406)
    assert issue["code"] == "not-supported"


def test_pretty_output_is_the_same_resource(world):
    c = world.client()
    plain = c.json("/fhir/metadata")
    pretty = c.get("/fhir/metadata", {"_pretty": "true"})
    assert b"\n  " in pretty.content
    body = json.loads(pretty.content)
    assert parse(body).fhirVersion == plain["fhirVersion"]


def test_head_answers_without_body(world):
    response = world.client().client.head("/fhir/Organization")
    assert response.status_code == 200 and response.content == b""


def test_a_wrong_key_is_refused_even_on_public_types(world):
    c = world.client(Authorization="Bearer sgp_not-a-key")
    response = c.get("/fhir/Organization")
    outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    outcome(world.client(Authorization="Basic dXNlcjpwdw==").get("/fhir/Location"), 401)
    outcome(world.client(**{"X-API-Key": "sgp_wrong"}).get("/fhir/Location"), 401)
    # a valid key on a public type is fine
    assert world.client("public").json("/fhir/Organization")["total"] == 8


def test_public_answers_carry_no_personal_data(world):
    c = world.client()
    for rtype in PUBLIC_TYPES:
        body = c.get(f"/fhir/{rtype}", {"_count": 200}).content.decode()
        for text in PERSONAL:
            assert text not in body, (rtype, text)


# --- clients as they really call ----------------------------------------------------------------


def test_hapi_fhir_client_search(world):
    """HAPI FHIR's generic client (R4, JSON encoding) sends this Accept value
    (Constants.HEADER_ACCEPT_VALUE_JSON_NON_LEGACY), its User-Agent and `_format=json`."""
    alfa = world.facilities["alfa"]
    c = world.client(
        Accept="application/fhir+json;q=1.0, application/json+fhir;q=0.9",
        **{
            "Accept-Charset": "utf-8",
            "Accept-Encoding": "gzip",
            "User-Agent": "HAPI-FHIR/7.4.0 (FHIR Client; FHIR 4.0.1/R4; apache)",
        },
    )
    response = c.get(f"/fhir/Location?organization=Organization%2F{alfa.public_id}&_format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = parse(json.loads(response.content))
    assert bundle.type == "searchset" and bundle.total == 2


def test_smart_fhirclient_py_search_and_paging(world):
    """SMART's fhirclient (Python) GETs with `Accept: application/json+fhir` and
    `Accept-Charset: UTF-8`, and pages by following the Bundle's `next` link."""
    c = world.client(Accept="application/json+fhir", **{"Accept-Charset": "UTF-8"})
    response = c.get("/fhir/HealthcareService?service-type=igd&_count=2")
    assert response.status_code == 200
    page = json.loads(response.content)
    found = []
    while True:
        found += ids(page)
        parse(page)
        nxt = links(page).get("next")
        if not nxt:
            break
        page = json.loads(c.get(nxt).content)
    assert len(found) == len(set(found)) == 3


@pytest.mark.parametrize(
    "params",
    [{"name": "RS\x00"}, {"address-city": "Kota\x00"}, {"na\x00me": "x"}],
)
def test_nul_characters_are_400_not_a_server_error(world, params):
    outcome(world.client().get("/fhir/Organization", params), 400)
