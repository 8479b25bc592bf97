"""Facility registry: validation, audit, catchment, operator scoping, admin, public API."""

import pytest

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from sigap.core.models import AuditEvent, Role
from sigap.core.services import Actor
from sigap.facilities import services as fs
from sigap.facilities.models import Facility
from sigap.regions.models import Region
from sigap.regions.services import load_regions

pytestmark = pytest.mark.django_db

KEL_A = "3374011001"  # a kelurahan in Semarang Tengah
KEL_B = "3374011002"


@pytest.fixture
def regions(db):
    load_regions("33")


@pytest.fixture
def admin_actor(make_user, regions):
    return Actor(user=make_user("adm", Role.ADMIN, area_code="3374"), channel="web")


def rs(name="RS Uji (demo)", **kw):
    base = dict(
        name=name,
        kind="rs",
        ownership="private",
        village_code=KEL_A,
        hospital_class="C",
        phone="024-0000000",
        services=["igd", "icu"],
    )
    base.update(kw)
    return fs.FacilityInput(**base)


def test_create_defaults_position_and_audits(admin_actor):
    f = fs.create_facility(admin_actor, rs(bpjs_kodeppk="3374R901"))
    village = Region.objects.get(code=KEL_A)
    assert (f.latitude, f.longitude) == (village.latitude, village.longitude)
    assert sorted(f.services.values_list("code", flat=True)) == ["icu", "igd"]
    ev = AuditEvent.objects.get(action="facility.create")
    assert ev.actor == admin_actor.user and ev.after["bpjs_kodeppk"] == "3374R901"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "nope"}, "kind"),
        ({"ownership": "x"}, "ownership"),
        ({"name": " "}, "name"),
        ({"village_code": "337401"}, "village_code"),  # a kecamatan, not a kelurahan
        ({"village_code": "3374999999"}, "village_code"),
        ({"latitude": 91.0, "longitude": 110.0}, "latitude"),
        ({"latitude": -7.0, "longitude": 181.0}, "longitude"),
        ({"kind": "puskesmas"}, "hospital_class"),  # class only for RS
        ({"hospital_class": "E"}, "hospital_class"),
        ({"services": ["igd", "teleportasi"]}, "services"),
    ],
)
def test_create_rejects_bad_input(admin_actor, changes, field):
    with pytest.raises(InvalidInput) as exc:
        fs.create_facility(admin_actor, rs(**changes))
    assert exc.value.field == field
    assert not Facility.objects.exists()
    assert not AuditEvent.objects.exists()


def test_pustu_needs_puskesmas_parent(admin_actor):
    pkm = fs.create_facility(
        admin_actor,
        fs.FacilityInput(
            name="Puskesmas Uji", kind="puskesmas", ownership="public", village_code=KEL_A
        ),
    )
    hospital = fs.create_facility(admin_actor, rs())
    pustu = dict(name="Pustu Uji", kind="pustu", ownership="public", village_code=KEL_B)
    with pytest.raises(InvalidInput, match="induk"):
        fs.create_facility(admin_actor, fs.FacilityInput(**pustu))
    with pytest.raises(InvalidInput) as exc:
        fs.create_facility(admin_actor, fs.FacilityInput(**pustu, parent=hospital))
    assert exc.value.field == "parent"
    with pytest.raises(InvalidInput):
        fs.create_facility(admin_actor, rs(name="RS anak", parent=pkm))
    p = fs.create_facility(admin_actor, fs.FacilityInput(**pustu, parent=pkm))
    assert p.parent == pkm


def test_duplicate_kodeppk_conflict(admin_actor):
    fs.create_facility(admin_actor, rs(bpjs_kodeppk="3374R901"))
    with pytest.raises(Conflict) as exc:
        fs.create_facility(admin_actor, rs(name="Lain", bpjs_kodeppk="3374R901"))
    assert exc.value.field == "bpjs_kodeppk"


def test_update_audits_before_after(admin_actor):
    f = fs.create_facility(admin_actor, rs())
    fs.update_facility(admin_actor, f, phone="024-1111111", village_code=KEL_B)
    f.refresh_from_db()
    assert f.village_id == KEL_B
    assert f.latitude == Region.objects.get(code=KEL_B).latitude
    ev = AuditEvent.objects.get(action="facility.update")
    assert ev.before["phone"] == "024-0000000" and ev.after["phone"] == "024-1111111"
    # no change, no audit
    fs.update_facility(admin_actor, f, phone="024-1111111")
    assert AuditEvent.objects.filter(action="facility.update").count() == 1
    with pytest.raises(InvalidInput):
        fs.update_facility(admin_actor, f, hospital_class="Z")
    with pytest.raises(InvalidInput):
        fs.update_facility(admin_actor, f, operators=[])


def test_only_admins_in_area_manage(admin_actor, make_user):
    op = make_user("op", Role.HOSPITAL_OPERATOR, area_code="3374")
    with pytest.raises(Forbidden):
        fs.create_facility(Actor(user=op, channel="web"), rs())
    with pytest.raises(NotAuthenticated):
        fs.create_facility(Actor(user=None, channel="web"), rs())
    other_admin = make_user("adm16", Role.ADMIN, area_code="16")
    with pytest.raises(Forbidden):
        fs.create_facility(Actor(user=other_admin, channel="web"), rs())
    # the command line is trusted
    assert fs.create_facility(Actor.system("cli"), rs()).pk


