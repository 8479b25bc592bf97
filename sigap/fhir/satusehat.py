"""SATUSEHAT submission client: SIGAP records sent to Kemenkes' FHIR R4 platform.

- Token: OAuth2 client credentials as SATUSEHAT does it - POST `{auth_url}/accesstoken?
  grant_type=client_credentials` with the form fields `client_id` and `client_secret`; the
  answer's `access_token` is used until `TOKEN_MARGIN_SECONDS` before its `expires_in` (kept
  encrypted on the configuration row, so every worker shares it) and fetched anew once when
  SATUSEHAT answers 401.
- Records: facilities are registered as Organization (part of the office's organisation),
  rooms as Location, emergency hand-offs go as Encounter and child measurements as
  Observation (the child found as Patient by NIK). Resources come from `resources.py` (the
  same builders as the /fhir/ server) with SIGAP's references replaced by SATUSEHAT ids.
- Ids: `SatusehatLink` keeps the SATUSEHAT id of every record sent; a known id makes the next
  submission a PUT, so sending a record twice never creates a second resource.
- Queue: `enqueue()` writes one pending `SatusehatSubmission` per record; the worker's sweep
  `deliver_due()` sends it, retries with exponential back-off (network errors, 5xx, 429) up to
  MAX_ATTEMPTS, gives up at once on a refusal (4xx with an OperationOutcome), logs every
  attempt and alerts the admins when submissions keep failing.
NIKs never reach a log or the delivery log unmasked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import urllib3
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError

from sigap.beds import selectors as bed_selectors
from sigap.core.errors import Conflict
from sigap.core.logs import mask_niks
from sigap.core.models import Role, User
from sigap.core.notify import notify
from sigap.core.services import Actor
from sigap.core.text import clip
from sigap.core.workflow import Workflow
from sigap.emergency import selectors as emergency_selectors
from sigap.facilities.models import Facility
from sigap.nutrition import selectors as nutrition_selectors
from sigap.regions.services import mask_nik

from . import resources as r
from .models import Kind, SatusehatAttempt, SatusehatConfig, SatusehatLink, SatusehatSubmission

log = logging.getLogger("sigap.fhir.satusehat")

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
TOKEN_MARGIN_SECONDS = 300  # a token is renewed this long before SATUSEHAT expires it
TIMEOUT_SECONDS = 20
LEASE_SECONDS = 120  # a submission being sent is leased, so two workers never send it twice
ALERT_EVERY_SECONDS = 3600  # at most one "keeps failing" alert per configuration per hour
PARENT_DEPTH = 3  # facility -> parent -> ... registered first, this deep at most
FHIR_JSON = "application/fhir+json"
SYS_IDS = "http://sys-ids.kemkes.go.id"  # SATUSEHAT's identifier systems, per organisation

PENDING, DELIVERED, FAILED = SatusehatSubmission.Status
SUBMISSIONS = Workflow.of(
    "satusehat.submission",
    SatusehatSubmission,
    {PENDING: (DELIVERED, FAILED)},
    audited=False,  # the delivery log is its own record
)
_SENDER = Actor.system("satusehat")


class SatusehatError(Exception):
    """A call that did not succeed; `permanent` when sending it again cannot help."""

    def __init__(
        self, message: str, *, status: int | None = None, outcome: str = "", permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome or message
        self.permanent = permanent


def active_config() -> SatusehatConfig | None:
    return SatusehatConfig.objects.filter(is_active=True).first()


def outcome_text(body: str) -> str:
    """The readable part of an answer: an OperationOutcome's issues, else the text itself."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:1000]
    if isinstance(data, dict) and data.get("resourceType") == "OperationOutcome":
        try:
            outcome = OperationOutcome.model_validate(data)
        except ValidationError:
            return body.strip()[:1000]
        parts = []
        for issue in outcome.issue or []:
            text = issue.diagnostics or (issue.details.text if issue.details else "") or ""
            parts.append(f"{issue.severity}/{issue.code}: {text}".rstrip(": "))
        return "; ".join(parts)
    return body.strip()[:1000]


