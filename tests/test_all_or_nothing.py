"""All or nothing (issue 12): invalid input to every page form and every write endpoint leaves
every table as it was, and never answers 5xx.

The targets are enumerated, not listed by hand, so that a new endpoint is covered without
touching this module:

- pages: every URL pattern outside /api/ and /admin/ (Django's URL resolver). Each page is
  opened (GET) as a user of a role allowed to use it; every POST form on it is submitted to
  its action with invalid values - the whole form empty, then one field at a time replaced by
  a bad value (empty, wrong type, out of range, inf/nan, unknown and non-UUID ids, a NUL
  character, an over-long string) while the other fields keep plausible values. A page without
  a form still gets a few invalid POST bodies;
- the JSON API: every POST/PUT/PATCH/DELETE operation of the django-ninja OpenAPI schema, with
  no body, bodies that are not JSON objects, and a plausible body with one property at a time
  replaced by a bad value, and with bad path parameters;
- the compat front doors (Aplicare, SIRS, SISRUTE): correctly signed requests with bad bodies.

A request that is refused (4xx, or a redirect carrying an error message) must leave the row
count of every table (the audit trail included) as it was. `test_every_target_is_swept_or_listed`
fails when a URL pattern or an API operation is neither exercised nor listed in `NOT_SWEPT`
with a reason.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from sigap.api import api
from tests.referrals.conftest import NIK, referral_input

pytestmark = pytest.mark.django_db

AREA = "3374"
KEL = "3374011001"
UNKNOWN_UUID = "5b0e7a9c-0000-4000-8000-000000000000"

# Tables whose rows a refused request may legitimately change.
UNWATCHED_TABLES = {
    "sigap_cache": "Django's database cache: rate-limit counters, written on purpose",
    "django_session": "a login or the idle timeout rewrites the session, not operational data",
    "axes_accessattempt": "django-axes records failed logins on purpose (lockout)",
    "axes_accessfailurelog": "django-axes records failed logins on purpose (lockout)",
    "axes_accesslog": "django-axes records logins on purpose",
}

# URL patterns (by name) and API operations ("METHOD /path") that are not swept, with why.
NOT_SWEPT = {
    "set_language": "Django's language switch: writes a cookie, no table",
    "login": "the login form: a failed login is recorded by django-axes by design (lockout)",
    "logout": "logout takes no input",
    "api-root": "the API's root (django-ninja), no operation",
    "openapi-json": "the OpenAPI document, read only",
    "openapi-view": "the API docs page, read only",
}

# Bad values for a form field, by the kind of the field (one at a time, the rest plausible).
BAD_BY_KIND = {
    "number": ["", "abc", "-1", "9" * 30, "inf", "nan"],
    "date": ["", "abc", "1800-01-01"],
    "hidden": ["", "x\x00y", "bukan-uuid", UNKNOWN_UUID],
    "select": ["", "x\x00y", "bukan-pilihan"],
    "checkbox": ["x\x00y"],
    "text": ["", "x\x00y", "x" * 5000],
}


def bad_values(kind: str) -> list[str]:
    if kind in ("number", "range"):
        return BAD_BY_KIND["number"]
    if kind in ("date", "datetime-local", "time", "month"):
        return BAD_BY_KIND["date"]
    if kind in ("checkbox", "radio"):
        return BAD_BY_KIND["checkbox"]
    if kind in ("hidden", "select"):
        return BAD_BY_KIND[kind]
    return BAD_BY_KIND["text"]


# --- the world: one hospital, one Puskesmas, a user of every role --------------------------


@dataclass
class World:
    users: dict = field(default_factory=dict)
    hospital: object = None
    puskesmas: object = None
    ids: dict = field(default_factory=dict)  # path parameter name -> a real value
    aplicare: tuple = ()
    sirs: tuple = ()
    sisrute: tuple = ()


@dataclass(frozen=True)
class Tenant:
    """One area with its own hospital and Puskesmas (the authorisation matrix builds two)."""

    area: str = AREA
    area_name: str = "Kota Semarang"
    villages: tuple = (
        (KEL, "Semarang Tengah", "Miroto", -6.9800, 110.4120),
        ("3374101001", "Banyumanik", "Pudakpayung", -7.0900, 110.4150),
    )
    label: str = "sapu"  # usernames, facility names
    kodeppk: str = "3374R777"
    kemenkes: str = "3374777"
    pkm_kemenkes: str = "P3374010777"

    @property
    def kel(self) -> str:
        return self.villages[0][0]

    @property
    def lat(self) -> float:
        return self.villages[0][3]

    @property
    def lon(self) -> float:
        return self.villages[0][4]


SAPU = Tenant()


def _regions(t: Tenant) -> None:
    from sigap.regions.models import Region

    Region.objects.get_or_create(
        code="33", defaults={"level": 1, "name": "Jawa Tengah", "utc_offset": 7}
    )
    Region.objects.create(code=t.area, level=2, parent_id="33", name=t.area_name, kind="kota")
    for code, kec, name, lat, lon in t.villages:
        Region.objects.get_or_create(
            code=code[:6], defaults={"level": 3, "parent_id": t.area, "name": kec}
        )
        Region.objects.create(
            code=code, level=4, parent_id=code[:6], name=name, kind="kelurahan",
            latitude=lat, longitude=lon, population=12000,
        )  # fmt: skip


def build_world(t: Tenant = SAPU) -> World:
    from sigap.beds import selectors as bed_selectors
    from sigap.beds import services as bed_services
    from sigap.beds.models import AplicareCredential, SirsCredential
    from sigap.core.models import User
    from sigap.core.services import Actor
    from sigap.facilities import services as facility_services
    from sigap.facilities.models import Facility, FacilityOperator
    from sigap.nutrition import services as nutrition_services
    from sigap.referrals import services as referral_services

    w = World()
    system = Actor.system("test")
    _regions(t)
    w.hospital = Facility.objects.create(
        name=f"RS {t.label.title()} (uji)", kind_id="rs", ownership="private",
        hospital_class="C", bpjs_kodeppk=t.kodeppk, kemenkes_code=t.kemenkes, village_id=t.kel,
        latitude=t.lat - 0.001, longitude=t.lon, phone="024-0000000", emergency_phone="024-119",
        is_synthetic=True,
    )  # fmt: skip
    w.hospital.services.add("igd", "icu", "rawat_inap")
    w.puskesmas = Facility.objects.create(
        name=f"Puskesmas {t.label.title()} (uji)", kind_id="puskesmas", ownership="public",
        village_id=t.kel, kemenkes_code=t.pkm_kemenkes, latitude=t.lat + 0.001,
        longitude=t.lon - 0.001, is_synthetic=True,
    )  # fmt: skip
    Facility.objects.create(
        name=f"Posyandu {t.label.title()} (uji)", kind_id="posyandu", ownership="public",
        village_id=t.kel, latitude=t.lat + 0.002, longitude=t.lon - 0.002, is_synthetic=True,
    )  # fmt: skip
    facility_services.assign_catchment(system, w.puskesmas, [v[0] for v in t.villages])
    for code, cls, cap, free in [("R1", "KL3", 20, 5), ("ICU1", "ICU", 6, 2)]:
        data = bed_services.RoomInput(
            bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap, free=free
        )
        bed_services.upsert_room(system, w.hospital, data, source="api")
    roles = ("admin", "analyst", "hospital_operator", "puskesmas_staff", "psc_call_taker",
             "dispatcher", "ambulance_crew", "public")  # fmt: skip
    for role in roles:
        w.users[role] = User.objects.create_user(
            username=f"{t.label}-{role}", password=None, role=role, area_code=t.area,
            is_staff=role == "admin", is_superuser=role == "admin",
        )  # fmt: skip
    FacilityOperator.objects.create(user=w.users["hospital_operator"], facility=w.hospital)
    FacilityOperator.objects.create(user=w.users["puskesmas_staff"], facility=w.puskesmas)

    apl_secret = f"rahasia-aplicare-{t.label}"
    AplicareCredential.objects.create(facility=w.hospital, cons_id=t.kodeppk, secret=apl_secret)
    w.aplicare = (t.kodeppk, apl_secret)
    sirs_password = f"S!rs-{t.label}-2026"
    SirsCredential.objects.create(
        facility=w.hospital, rs_id=t.kemenkes,
        password_md5=hashlib.md5(sirs_password.encode(), usedforsecurity=False).hexdigest(),
    )  # fmt: skip
    w.sirs = (t.kemenkes, sirs_password)
    w.ids.update(
        facility_ref=str(w.hospital.public_id),
        kodekelas="KL3",
        koderuang="R1",
        kodeppk=t.kodeppk,
        facility=str(w.hospital.public_id),
        facility_id=str(w.hospital.public_id),
        pk=str(w.puskesmas.pk),
    )

    rs_user, pkm_user = f"rs-{t.label}", f"pkm-{t.label}"
    referral_services.set_sisrute_password(system, w.hospital, rs_user, f"rahasia-{t.label}")
    referral_services.set_sisrute_password(system, w.puskesmas, pkm_user, "rahasia-pkm")
    w.sisrute = (rs_user, f"rahasia-{t.label}", pkm_user, "rahasia-pkm")

    staff = Actor(user=w.users["puskesmas_staff"], channel="web")
    # the referral tests' input, from this world's Puskesmas to its hospital
    net = SimpleNamespace(pkm=w.puskesmas, alfa=w.hospital)
    ref = referral_services.send_referral(staff, referral_input(net))
    kid = nutrition_services.register_child(
        staff,
        nutrition_services.ChildInput(
            name=f"Anak {t.label.title()}", sex="P", birth_date=date.today() - timedelta(days=400),
            kelurahan_code=t.kel, parent_name=f"Ibu {t.label.title()}",
        ),
    )  # fmt: skip
    w.ids.update(ref=str(ref.public_id), nomor=ref.number, child_id=str(kid.public_id))
    bed_selectors.reset_snapshot()
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back when the module
    ends (each test rolls its own writes back to a savepoint inside it). Committing and then
    flushing would recreate the content types under new ids, and the serialized rollback of
    the transactional tests that run later would collide with them."""
    from django.db import transaction

    from sigap.beds import selectors as bed_selectors
    from tests.conftest import ensure_reference_data

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_reference_data()
            w = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield w
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        bed_selectors.reset_snapshot()