def test_catchment(admin_actor):
    pkm = fs.create_facility(
        admin_actor,
        fs.FacilityInput(
            name="Puskesmas Uji", kind="puskesmas", ownership="public", village_code=KEL_A
        ),
    )
    assert fs.assign_catchment(admin_actor, pkm, [KEL_B, KEL_A, KEL_A]) == [KEL_A, KEL_B]
    assert set(pkm.catchment.values_list("code", flat=True)) == {KEL_A, KEL_B}
    ev = AuditEvent.objects.get(action="facility.catchment")
    assert ev.before == {"catchment": []} and ev.after == {"catchment": [KEL_A, KEL_B]}
    with pytest.raises(InvalidInput):
        fs.assign_catchment(admin_actor, pkm, ["337401"])
    with pytest.raises(Forbidden):
        fs.assign_catchment(admin_actor, pkm, ["3322012001"])  # Kabupaten Semarang
    hospital = fs.create_facility(admin_actor, rs())
    with pytest.raises(InvalidInput):
        fs.assign_catchment(admin_actor, hospital, [KEL_A])


def test_operator_scoping(admin_actor, make_user):
    a = fs.create_facility(admin_actor, rs(name="RS A"))
    b = fs.create_facility(admin_actor, rs(name="RS B"))
    pkm = fs.create_facility(
        admin_actor,
        fs.FacilityInput(
            name="Puskesmas P", kind="puskesmas", ownership="public", village_code=KEL_A
        ),
    )
    pustu = fs.create_facility(
        admin_actor,
        fs.FacilityInput(
            name="Pustu P", kind="pustu", ownership="public", village_code=KEL_B, parent=pkm
        ),
    )
    op_a = make_user("op-a", Role.HOSPITAL_OPERATOR, area_code="3374")
    staff = make_user("staff", Role.PUSKESMAS_STAFF, area_code="3374")
    analyst = make_user("analyst", Role.ANALYST, area_code="3374")
    fs.add_operator(admin_actor, a, op_a)
    fs.add_operator(admin_actor, a, op_a)  # idempotent
    fs.add_operator(admin_actor, pkm, staff)
    assert AuditEvent.objects.filter(action="facility.operator_add").count() == 2
    with pytest.raises(InvalidInput):
        fs.add_operator(admin_actor, b, staff)  # Puskesmas staff cannot run a hospital
    with pytest.raises(InvalidInput):
        fs.add_operator(admin_actor, a, analyst)

    assert fs.can_operate(op_a, a) and not fs.can_operate(op_a, b)
    assert list(fs.facilities_operated_by(op_a)) == [a]
    assert fs.require_operator(Actor(user=op_a, channel="web"), a) == op_a
    with pytest.raises(Forbidden):
        fs.require_operator(Actor(user=op_a, channel="web"), b)
    with pytest.raises(NotAuthenticated):
        fs.require_operator(Actor(user=None, channel="web"), a)
    assert fs.can_operate(staff, pustu)  # staff of the parent Puskesmas
    assert set(fs.facilities_operated_by(staff)) == {pkm, pustu}
    assert not fs.can_operate(analyst, a) and not fs.facilities_operated_by(analyst).exists()
    assert fs.can_operate(admin_actor.user, b)
    assert fs.facilities_operated_by(admin_actor.user).count() == 4

    assert fs.remove_operator(admin_actor, a, op_a)
    assert not fs.remove_operator(admin_actor, a, op_a)
    assert not fs.can_operate(op_a, a)
    assert AuditEvent.objects.filter(action="facility.operator_remove").count() == 1
    op_a.is_active = False
    assert not fs.can_operate(op_a, b)


def test_public_api_has_no_personal_data(admin_actor, make_user, client):
    a = fs.create_facility(admin_actor, rs(name="RS A", bpjs_kodeppk="3374R901"))
    fs.create_facility(
        admin_actor,
        fs.FacilityInput(
            name="Puskesmas P", kind="puskesmas", ownership="public", village_code=KEL_A
        ),
    )
    fs.add_operator(admin_actor, a, make_user("op-rahasia", Role.HOSPITAL_OPERATOR, email="x@y.id"))
    r = client.get("/api/v1/facilities/", {"kind": "rs", "area": "3374"})
    assert r.status_code == 200
    body = r.json()
    assert [f["name"] for f in body] == ["RS A"]
    item = body[0]
    assert item["kecamatan"] == "Semarang Tengah"
    assert {s["code"] for s in item["services"]} == {"igd", "icu"}
    text = r.content.decode()
    for secret in ("op-rahasia", "x@y.id", "adm", "operators"):
        assert secret not in text.replace("kodeppk", "")
    assert client.get("/api/v1/facilities/", {"area": "16"}).json() == []
    one = client.get(f"/api/v1/facilities/{a.public_id}")
    assert one.status_code == 200 and one.json()["name"] == "RS A"
    assert client.get("/api/v1/facilities/", {"kind": "zzz"}).status_code == 422
    assert client.get("/api/v1/facilities/", {"area": "x"}).json()["field"] == "area"
    missing = client.get("/api/v1/facilities/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def test_admin_pages(admin_actor, make_user, client):
    su = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    f = fs.create_facility(admin_actor, rs(name="RS A"))
    client.force_login(su)
    assert client.get("/admin/facilities/facility/").status_code == 200
    r = client.get(
        "/admin/facilities/facility/", {"kecamatan": "337401", "kind__code__exact": "rs"}
    )
    assert r.status_code == 200 and "RS A" in r.content.decode()
    assert client.get(f"/admin/facilities/facility/{f.pk}/change/").status_code == 200
    assert client.get("/admin/regions/region/", {"q": "Tembalang"}).status_code == 200