def _is_permanent(status: int) -> bool:
    # a refusal of the content; 408 and 429 are the server's state, worth another try
    return 400 <= status < 500 and status not in (401, 408, 429)


class Client:
    """Calls to one SATUSEHAT deployment; `calls` summarises each one for the delivery log."""

    def __init__(
        self,
        config: SatusehatConfig,
        http: urllib3.PoolManager | None = None,
        *,
        retrying: bool = False,
    ) -> None:
        self.config = config
        # on a retry, an earlier create may have succeeded with its answer lost: look first
        self.retrying = retrying
        self.http = http or urllib3.PoolManager(timeout=TIMEOUT_SECONDS, retries=False)
        self.calls: list[str] = []
        self.last_status: int | None = None

    def _send(
        self, method: str, url: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, Any, str]:
        try:
            response = self.http.request(
                method, url, body=body, headers=headers, redirect=False, retries=False
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise SatusehatError(f"network: {exc}") from None
        self.last_status = response.status
        return response.status, response.headers, response.data.decode(errors="replace")

    # --- token -------------------------------------------------------------------------

    def token(self, *, renew: bool = False, now: datetime | None = None) -> str:
        """The access token: the stored one while it has more than the margin left."""
        now = now or timezone.now()
        config = self.config
        margin = timedelta(seconds=TOKEN_MARGIN_SECONDS)
        if (
            not renew
            and config.access_token
            and config.token_expires_at
            and config.token_expires_at - margin > now
        ):
            return config.access_token
        url = f"{config.auth_url.rstrip('/')}/accesstoken?grant_type=client_credentials"
        body = urlencode({"client_id": config.client_id, "client_secret": config.client_secret})
        status, _headers, text = self._send(
            "POST", url, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        self.calls.append(f"POST accesstoken -> {status}")
        try:
            data = json.loads(text) if status == 200 else {}
            token = str(data["access_token"])
            expires_in = int(data.get("expires_in") or 0)  # SATUSEHAT sends it as a string
        except (ValueError, KeyError, TypeError):
            raise SatusehatError(
                _("Token SATUSEHAT tidak diperoleh (HTTP %(status)s).") % {"status": status},
                status=status,
                outcome=outcome_text(text),
                # wrong credentials stay wrong until an admin changes them
                permanent=status in (400, 401, 403),
            ) from None
        config.access_token = token
        config.token_expires_at = now + timedelta(seconds=expires_in)
        # the token is written in its own small update (encrypted); the rest of the row stays
        SatusehatConfig.objects.filter(pk=config.pk).update(
            access_token=token, token_expires_at=config.token_expires_at
        )
        return token

    # --- FHIR calls ---------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: str | None = None, *, shown: str | None = None
    ) -> tuple[int, Any, str]:
        """One FHIR call with the bearer token; on 401 the token is renewed and the call made
        once more. `shown` is the path as the delivery log may show it (NIKs masked)."""
        url = f"{self.config.fhir_url.rstrip('/')}/{path}"
        for renew in (False, True):
            headers = {
                "Authorization": f"Bearer {self.token(renew=renew)}",
                "Accept": FHIR_JSON,
            }
            if body is not None:
                headers["Content-Type"] = FHIR_JSON
            status, response_headers, text = self._send(method, url, body, headers)
            self.calls.append(f"{method} {shown or path} -> {status}")
            if status != 401:
                return status, response_headers, text
        return status, response_headers, text

    def upsert(self, kind: str, pk: int, resource: Any, part: str = "") -> SatusehatLink:
        """Create the resource (POST) or, when its SATUSEHAT id is known, update it (PUT);
        keep the id SATUSEHAT answers. The link is saved at once, so a later failure in the
        same submission cannot lead to a second create."""
        rtype = resource.get_resource_type()
        link = self.link(kind, pk, rtype, part)
        if link is None and self.retrying:
            link = self.find(kind, pk, rtype, part, resource)
        resource.id = link.satusehat_id if link else None
        body = resource.json()
        if link:
            status, headers, text = self.request("PUT", f"{rtype}/{link.satusehat_id}", body)
        else:
            status, headers, text = self.request("POST", rtype, body)
        if not 200 <= status < 300:
            raise SatusehatError(
                f"{rtype}: HTTP {status}",
                status=status,
                outcome=outcome_text(text),
                permanent=_is_permanent(status),
            )
        try:
            answer = json.loads(text)
            new_id = str(answer.get("id") or (link.satusehat_id if link else ""))
        except (ValueError, AttributeError):
            answer, new_id = {}, link.satusehat_id if link else ""
        if not new_id:
            raise SatusehatError(_("%(type)s: jawaban SATUSEHAT tanpa id.") % {"type": rtype})
        version = str((answer.get("meta") or {}).get("versionId") or headers.get("ETag") or "")
        return self.keep(kind, pk, rtype, part, new_id, version)

    def find(
        self, kind: str, pk: int, rtype: str, part: str, resource: Any
    ) -> SatusehatLink | None:
        """The resource SATUSEHAT already holds under SIGAP's identifier (sys-ids namespace),
        kept as the record's link; None when there is none or the search is not answered."""
        ours = [i for i in resource.identifier or [] if i.system.startswith(SYS_IDS)]
        if not ours:
            return None
        query = urlencode({"identifier": f"{ours[0].system}|{ours[0].value}"})
        status, _headers, text = self.request("GET", f"{rtype}?{query}")
        if status != 200:
            return None
        try:
            bundle = Bundle.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            return None
        found = [e.resource for e in bundle.entry or [] if e.resource is not None]
        if not found or not found[0].id:
            return None
        return self.keep(kind, pk, rtype, part, str(found[0].id))

    def link(self, kind: str, pk: int, rtype: str, part: str = "") -> SatusehatLink | None:
        return SatusehatLink.objects.filter(
            config=self.config, kind=kind, object_pk=pk, resource_type=rtype, part=part
        ).first()

    def keep(
        self, kind: str, pk: int, rtype: str, part: str, satusehat_id: str, version: str = ""
    ) -> SatusehatLink:
        link, _created = SatusehatLink.objects.update_or_create(
            config=self.config,
            kind=kind,
            object_pk=pk,
            resource_type=rtype,
            part=part,
            defaults={
                "satusehat_id": clip(satusehat_id, SatusehatLink, "satusehat_id"),
                "version_id": clip(version, SatusehatLink, "version_id"),
                "last_submitted_at": timezone.now(),
            },
        )
        return link

    def patient_id(self, child: Any) -> str:
        """SATUSEHAT's Patient id (IHS number) of a child, searched by NIK once and kept."""
        link = self.link(Kind.CHILD, child.pk, "Patient")
        if link:
            return link.satusehat_id
        if not child.nik:
            raise SatusehatError(
                _("Anak tanpa NIK tidak dapat dicari di SATUSEHAT."), permanent=True
            )
        query = urlencode({"identifier": f"{r.SYS_NIK}|{child.nik}"})
        shown = f"Patient?identifier=nik|{mask_nik(child.nik)}"
        status, _headers, text = self.request("GET", f"Patient?{query}", shown=shown)
        if status != 200:
            raise SatusehatError(
                f"Patient: HTTP {status}",
                status=status,
                outcome=outcome_text(text),
                permanent=_is_permanent(status),
            )
        try:
            bundle = Bundle.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            raise SatusehatError(_("Patient: jawaban SATUSEHAT bukan Bundle.")) from None
        found = [e.resource for e in bundle.entry or [] if e.resource is not None]
        if not found:
            raise SatusehatError(
                _("Pasien dengan NIK %(nik)s tidak ditemukan di SATUSEHAT.")
                % {"nik": mask_nik(child.nik)},
                status=status,
                permanent=True,
            )
        return self.keep(Kind.CHILD, child.pk, "Patient", "", str(found[0].id)).satusehat_id


# --- the records -------------------------------------------------------------------------


def _identifier(config: SatusehatConfig, rtype: str, value: str) -> Identifier:
    """SATUSEHAT's identifier of a resource of this organisation (sys-ids namespace)."""
    return Identifier(
        use="official", system=f"{SYS_IDS}/{rtype.lower()}/{config.organization_id}", value=value
    )


def _org_reference(satusehat_id: str, display: str = "") -> Reference:
    return Reference(reference=f"Organization/{satusehat_id}", display=display or None)


def _facilities():
    return Facility.objects.select_related("kind", "parent", "village__parent__parent__parent")


def _facility(facility_pk: int) -> Facility:
    facility = _facilities().filter(pk=facility_pk).first()
    if facility is None:
        raise SatusehatError(_("Fasilitas tidak ditemukan."), permanent=True)
    return facility


def organization_id(client: Client, facility: Facility, depth: int = 0) -> str:
    """The facility's SATUSEHAT Organization id, registering it (and its parents) first."""
    link = client.link(Kind.FACILITY, facility.pk, "Organization")
    if link:
        return link.satusehat_id
    return register_facility(client, facility, depth).satusehat_id


def register_facility(client: Client, facility: Facility, depth: int = 0) -> SatusehatLink:
    resource = r.organization(facility)
    resource.identifier = [
        _identifier(client.config, "Organization", str(facility.public_id)),
        *(resource.identifier or []),
    ]
    parent_id = client.config.organization_id
    if facility.parent_id and depth < PARENT_DEPTH:
        parent_id = organization_id(client, _facility(facility.parent_id), depth + 1)
    resource.partOf = _org_reference(parent_id)
    return client.upsert(Kind.FACILITY, facility.pk, resource)


def send_facility(client: Client, pk: int) -> None:
    register_facility(client, _facility(pk))


def send_room(client: Client, pk: int) -> None:
    room = bed_selectors.rooms_of_active_facilities().filter(pk=pk).first()
    if room is None:
        raise SatusehatError(_("Ruang tidak ditemukan atau fasilitasnya nonaktif."), permanent=True)
    resource = r.location(room)
    resource.identifier = [
        _identifier(client.config, "Location", str(room.public_id)),
        *(resource.identifier or []),
    ]
    org = organization_id(client, _facility(room.facility_id))
    resource.managingOrganization = _org_reference(org, room.facility.name)
    client.upsert(Kind.ROOM, room.pk, resource)


def send_handoff(client: Client, pk: int) -> None:
    handoff = emergency_selectors.handoffs_for_exchange().filter(pk=pk).first()
    if handoff is None:
        raise SatusehatError(_("Serah terima tidak ditemukan."), permanent=True)
    resource = r.encounter(handoff)
    resource.identifier = [
        _identifier(client.config, "Encounter", str(handoff.public_id)),
        *(resource.identifier or []),
    ]
    org = organization_id(client, _facility(handoff.hospital_id))
    resource.serviceProvider = _org_reference(org, handoff.hospital.name)
    resource.basedOn = None  # referrals are not submitted: SATUSEHAT would not know the id
    client.upsert(Kind.HANDOFF, handoff.pk, resource)


def send_measurement(client: Client, pk: int) -> None:
    measurement = nutrition_selectors.measurements_for_exchange().filter(pk=pk).first()
    if measurement is None:
        raise SatusehatError(_("Pengukuran tidak ditemukan."), permanent=True)
    patient = client.patient_id(measurement.child)
    performer = None
    if measurement.posyandu_id:
        performer = organization_id(client, _facility(measurement.posyandu_id))
    sent: dict[str, str] = {}
    # measured values first, so that z-scores can point at their SATUSEHAT ids
    for kind in r.observation_kinds(measurement):
        resource = r.observation(measurement, kind)
        resource.identifier = [
            _identifier(client.config, "Observation", r.observation_id(measurement, kind))
        ]
        resource.subject = Reference(reference=f"Patient/{patient}")
        resource.performer = (
            [_org_reference(performer, measurement.posyandu.name)] if performer else None
        )
        if resource.derivedFrom:
            sources = [ref.reference.rsplit(".", 1)[-1] for ref in resource.derivedFrom]
            resource.derivedFrom = [
                Reference(reference=f"Observation/{sent[k]}") for k in sources if k in sent
            ] or None
        sent[kind] = client.upsert(Kind.MEASUREMENT, measurement.pk, resource, kind).satusehat_id


SENDERS: dict[str, Callable[[Client, int], None]] = {
    Kind.FACILITY: send_facility,
    Kind.ROOM: send_room,
    Kind.HANDOFF: send_handoff,
    Kind.MEASUREMENT: send_measurement,
}


# --- queue --------------------------------------------------------------------------------


def enqueue(
    kind: str, pk: int, *, label: str = "", config: SatusehatConfig | None = None
) -> SatusehatSubmission | None:
    """Queue one record; the pending submission already queued for it when there is one.
    None when no configuration is active (nothing to send to)."""
    if kind not in SENDERS:
        raise ValueError(f"not a record SATUSEHAT takes: {kind!r}")
    config = config or active_config()
    if config is None:
        return None
    pending = SatusehatSubmission.objects.filter(
        config=config, kind=kind, object_pk=pk, status=PENDING
    )
    if existing := pending.first():
        return existing
    if not label and (obj := records(kind).filter(pk=pk).first()) is not None:
        label = label_of(kind, obj)
    try:
        with transaction.atomic():
            return SatusehatSubmission.objects.create(
                config=config,
                kind=kind,
                object_pk=pk,
                label=clip(label, SatusehatSubmission, "label"),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return pending.first()  # queued by someone else meanwhile


def retry_delay(attempts: int) -> timedelta:
    """60 s, 120 s, 240 s, ... capped at an hour."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def attempt(
    submission: SatusehatSubmission,
    now: datetime | None = None,
    http: urllib3.PoolManager | None = None,
) -> SatusehatSubmission:
    """Send a claimed submission once and record the outcome."""
    now = now or timezone.now()
    client = Client(submission.config, http=http, retrying=submission.attempts > 0)
    error: SatusehatError | None = None
    try:
        SENDERS[submission.kind](client, submission.object_pk)
    except SatusehatError as exc:
        error = exc
    except Exception:  # a record SIGAP cannot build: retrying will not help, nor loop forever
        log.exception("SATUSEHAT %s could not be built", submission)
        error = SatusehatError(
            _("Data tidak dapat disusun menjadi sumber daya FHIR."), permanent=True
        )
    attempts = submission.attempts + 1
    summary = clip("; ".join(client.calls), SatusehatSubmission, "summary")
    status_code = error.status if error else client.last_status
    # SATUSEHAT may echo what it was sent: no NIK is kept unmasked
    outcome = "" if error is None else mask_niks(str(error.outcome))
    SatusehatAttempt.objects.create(
        submission=submission,
        at=now,
        requests=clip(summary, SatusehatAttempt, "requests"),
        status_code=status_code,
        ok=error is None,
        outcome=outcome,
    )
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": status_code,
        "summary": summary,
        "outcome": outcome,
    }
    if error is None:
        SUBMISSIONS.move(_SENDER, submission, DELIVERED, changes={**changes, "delivered_at": now})
    elif error.permanent or attempts >= MAX_ATTEMPTS:
        SUBMISSIONS.move(_SENDER, submission, FAILED, changes=changes)
        log.warning("SATUSEHAT %s gave up after %s attempt(s): %s", submission, attempts, error)
        alert(submission.config, now)
    else:
        changes["next_attempt_at"] = now + retry_delay(attempts)
        for name, value in changes.items():
            setattr(submission, name, value)
        submission.save(update_fields=[*changes, "updated_at"])
    return submission


def deliver_due(
    now: datetime | None = None, limit: int = 50, http: urllib3.PoolManager | None = None
) -> int:
    """Send every pending submission whose time has come; returns how many were attempted."""
    now = now or timezone.now()
    due = SatusehatSubmission.objects.filter(
        status=PENDING, next_attempt_at__lte=now, config__is_active=True
    ).order_by("next_attempt_at", "pk")
    done = 0
    for pk, seen in due.values_list("pk", "next_attempt_at")[:limit]:
        lease = now + timedelta(seconds=LEASE_SECONDS)
        # compare-and-set on the time we saw: only one worker wins the lease
        if not SatusehatSubmission.objects.filter(
            pk=pk, status=PENDING, next_attempt_at=seen
        ).update(next_attempt_at=lease):
            continue
        submission = SatusehatSubmission.objects.select_related("config").get(pk=pk)
        try:
            attempt(submission, now, http=http)
        except Conflict:
            continue  # finished elsewhere meanwhile
        done += 1
    return done


def alert(config: SatusehatConfig, now: datetime | None = None) -> int:
    """Tell the admins that submissions keep failing: at most once an hour per
    configuration (an atomic cache add, shared by every worker). Returns notices written."""
    if not cache.add(f"sigap:satusehat:alert:{config.pk}", 1, timeout=ALERT_EVERY_SECONDS):
        return 0
    now = now or timezone.now()
    failed = SatusehatSubmission.objects.filter(
        config=config, status=FAILED, updated_at__gte=now - timedelta(days=1)
    ).count()
    admins = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
    return notify(
        admins,
        kind="satusehat.failing",
        title=_("Pengiriman ke SATUSEHAT gagal"),
        body=_("%(n)s pengiriman gagal dalam 24 jam terakhir; lihat log pengiriman.")
        % {"n": failed},
        link=reverse("admin:fhir_satusehatsubmission_changelist") + "?status__exact=failed",
        ref=f"satusehat:{config.pk}",
    )


# --- what to queue ------------------------------------------------------------------------


def label_of(kind: str, obj: Any) -> str:
    """A label for the delivery log without personal data."""
    if kind == Kind.FACILITY:
        return obj.name
    if kind == Kind.ROOM:
        return f"{obj.facility.name} - {obj.code}"
    if kind == Kind.HANDOFF:
        return f"{obj.incident.number} -> {obj.hospital.name}"
    return f"{obj.measured_on} ({obj.public_id})"


def records(kind: str, since: datetime | None = None, until: datetime | None = None) -> Any:
    """The records of one kind that SATUSEHAT takes, changed in (since, until] if given."""
    qs = {
        Kind.FACILITY: lambda: _facilities().filter(is_active=True),
        Kind.ROOM: lambda: bed_selectors.rooms_of_active_facilities(),
        Kind.HANDOFF: lambda: emergency_selectors.handoffs_for_exchange(),
        Kind.MEASUREMENT: lambda: nutrition_selectors.measurements_for_exchange(),
    }[kind]()
    if since is not None:
        qs = qs.filter(updated_at__gt=since)
    if until is not None:
        qs = qs.filter(updated_at__lte=until)
    return qs.order_by("pk")


def queue_all(kind: str, since: datetime | None = None) -> int:
    """Queue every record of a kind (changed since `since`); returns how many are pending."""
    config = active_config()
    if config is None:
        return 0
    return sum(
        enqueue(kind, obj.pk, label=label_of(kind, obj), config=config) is not None
        for obj in records(kind, since).iterator(chunk_size=500)
    )


def queue_changes(now: datetime | None = None) -> int:
    """The sweep: queue facilities, hand-offs and measurements changed since the last sweep,
    and rooms never registered (a room's free beds change all day; an admin resends them
    with `sigap satusehat queue room`). The first sweep only starts the clock."""
    config = active_config()
    if config is None:
        return 0
    now = now or timezone.now()
    since = config.changes_seen_at
    queued = 0
    if since is not None:
        for kind in (Kind.FACILITY, Kind.HANDOFF, Kind.MEASUREMENT):
            for obj in records(kind, since, now).iterator(chunk_size=500):
                queued += (
                    enqueue(kind, obj.pk, label=label_of(kind, obj), config=config) is not None
                )
        known = SatusehatLink.objects.filter(config=config, kind=Kind.ROOM).values("object_pk")
        for room in records(Kind.ROOM).exclude(pk__in=known).iterator(chunk_size=500):
            queued += (
                enqueue(Kind.ROOM, room.pk, label=label_of(Kind.ROOM, room), config=config)
                is not None
            )
    SatusehatConfig.objects.filter(pk=config.pk).update(changes_seen_at=now)
    return queued