# --- watching every table --------------------------------------------------------------------


@functools.cache
def _snapshot_sql() -> str:
    """One query: the row count of every watched table and the audit trail's highest id (the
    tables do not change during the run, so the catalogue is read once)."""
    tables = sorted(t for t in connection.introspection.table_names() if t not in UNWATCHED_TABLES)
    qn = connection.ops.quote_name
    # table names come from the database's own catalogue
    counts = [f"SELECT '{t}', COUNT(*) FROM {qn(t)}" for t in tables]  # noqa: S608
    counts.append("SELECT 'core_auditevent.max_id', COALESCE(MAX(id), 0) FROM core_auditevent")
    return " UNION ALL ".join(counts)


def snapshot() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(_snapshot_sql())
        return dict(cur.fetchall())


def changes(before: dict, after: dict) -> dict:
    return {t: (before.get(t), after.get(t)) for t in after if before.get(t) != after.get(t)}


def _refused(resp) -> bool:
    if 400 <= resp.status_code < 500:
        return True
    storage = getattr(getattr(resp, "wsgi_request", None), "_messages", None)
    queued = getattr(storage, "_queued_messages", []) or []
    return any(m.level >= message_levels.WARNING for m in queued)


@dataclass
class Sweep:
    failures: list = field(default_factory=list)
    sent: int = 0

    def check(self, label: str, send) -> None:
        cache.clear()  # rate limits would otherwise refuse before validation
        before = snapshot()
        try:
            resp = send()
        except Exception as exc:  # noqa: BLE001 - reported as a failure
            self.failures.append(f"{label}: raised {type(exc).__name__}: {exc}"[:400])
            return
        self.sent += 1
        after = snapshot()
        if resp.status_code >= 500:
            body = resp.content[:200]
            self.failures.append(f"{label}: {resp.status_code} {body!r}")
        elif _refused(resp) and before != after:
            self.failures.append(
                f"{label}: refused ({resp.status_code}) but wrote {changes(before, after)}"
            )

    def assert_clean(self) -> None:
        assert self.sent > 0
        assert not self.failures, f"{len(self.failures)} of {self.sent}:\n" + "\n".join(
            self.failures[:25]
        )


