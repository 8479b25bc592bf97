"""`sigap simulate emergency`: a busy PSC 119 shift driven through the real services.

Calls arrive (some are repeats of an open incident), the call-taker triages them, the
dispatcher takes the first recommended unit (and the next one if someone else took it),
crews move and press their status buttons, patients are handed to the recommended hospital
as emergency referrals (with a bed held where the hospital allows), which the hospital accepts
(or, now and then, refuses: the next hospital) in its referral inbox, the arrival is recorded
on the referral, and units return to base. Police, fire, PMI and BPBD matters go to the demo
agencies by signed webhook; the shift plays those agencies' dispatch systems (`PartnerDesk`),
which check the signature and answer through the signed partner API.

Time: with `--speed 0` (default) the shift runs as fast as the database allows, on a
simulated clock placed in the recent past so that it ends about now (the daily report shows
it). With `--speed S` it runs live next to the demo, S simulated minutes per real second, and
stores real timestamps, so the console moves; `median_response_min` is always in simulated
minutes.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import queue
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from sigap.core import webhooks
from sigap.core.errors import Conflict, SigapError
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel
from sigap.facilities.models import Facility, FacilityOperator
from sigap.referrals import services as referral_services
from sigap.regions.models import Region

from . import demo, reference, selectors, services
from .models import Agency, Assignment, Handoff, Incident, Unit

DESCRIPTION = "PSC 119 shift: calls, triage, dispatch, crews, hospital hand-offs (JSON summary)"
CATEGORY_WEIGHTS = {"medical": 55, "traffic": 25, "fire": 5, "crime": 5, "disaster": 3, "other": 7}
MOVE_EVERY_MIN = 2.0
MAX_DISPATCH_TRIES = 6
REFUSE_SHARE = 0.1  # referrals a hospital refuses (full), when another hospital is on the list


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=40, help="calls in the shift")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="simulated minutes per real second (0 = as fast as possible, in the recent past)",
    )
    parser.add_argument("--interval", type=float, default=3.0, help="mean minutes between calls")
    parser.add_argument("--area", default="", help="kab/kota code (default SIGAP_AREA_CODE)")
    parser.add_argument("--repeat-share", type=float, default=0.1, help="share of repeat calls")


class PartnerDesk:
    """The demo's partner agencies (police, fire, PMI, BPBD): their dispatch systems, played
    here. Listens on the loopback address of their webhook endpoints (set by the demo),
    takes SIGAP's signed hand-overs only when the HMAC signature with the agency's secret is
    right, and answers through SIGAP's signed partner API like a real partner would."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.agencies: dict[str, tuple[int, str]] = {}  # public id -> (pk, secret)
        self.servers: list[ThreadingHTTPServer] = []
        ports = set()
        for a in Agency.objects.filter(
            is_active=True, webhook__owner_label=demo.PARTNER_OWNER, webhook__is_active=True
        ).select_related("webhook"):
            url = urlsplit(a.webhook.url)
            if url.hostname == "127.0.0.1" and url.port:
                self.agencies[str(a.public_id)] = (a.pk, a.webhook.secret)
                ports.add(url.port)
        for port in sorted(ports):
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
            except OSError as exc:  # another simulator plays them already
                log(f"partner agencies: port {port} busy ({exc}); hand-overs wait")
                continue
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    @property
    def active(self) -> bool:
        return bool(self.servers)

    def _handler(self):
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                ref = self.path.rstrip("/").rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                agency = desk.agencies.get(ref)
                if agency is None or not webhooks.verify_signature(
                    agency[1],
                    body,
                    self.headers.get("X-Sigap-Timestamp", ""),
                    self.headers.get("X-Sigap-Signature", ""),
                ):
                    self.send_response(401)
                    self.end_headers()
                    return
                desk.inbox.put((ref, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}')

            def log_message(self, *args) -> None:
                return

        return Handler

    def received(self) -> list[tuple[str, dict]]:
        out = []
        while not self.inbox.empty():
            out.append(self.inbox.get())
        return out

    def answer(self, ref: str, incident: str, status: str) -> int:
        """Post the agency's status through the signed partner API (the real endpoint)."""
        from django.test import Client

        _pk, secret = self.agencies[ref]
        body = json.dumps({"incident": incident, "status": status}).encode()
        stamp = str(int(time.time()))
        response = Client(HTTP_HOST="127.0.0.1").post(
            f"/api/v1/emergency/partner/agencies/{ref}/status",
            data=body,
            content_type="application/json",
            HTTP_X_SIGAP_TIMESTAMP=stamp,
            HTTP_X_SIGAP_SIGNATURE=webhooks.sign(secret, stamp, body),
        )
        return response.status_code

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


class Shift:
    def __init__(self, options: dict, log: Callable[[str], None]):
        self.calls = int(options.get("calls") or 40)
        if self.calls < 1:
            raise ValueError("--calls must be at least 1")
        self.speed = float(options.get("speed") or 0.0)
        if self.speed < 0:
            raise ValueError("--speed must be >= 0")
        self.interval = max(0.1, float(options.get("interval") or 3.0))
        self.repeat_share = float(options.get("repeat_share") or 0.0)
        self.area = (options.get("area") or settings.SIGAP_AREA_CODE)[:4]
        self.rnd = random.Random(int(options.get("seed") or 1))  # noqa: S311 - simulation
        self.log = log
        self.events: list[tuple[float, int, str, dict]] = []
        self.seq = itertools.count()
        self.stats = {
            "calls": 0,
            "repeat_calls": 0,
            "incidents": 0,
            "dispatched": 0,
            "conflicts": 0,
            "errors": 0,
            "on_scene": 0,
            "transported": 0,
            "handoffs": 0,
            "bed_holds": 0,
            "referrals_accepted": 0,
            "referrals_refused": 0,
            "arrived_by_referral": 0,
            "completed": 0,
            "no_unit_waits": 0,
            "agency_handovers_received": 0,
            "agency_answers": 0,
        }
        self.response: list[float] = []
        self.to_dispatch: list[float] = []
        self.received: dict[int, float] = {}
        self.within: list[bool] = []
        self.villages = list(
            Region.objects.filter(level=4, code__startswith=self.area, latitude__isnull=False)
        )
        if not self.villages:
            raise ValueError(f"no kelurahan/desa with coordinates in area {self.area}")
        if not Unit.objects.filter(area_code__startswith=self.area).exists():
            raise ValueError(f"no ambulance units in area {self.area}: run `sigap demo` first")
        self.psc = self._actor(Role.PSC_CALL_TAKER, "sim-psc")
        self.dispatcher = self._actor(Role.DISPATCHER, "sim-dispatcher")
        self.crew = Actor.system("simulated crew")
        self.hospital_actor = Actor.system("simulated hospital")
        span = self.calls * self.interval + 240
        self.start = timezone.now() - (timedelta(minutes=span) if self.speed == 0 else timedelta(0))
        self.wall_start = time.monotonic()

    def _actor(self, role: str, label: str) -> Actor:
        user = (
            User.objects.filter(role=role, is_active=True, area_code__startswith=self.area)
            .order_by("username")
            .first()
            or User.objects.filter(role=role, is_active=True, area_code="")
            .order_by("username")
            .first()
        )
        if user is None:
            raise ValueError(f"no active {role} account for area {self.area}: run `sigap demo`")
        return Actor(user=user, channel=Channel.SIMULATION, label=f"{user.username} ({label})")

    # --- clock -----------------------------------------------------------------------------

    def at(self, t: float) -> datetime | None:
        """The timestamp services record: simulated in fast mode, real (None) when live."""
        return self.start + timedelta(minutes=t) if self.speed == 0 else None

    def push(self, t: float, kind: str, **data) -> None:
        heapq.heappush(self.events, (t, next(self.seq), kind, data))

    def wait_until(self, t: float) -> None:
        if self.speed <= 0:
            return
        delay = self.wall_start + t / self.speed - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    # --- run --------------------------------------------------------------------------------

    def run(self) -> dict:
        self.partners = PartnerDesk(self.log)
        try:
            return self._run()
        finally:
            self.partners.close()

    def _run(self) -> dict:
        t = 0.0
        for _ in range(self.calls):
            t += self.rnd.expovariate(1 / self.interval)
            self.push(t, "call")
        if self.partners.active:
            self.push(0.1, "deliver")  # hand-overs left from the demo or an earlier shift
        while self.events:
            t, _, kind, data = heapq.heappop(self.events)
            self.wait_until(t)
            try:
                getattr(self, f"on_{kind}")(t, **data)
            except Conflict as exc:
                self.stats["conflicts"] += 1
                self.log(f"conflict at {kind}: {exc.message}")
            except SigapError as exc:
                self.stats["errors"] += 1
                self.log(f"error at {kind}: {exc.code} {exc.message}")
            except Exception as exc:  # noqa: BLE001 - counted and reported, the shift goes on
                self.stats["errors"] += 1
                self.log(f"error at {kind}: {exc!r}")
            if self.speed > 0:
                close_old_connections()
        selectors.reset_unit_index()
        return self.summary(t)

    def summary(self, t: float) -> dict:
        s = dict(self.stats)
        s["median_response_min"] = (
            round(statistics.median(self.response), 1) if self.response else None
        )
        s["median_call_to_dispatch_min"] = (
            round(statistics.median(self.to_dispatch), 1) if self.to_dispatch else None
        )
        s["within_target_pct"] = (
            round(100 * sum(self.within) / len(self.within), 1) if self.within else None
        )
        s["simulated_minutes"] = round(t, 1)
        s["wall_seconds"] = round(time.monotonic() - self.wall_start, 1)
        s["area"] = self.area
        return s

    # --- events -------------------------------------------------------------------------------

    def on_call(self, t: float) -> None:
        self.stats["calls"] += 1
        # repeats only of this shift's own incidents
        open_ = list(
            Incident.objects.filter(
                pk__in=list(self.received)[-30:], status__in=services.ACTIVE_INCIDENT
            )
        )
        if open_ and self.rnd.random() < self.repeat_share:
            inc = self.rnd.choice(open_)
            found = services.find_repeats(
                phone=inc.caller_phone, area_code=self.area, now=self.at(t)
            )
            if found:
                services.add_call(
                    self.psc,
                    found[0],
                    phone=inc.caller_phone,
                    note="panggilan ulang (simulasi)",
                    now=self.at(t),
                )
                self.stats["repeat_calls"] += 1
                return
        v = self.rnd.choice(self.villages)
        category = self.rnd.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        questions = reference.triage_questions(category)
        answers = {q["key"]: True for q in questions if self.rnd.random() < 0.12}
        triage = reference.suggest_triage(category, answers)
        if self.rnd.random() < 0.03:
            triage = "hitam"
        inc = services.create_incident(
            self.psc,
            services.IncidentInput(
                latitude=v.latitude + self.rnd.uniform(-0.004, 0.004),
                longitude=v.longitude + self.rnd.uniform(-0.004, 0.004),
                caller_phone=f"08{self.rnd.randrange(10**9, 10**10)}",
                caller_name="Penelepon (simulasi)",
                category=category,
                triage=triage,
                triage_answers=answers,
                victims=self.rnd.choice([1, 1, 1, 1, 2, 3]),
                address=f"Jl. Simulasi No. {self.rnd.randint(1, 200)}, {v.name}",
                notes="[simulasi] data sintetis",
            ),
            now=self.at(t),
        )
        self.stats["incidents"] += 1
        self.received[inc.pk] = t
        if inc.agencies_needed and self.partners.active:
            self.push(t + 0.2, "deliver")  # what `sigap worker` does every few seconds
        # triage questions and the address take the call-taker a minute or two
        self.push(t + self.rnd.uniform(0.8, 2.5), "dispatch", incident=inc.pk, tries=0)

    def on_deliver(self, t: float) -> None:
        """Post the due signed hand-overs (the worker's job); the partners answer a few
        minutes later: first that they took it, then that they are on scene."""
        webhooks.deliver_due()
        for ref, message in self.partners.received():
            self.stats["agency_handovers_received"] += 1
            number = message["data"]["number"]
            for delay, status in ((self.rnd.uniform(1, 4), "diterima"), (12.0, "di lokasi")):
                self.push(t + delay, "agency", ref=ref, incident=number, status=status)

    def on_agency(self, t: float, ref: str, incident: str, status: str) -> None:
        code = self.partners.answer(ref, incident, status)
        if code != 200:
            raise SigapError(f"partner API answered {code}")
        self.stats["agency_answers"] += 1

    def on_dispatch(self, t: float, incident: int, tries: int) -> None:
        inc = Incident.objects.get(pk=incident)
        if inc.status not in (Incident.Status.OPEN, Incident.Status.HANDED_OVER):
            return
        for rec in selectors.recommend_for_incident(inc, n=3):
            unit = Unit.objects.get(pk=rec["pk"])
            try:
                a = services.assign_unit(self.dispatcher, inc, unit, now=self.at(t))
            except Conflict:
                self.stats["conflicts"] += 1  # taken meanwhile: the next recommendation
                continue
            self.stats["dispatched"] += 1
            self.to_dispatch.append(t - self.received.get(inc.pk, t))
            self.push(t + self.rnd.uniform(0.3, 1.5), "en_route", assignment=a.pk)
            return
        self.stats["no_unit_waits"] += 1
        if tries + 1 < MAX_DISPATCH_TRIES:
            self.push(t + 3.0, "dispatch", incident=incident, tries=tries + 1)
        else:
            services.close_incident(
                self.psc, inc, reason="tidak ada ambulans (simulasi)", cancel=True, now=self.at(t)
            )

    def _assignment(self, pk: int) -> Assignment | None:
        a = Assignment.objects.select_related("unit", "incident").get(pk=pk)
        return a if a.status == Assignment.Status.ACTIVE else None

    def _drive(
        self, t: float, a: Assignment, lat: float, lon: float, arrive: str, minutes: float
    ) -> None:
        """Schedule positions along the way and the arrival status."""
        self._moves(t, a.unit, lat, lon, minutes)
        self.push(t + minutes, arrive, assignment=a.pk, lat=lat, lon=lon)

    def _moves(self, t: float, u: Unit, lat: float, lon: float, minutes: float) -> None:
        """Schedule the unit's positions on the straight way to (lat, lon)."""
        steps = int(minutes // MOVE_EVERY_MIN)
        for k in range(1, steps + 1):
            f = k * MOVE_EVERY_MIN / minutes
            self.push(
                t + k * MOVE_EVERY_MIN,
                "move",
                unit=u.pk,
                lat=u.latitude + (lat - u.latitude) * f,
                lon=u.longitude + (lon - u.longitude) * f,
            )

    def _minutes(self, lat1: float, lon1: float, lat2: float, lon2: float, t: float) -> float:
        from sigap.core.travel import get_estimator

        base = float(
            get_estimator().minutes(lat1, lon1, lat2, lon2, at=self.at(t) or timezone.now())
        )
        return max(1.0, base * self.rnd.uniform(0.85, 1.3) + 1.0)

    def on_move(self, t: float, unit: int, lat: float, lon: float) -> None:
        u = Unit.objects.get(pk=unit)
        if u.status in services.ON_JOB or u.status == Unit.Status.RETURNING:
            services.update_position(self.crew, u, lat, lon, now=self.at(t))

    def on_en_route(self, t: float, assignment: int) -> None:
        a = self._assignment(assignment)
        if a is None:
            return
        services.crew_status(self.crew, a.unit, "en_route", now=self.at(t))
        inc = a.incident
        minutes = self._minutes(a.unit.latitude, a.unit.longitude, inc.latitude, inc.longitude, t)
        self._drive(t, a, inc.latitude, inc.longitude, "on_scene", minutes)

    def on_on_scene(self, t: float, assignment: int, lat: float, lon: float) -> None:
        a = self._assignment(assignment)
        if a is None:
            return
        services.crew_status(
            self.crew, a.unit, "on_scene", latitude=lat, longitude=lon, now=self.at(t)
        )
        self.stats["on_scene"] += 1
        inc = Incident.objects.select_related("village").get(pk=a.incident_id)
        if inc.on_scene_at is not None:
            response = t - self.received.get(inc.pk, t)
            self.response.append(response)
            self.within.append(response <= services.target_minutes(inc.village, inc.area_code))
        scene = self.rnd.uniform(5, 15)
        no_transport = inc.triage == "hitam" or (inc.triage == "hijau" and self.rnd.random() < 0.3)
        if no_transport:
            self.push(t + scene, "returning", assignment=a.pk)
            return
        hospitals = selectors.recommend_hospitals(inc, n=3)
        if not hospitals:
            self.push(t + scene, "returning", assignment=a.pk)
            return
        self._hand_off(t, inc, a.unit, hospitals)
        self.push(t + scene, "transport", assignment=a.pk)

    def _hand_off(self, t: float, inc: Incident, unit: Unit, hospitals: list[dict]) -> None:
        """The dispatcher hands the patient to the first recommended hospital: an emergency
        referral, which the hospital answers in its inbox a few minutes later."""
        pick = hospitals[0]
        h = Facility.objects.get(public_id=pick["id"])
        handoff = services.create_handoff(
            self.dispatcher,
            inc,
            h,
            unit=unit,
            summary="(simulasi) pasien sintetis",
            bed_class=pick["bed_class"],
            hold_bed=pick["allows_holds"] and pick["free_in_class"] > 0,
            now=self.at(t),
        )
        self.stats["handoffs"] += 1
        self.stats["bed_holds"] += bool(handoff.bed_hold_id)
        self.push(
            t + self.rnd.uniform(1, 4),
            "hospital_answer",
            handoff=handoff.pk,
            others=[x["id"] for x in hospitals[1:]],
        )

    def _hospital_actor(self, hospital: Facility) -> Actor:
        """The hospital's own operator (demo account) when it has one."""
        op = (
            FacilityOperator.objects.filter(facility=hospital, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if op is None:
            return self.hospital_actor
        return Actor(
            user=op.user, channel=Channel.SIMULATION, label=f"{op.user.username} (simulasi)"
        )

    def on_hospital_answer(self, t: float, handoff: int, others: list[str]) -> None:
        """The hospital answers the referral in its inbox; now and then it is full and refuses,
        and the dispatcher hands the patient to the next recommended hospital."""
        h = Handoff.objects.select_related("hospital", "incident", "referral", "unit").get(
            pk=handoff
        )
        if h.status != Handoff.Status.PENDING or h.referral is None:
            return
        accept = not others or self.rnd.random() >= REFUSE_SHARE
        referral_services.answer_referral(
            self._hospital_actor(h.hospital),
            h.referral,
            accept=accept,
            note="" if accept else "(simulasi) IGD penuh",
            now=self.at(t),
        )
        if accept:
            self.stats["referrals_accepted"] += 1
            return
        self.stats["referrals_refused"] += 1
        nxt = selectors.recommend_hospitals(h.incident, n=5)
        nxt = [x for x in nxt if x["id"] in others] or [
            {"id": others[0], "bed_class": "", "allows_holds": False, "free_in_class": 0}
        ]
        self._hand_off(t, h.incident, h.unit, nxt)

    def _destination(self, inc_pk: int) -> Facility | None:
        h = (
            Handoff.objects.filter(
                incident_id=inc_pk,
                status__in=[Handoff.Status.PENDING, Handoff.Status.ACKNOWLEDGED],
            )
            .select_related("hospital")
            .first()
        )
        return h.hospital if h else None

    def on_transport(self, t: float, assignment: int) -> None:
        a = self._assignment(assignment)
        if a is None:
            return
        h = self._destination(a.incident_id)
        if h is None:  # no hospital took the patient: treated on scene
            self.push(t, "returning", assignment=a.pk)
            return
        services.crew_status(self.crew, a.unit, "transporting", now=self.at(t))
        self.stats["transported"] += 1
        minutes = self._minutes(a.unit.latitude, a.unit.longitude, h.latitude, h.longitude, t)
        self._drive(t, a, h.latitude, h.longitude, "at_hospital", minutes)

    def on_at_hospital(self, t: float, assignment: int, lat: float, lon: float) -> None:
        a = self._assignment(assignment)
        if a is None:
            return
        services.crew_status(
            self.crew, a.unit, "at_hospital", latitude=lat, longitude=lon, now=self.at(t)
        )
        # an accepted referral records the arrival with the crew's status; one still
        # unanswered is received by the hospital in its inbox (accept, then arrival)
        h = (
            Handoff.objects.filter(incident_id=a.incident_id, unit=a.unit)
            .select_related("hospital", "referral")
            .order_by("-created_at", "-id")
            .first()
        )
        if h is not None and h.status == Handoff.Status.PENDING and h.referral is not None:
            hospital = self._hospital_actor(h.hospital)
            referral = referral_services.answer_referral(
                hospital, h.referral, accept=True, now=self.at(t)
            )
            referral_services.record_arrival(hospital, referral, now=self.at(t))
        if h is not None:
            h.refresh_from_db()
            self.stats["arrived_by_referral"] += h.status == Handoff.Status.ARRIVED
        self.push(t + self.rnd.uniform(8, 20), "returning", assignment=a.pk)

    def on_returning(self, t: float, assignment: int) -> None:
        a = self._assignment(assignment)
        if a is None:
            return
        u = a.unit
        services.crew_status(self.crew, u, "returning", now=self.at(t))
        self.stats["completed"] += 1
        minutes = self._minutes(u.latitude, u.longitude, u.base_latitude, u.base_longitude, t)
        self._moves(t, u, u.base_latitude, u.base_longitude, minutes)
        self.push(t + minutes, "available", unit=u.pk)

    def on_available(self, t: float, unit: int) -> None:
        u = Unit.objects.get(pk=unit)
        if u.status == Unit.Status.RETURNING:
            services.crew_status(
                self.crew,
                u,
                "available",
                latitude=u.base_latitude,
                longitude=u.base_longitude,
                now=self.at(t),
            )


def run(options: dict, log: Callable[[str], None]) -> dict:
    # The simulator plays the demo's partner agencies on loopback http: it allows loopback
    # webhooks (refused by default, sigap.core.webhooks.check_url) for its own run only.
    previous = getattr(settings, "SIGAP_WEBHOOK_ALLOW_LOOPBACK", False)
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True
    try:
        return Shift(options, log).run()
    finally:
        settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = previous