# --- plausible values, so that one bad field is the only thing wrong ---------------------------


PLAUSIBLE_NUMBERS = [
    (("birth_weight", "berat_lahir"), "3.1"),
    (("birth_length", "panjang_lahir"), "49"),
    (("muac", "lila"), "14"),
    (("temperature", "suhu"), "37.0"),
    (("pulse", "nadi"), "80"),
    (("systolic", "sistol"), "120"),
    (("diastolic", "diastol"), "80"),
    (("spo2", "saturasi"), "98"),
    (("respiration", "napas"), "20"),
    (("gravida",), "1"),
    (("parity", "paritas"), "0"),
    (("hb", "hemoglobin"), "12"),
]


def plausible(name: str, kind: str = "text") -> str:
    n = name.lower()
    today = date.today()
    if kind == "date" or n.endswith(("date", "tanggal", "_at", "_on")) or "tanggal" in n:
        if "lahir" in n or "birth" in n or "dob" in n:
            return (today - timedelta(days=400)).isoformat()
        return today.isoformat()
    if kind == "time":
        return "08:00"
    if "nik" in n:
        if any(k in n for k in ("mother", "ibu", "dokter", "doctor", "petugas")):
            return NIK
        born = today - timedelta(days=400)
        return f"337401{born.day + 40:02d}{born:%m%y}0001"  # a girl, as the sex fields say
    if "kelurahan" in n or "village" in n:
        return KEL
    if "kecamatan" in n:
        return "337401"
    if any(k in n for k in ("phone", "telepon", "hp", "contact", "kontak")):
        return "081234567890"
    if n in ("sex", "jenis_kelamin", "jk"):
        return "F"
    if any(k in n for k in ("lat",)):
        return "-6.98"
    if any(k in n for k in ("lon", "lng")):
        return "110.41"
    for keys, value in PLAUSIBLE_NUMBERS:
        if any(k in n for k in keys):
            return value
    if any(k in n for k in ("weight", "berat")):
        return "9.5"
    if any(k in n for k in ("height", "length", "tinggi", "panjang")):
        return "76"
    if kind == "number" or any(k in n for k in ("jumlah", "count", "minutes", "menit")):
        return "1"
    if kind == "email":
        return "uji@example.org"
    if kind == "url":
        return "https://example.org/hook"
    return "Uji Sapu"


# --- pages -------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The POST forms of a page: action and fields (name -> (kind, value, options))."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None
        self._chosen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {
                    "action": a.get("action") or "",
                    "fields": {},
                    "buttons": [],
                }
                self.forms.append(self._form)
            return
        f = self._form
        if f is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                f["buttons"].append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if name not in f["fields"] or "checked" in a:
                    f["fields"][name] = (kind, a.get("value", "on"), [])
            else:
                if a.get("inputmode") in ("decimal", "numeric"):
                    kind = "number"
                f["fields"].setdefault(name, (kind, a.get("value", ""), []))
        elif tag == "button" and name:
            f["buttons"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
            f["fields"][name] = ("select", "", [])
        elif tag == "option" and self._select:
            # as a browser sends it: the selected option, else the first one (even if empty)
            kind, value, options = f["fields"][self._select]
            options.append(a.get("value", ""))
            if "selected" in a:
                self._chosen.add(self._select)
                value = a.get("value", "")
            elif len(options) == 1 and self._select not in self._chosen:
                value = a.get("value", "")
            f["fields"][self._select] = (kind, value, options)
        elif tag == "textarea" and name:
            self._textarea = name
            f["fields"][name] = ("textarea", "", [])

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            kind, value, opts = self._form["fields"][self._textarea]
            self._form["fields"][self._textarea] = (kind, value + data, opts)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_routes() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern outside /api/ and /admin/."""

    def walk(patterns, prefix="", ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
                yield name or str(p.pattern), prefix + str(p.pattern)

    routes = walk(get_resolver().url_patterns)
    return [(name, route) for name, route in routes if not route.startswith(("api/", "admin/"))]


ROUTES = dict(page_routes())  # name -> route, enumerated once for the module


# Who opens each page (by URL name prefix or name); anonymous when None.
PAGE_ROLE = {
    "home": None,
    "notifications": "dispatcher",
    "beds:board": None,
    "beds:operator": "hospital_operator",
    "beds:office": "analyst",
    "emergency:intake": "psc_call_taker",
    "emergency:console": "dispatcher",
    "emergency:crew": "ambulance_crew",
    "emergency:incoming": "hospital_operator",
    "emergency:sos": None,
    "emergency:": "dispatcher",
    "referrals:inbox": "hospital_operator",
    "referrals:settings": "hospital_operator",
    "referrals:office": "analyst",
    "referrals:fairness": "analyst",
    "referrals:": "puskesmas_staff",
    "homecare:request_form": None,
    "homecare:resident_cancel": None,
    "homecare:": "puskesmas_staff",
    "coverage:check": None,
    "coverage:": "admin",
    "nutrition:": "puskesmas_staff",
}


def role_for(name: str) -> str | None:
    if name in PAGE_ROLE:
        return PAGE_ROLE[name]
    for prefix in sorted(PAGE_ROLE, key=len, reverse=True):
        if prefix.endswith(":") and name.startswith(prefix):
            return PAGE_ROLE[prefix]
    return "admin"


def page_url(route: str, world: World) -> str:
    """A URL for a route: its converters filled with real ids where the world has them."""

    def fill(match):
        conv, name = match.group(1), match.group(2)
        if name in world.ids:
            return world.ids[name]
        return UNKNOWN_UUID if conv in ("uuid", None) else "UJI-0000"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    return "/" + path


def form_cases(form: dict) -> list[tuple[str, dict]]:
    """The whole form empty, then one field at a time bad while the others are plausible."""
    fields = form["fields"]
    base = {}
    for name, (kind, value, options) in fields.items():
        if kind == "file":
            base[name] = None
        elif kind == "select" and not value:
            # a user picks a real option (the empty one is among the bad values)
            real = [o for o in options if o]
            female = [o for o in real if o.upper() in ("P", "F", "2", "PEREMPUAN")]
            base[name] = (female or real or [""])[0]
        elif kind in ("hidden", "checkbox", "radio", "select"):
            base[name] = value
        else:
            base[name] = value or plausible(name, kind)
    button = dict(form["buttons"][:1])
    cases = [("empty form", dict(button))]
    cases.append(("no fields at all", {}))
    for name, (kind, _value, _options) in fields.items():
        for bad in bad_values(kind):
            data = {**base, **button, name: bad}
            cases.append((f"{name}={bad[:12]!r}", data))
    # a choice whose empty option means something ("new child", "no facility"): the other
    # fields bad with it left empty too
    optional = [n for n, (k, _v, opts) in fields.items() if k == "select" and "" in opts]
    for choice in optional:
        for name, (kind, _value, _options) in fields.items():
            if name == choice or kind not in ("number", "text", "date", "textarea"):
                continue
            for bad in bad_values(kind)[1:3]:
                data = {**base, **button, choice: "", name: bad}
                cases.append((f"{choice}='' {name}={bad[:12]!r}", data))
    return cases


def _encode(data: dict) -> dict:
    """A file field (None in a case) gets a file that is not a valid CSV, a new one each time."""
    bad_file = b"bukan,berkas\x00\n1,2"
    return {
        k: SimpleUploadedFile("sapu.csv", bad_file, "text/csv") if v is None else v
        for k, v in data.items()
    }


def sweep_page(client: Client, url: str, sweep: Sweep) -> None:
    resp = client.get(url)
    forms = []
    if resp.status_code == 200 and "html" in resp.get("Content-Type", ""):
        parser = FormParser()
        parser.feed(resp.content.decode("utf-8", "replace"))
        forms = parser.forms
    generic = [
        ("no body", {}),
        ("NUL", {"action": "x\x00", "name": "x\x00"}),
        ("long", {"action": "x" * 5000}),
        ("ids", {"id": "bukan-uuid", "ref": UNKNOWN_UUID, "pk": "9" * 30}),
    ]
    targets = [(url, generic)]
    for form in forms:
        action = urljoin(url, form["action"]) if form["action"] else url
        targets.append((action, form_cases(form)))
    for action, cases in targets:
        path = urlsplit(action).path
        if not path.startswith("/") or path.startswith(("/api/", "/admin/", "/i18n/")):
            continue
        if path in ("/keluar/", "/masuk/"):
            continue
        try:
            resolve(path)
        except Resolver404:
            continue
        for label, data in cases:
            sweep.check(
                f"POST {action} [{label}]",
                lambda a=action, d=data: client.post(a, _encode(d)),
            )


# --- the JSON API ------------------------------------------------------------------------------


SCHEMA = api.get_openapi_schema()  # built once: it takes about half a second


def api_operations() -> dict[str, dict]:
    """Every write operation of the OpenAPI schema, by "METHOD /path"."""
    return {
        f"{method.upper()} {path}": op
        for path, item in SCHEMA["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    }


OPERATIONS = api_operations()


def _resolve_ref(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        node = _resolve_ref(schema, options[0]) if options else {}
    if "allOf" in node and len(node["allOf"]) == 1:
        node = _resolve_ref(schema, node["allOf"][0])
    return node


def plausible_json(schema: dict, node: dict, name: str = ""):
    node = _resolve_ref(schema, node)
    if "default" in node and node["default"] is not None:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        return {k: plausible_json(schema, v, k) for k, v in props.items()}
    if kind == "array":
        return [plausible_json(schema, node.get("items", {}), name)]
    if kind == "integer":
        return int(max(node.get("minimum", 1), 1))
    if kind == "number":
        if "lat" in name:
            return -6.98
        if "lon" in name:
            return 110.41
        return float(node.get("minimum", 1.0) or 1.0)
    if kind == "boolean":
        return False
    fmt = node.get("format")
    if fmt == "uuid":
        return UNKNOWN_UUID
    if fmt == "date":
        return plausible(name or "tanggal", "date")
    if fmt == "date-time":
        return date.today().isoformat() + "T08:00:00+07:00"
    return plausible(name)


# Bad JSON values for a property, by its type in the schema (one property at a time).
BAD_JSON = {
    "integer": [None, "abc", -1, 10**30, math.inf, math.nan],
    "number": [None, "abc", -1, 10**30, math.inf, math.nan],
    "string": [None, 123, "", "x" * 5000, "x\x00y"],
    "id": [None, "", UNKNOWN_UUID, "bukan-uuid", "x\x00y"],
    "other": [None, "abc", 10**30, "x\x00y"],
}


def bad_json(schema: dict, node: dict, name: str) -> list:
    node = _resolve_ref(schema, node)
    kind = node.get("type")
    if node.get("format") == "uuid" or name == "id" or name.endswith(("_id", "_ref")):
        return BAD_JSON["id"]
    return BAD_JSON.get(kind, BAD_JSON["other"])


def _json(data) -> str:
    return json.dumps(data, allow_nan=True)  # Infinity and NaN as Python's parser reads them


API_ROLE = {
    "/api/v1/beds/": "hospital_operator",
    "/api/v1/emergency/units/": "ambulance_crew",
    "/api/v1/emergency/handoffs/": "hospital_operator",
    "/api/v1/emergency/incidents/{ref}/handoff": "dispatcher",
    "/api/v1/emergency/": "dispatcher",
    "/api/v1/referrals/referrals/{ref}/answer": "hospital_operator",
    "/api/v1/referrals/referrals/{ref}/arrival": "hospital_operator",
    "/api/v1/referrals/webhook": "hospital_operator",
    "/api/v1/referrals/": "puskesmas_staff",
    "/api/v1/homecare/": "puskesmas_staff",
    "/api/v1/coverage/": "analyst",
    "/api/v1/nutrition/": "puskesmas_staff",
}


def api_role(path: str) -> str:
    for prefix in sorted(API_ROLE, key=len, reverse=True):
        if path.startswith(prefix):
            return API_ROLE[prefix]
    return "admin"


def fill_path(path: str, params: dict[str, str]) -> str:
    for k, v in params.items():
        path = path.replace("{" + k + "}", v)
    return path


def sweep_operation(client: Client, method: str, path: str, op: dict, world: World, sweep):
    path_params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    query_params = [p for p in op.get("parameters", []) if p["in"] == "query"]
    real = {p: world.ids.get(p, UNKNOWN_UUID) for p in path_params}
    body_schema = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    )
    base = plausible_json(SCHEMA, body_schema) if body_schema else None
    query = {p["name"]: plausible(p["name"]) for p in query_params if p.get("required")}
    call = getattr(client, method.lower())

    def send(params, body, raw=None, q=None):
        url = fill_path(path, params)
        if q or query:
            url += "?" + urlencode({**query, **(q or {})})
        content = raw if raw is not None else (_json(body) if body is not None else "")
        return lambda: call(url, data=content, content_type="application/json")

    label = f"{method} {path}"
    sweep.check(f"{label} [no body]", send(real, None))
    for raw in ("null", "[]", "{}", "not json"):
        sweep.check(f"{label} [raw {raw!r}]", send(real, None, raw=raw))
    if isinstance(base, dict):
        props = _resolve_ref(SCHEMA, body_schema).get("properties", {})
        for prop in base:
            for bad in bad_json(SCHEMA, props.get(prop, {}), prop):
                sweep.check(f"{label} [{prop}={bad!r:.20}]", send(real, {**base, prop: bad}))
    for param in path_params:
        for bad in ("bukan-uuid", "%00", "9" * 30, UNKNOWN_UUID):
            sweep.check(f"{label} [{param}={bad[:12]}]", send({**real, param: bad}, base))
    for p in query_params:
        for bad in ("%00", "9" * 30, "x" * 5000):
            sweep.check(f"{label} [?{p['name']}={bad[:12]}]", send(real, base, q={p["name"]: bad}))


# --- the tests -----------------------------------------------------------------------------------

# Known failures in apps this module does not own: each is an xfail(strict=True) so that the
# fix turns it into a pass (and the mark must then be dropped). Keys are URL names or
# "METHOD /path"; the value is (reason, database vendor it fails on or None for every one).
KNOWN_FAILURES: dict[str, tuple[str, str | None]] = {}


def _params(items: list[str]) -> list:
    out = []
    for key in items:
        marks = []
        if key in KNOWN_FAILURES:
            reason, vendor = KNOWN_FAILURES[key]
            fails_here = vendor is None or connection.vendor == vendor
            marks.append(pytest.mark.xfail(fails_here, strict=True, reason=reason))
        out.append(pytest.param(key, marks=marks, id=key))
    return out


COMPAT_PREFIXES = ("aplicaresws/", "^aplicaresws/", "^fo/", "fo/", "^sisrute/", "sisrute/")
PAGES = [name for name in ROUTES if name not in NOT_SWEPT]
COMPAT = [n for n in PAGES if ROUTES[n].startswith(COMPAT_PREFIXES)]
PAGE_SWEEP = [n for n in PAGES if n not in COMPAT]
API_OPS = [key for key in OPERATIONS if key not in NOT_SWEPT]


def _client_as(world: World, role: str | None) -> Client:
    client = Client()
    if role:
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("name", _params(PAGE_SWEEP))
def test_page_forms_refuse_without_writing(world, name):
    route = ROUTES[name]
    client = _client_as(world, role_for(name))
    sweep = Sweep()
    sweep_page(client, page_url(route, world), sweep)
    sweep.assert_clean()


@pytest.mark.parametrize("key", _params(API_OPS))
def test_api_writes_refuse_without_writing(world, key):
    method, path = key.split(" ", 1)
    op = OPERATIONS[key]
    client = _client_as(world, api_role(path))
    sweep = Sweep()
    sweep_operation(client, method, path, op, world, sweep)
    sweep.assert_clean()


# --- the compat front doors: signed requests with bad bodies -------------------------------------


def _headers(h: dict[str, str]) -> dict[str, str]:
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in h.items()}


def _leaves(body, path=()):
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _leaves(v, (*path, k))
    else:
        yield path


def _replace(body, path, value):
    if not path:
        return value
    out = dict(body)
    out[path[0]] = _replace(body[path[0]], path[1:], value)
    return out


BAD_COMPAT = [None, "", "abc", "-1", "9" * 30, math.nan, "x" * 5000, "x\x00y"]


def _compat_plan(name: str, world: World):
    """(method, path, headers, base body) of the requests that write through a front door."""
    from tests.beds.test_aplicare import aplicare_headers
    from tests.beds.test_sirs import sirs_headers
    from tests.referrals.test_sisrute import rujukan_body, sisrute_headers

    ppk, secret = world.aplicare
    apl = _headers(aplicare_headers(ppk, secret))
    room = {"kodekelas": "KL3", "koderuang": "R1", "namaruang": "Ruang R1", "kapasitas": "20",
            "tersedia": "5", "tersediapria": "0", "tersediawanita": "0",
            "tersediapriawanita": "0"}  # fmt: skip
    fresh = {**room, "koderuang": "SAPU2", "namaruang": "Ruang Sapu"}
    rs_id, sirs_password = world.sirs
    sirs = _headers(sirs_headers(rs_id, sirs_password))
    bed = {"id_tt": "5", "ruang": "Melati", "jumlah_ruang": "1", "jumlah": "20",
           "terpakai": "12", "prepare": "2", "prepare_plan": "0", "antrian": "3",
           "covid": 0}  # fmt: skip
    rs_cons, rs_pw, pkm_cons, pkm_pw = world.sisrute
    as_rs = _headers(sisrute_headers(rs_cons, rs_pw))
    as_pkm = _headers(sisrute_headers(pkm_cons, pkm_pw))
    nomor = world.ids["nomor"]
    plans = {
        "aplicare-create": [("POST", f"/aplicaresws/rest/bed/create/{ppk}", apl, fresh)],
        "aplicare-update": [("POST", f"/aplicaresws/rest/bed/update/{ppk}", apl, room)],
        "aplicare-delete": [("POST", f"/aplicaresws/rest/bed/delete/{ppk}", apl,
                             {"kodekelas": "KL3", "koderuang": "R1"})],
        "aplicare-ref-kelas": [("POST", "/aplicaresws/rest/ref/kelas", apl, {})],
        "aplicare-read": [("POST", f"/aplicaresws/rest/bed/read/{ppk}/1/10", apl, {})],
        "sirs-fasyankes": [
            (m, "/fo/index.php/Fasyankes", sirs, bed) for m in ("POST", "PUT", "DELETE")
        ],
        "referrals:sisrute-rujukan": [("POST", "/sisrute/rujukan", as_pkm,
                                       rujukan_body(world.hospital.kemenkes_code))],
        "referrals:sisrute-notif": [("PUT", f"/sisrute/rujukan/notifrujukan/{nomor}", as_rs, {})],
        "referrals:sisrute-notif-put": [("PUT", f"/sisrute/rujukan/notif/{nomor}", as_rs, {})],
        "referrals:sisrute-jawab": [("PUT", f"/sisrute/rujukan/jawab/{nomor}", as_rs,
                                     {"DITERIMA": "1", "KETERANGAN": "Siap"})],
        "referrals:sisrute-batal": [("PUT", f"/sisrute/rujukan/batal/{nomor}", as_pkm,
                                     {"KETERANGAN": "batal"})],
        "referrals:sisrute-rujukan-one": [("PUT", f"/sisrute/rujukan/{nomor}", as_pkm, {})],
    }  # fmt: skip
    if name in plans:
        return plans[name]
    # the read-only reference lists: a write method must change nothing either
    route = ROUTES[name]
    path = "/" + route.strip("^$").replace("/?", "/")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "X", path).replace("\\", "")
    headers = as_pkm if "sisrute" in route else apl
    return [("POST", path, headers, {})]


@pytest.mark.parametrize("name", _params(COMPAT))
def test_compat_front_doors_refuse_without_writing(world, name):
    client = Client()
    sweep = Sweep()
    for method, path, headers, base in _compat_plan(name, world):
        call = getattr(client, method.lower())

        def send(body, raw=None, call=call, path=path, headers=headers):
            content = raw if raw is not None else _json(body)
            return lambda: call(path, data=content, content_type="application/json", **headers)

        for raw in ("", "[]", "not json"):
            sweep.check(f"{method} {path} [raw {raw!r}]", send(None, raw))
        for leaf in list(_leaves(base)):
            for bad in BAD_COMPAT:
                sweep.check(f"{method} {path} [{'.'.join(leaf)}={bad!r:.20}]",
                            send(_replace(base, leaf, bad)))  # fmt: skip
    sweep.assert_clean()


# --- nothing left out --------------------------------------------------------------------------


def test_every_target_is_swept_or_listed():
    """Every URL pattern and API write operation is swept above (they are enumerated), and
    every entry of NOT_SWEPT still names an endpoint (a stale reason is an error too)."""
    names = set(ROUTES)
    ops = set(OPERATIONS)
    openapi_names = {"api-root", "openapi-json", "openapi-view"}
    assert set(NOT_SWEPT) <= names | ops | openapi_names, set(NOT_SWEPT) - names - ops
    swept = set(PAGE_SWEEP) | set(COMPAT) | set(API_OPS)
    assert names | ops <= swept | set(NOT_SWEPT)
    assert len(API_OPS) >= 40 and len(PAGE_SWEEP) >= 50
    for key in KNOWN_FAILURES:
        assert key in swept, f"KNOWN_FAILURES names no swept endpoint: {key}"
