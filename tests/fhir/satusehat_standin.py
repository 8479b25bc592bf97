"""A local stand-in for SATUSEHAT: the token endpoint and the FHIR endpoints the submission
client uses, as public SATUSEHAT client code calls them. Every resource it receives is
validated with fhir.resources (R4B); references to Organization and Patient must name ids
it issued. Failures are scripted per resource type (`fail`), tokens can be expired
(`expire_tokens`)."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

CLIENT_ID = "sigap-client"
CLIENT_SECRET = "rahasia-satusehat"
NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"


def outcome(code: str, text: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "details": {"text": text}}],
    }


@dataclass
class Scripted:
    status: int
    body: dict
    times: int


@dataclass
class StandIn:
    base: str = ""
    expires_in: str = "14399"  # SATUSEHAT sends it as a string
    tokens: set[str] = field(default_factory=set)
    token_calls: int = 0
    store: dict[str, dict[str, dict]] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)  # NIK -> Patient id
    log: list[tuple[str, str, int]] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    scripts: dict[str, list[Scripted]] = field(default_factory=dict)
    lose_answers: dict[str, int] = field(default_factory=dict)  # stored, then answered 504
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, rtype: str, status: int, times: int = 1, text: str = "scripted") -> None:
        """The next `times` calls on `rtype` answer `status` (an OperationOutcome)."""
        self.scripts.setdefault(rtype, []).append(
            Scripted(status, outcome("processing" if status < 500 else "exception", text), times)
        )

    def lose_answer(self, rtype: str, times: int = 1) -> None:
        """The next `times` creates of `rtype` are stored but answered 504 (a lost answer)."""
        self.lose_answers[rtype] = times

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def resources(self, rtype: str) -> list[dict]:
        return list(self.store.get(rtype, {}).values())

    def add_patient(self, nik: str) -> str:
        pid = f"P{next(self._counter):08d}"
        self.patients[nik] = pid
        self.store.setdefault("Patient", {})[pid] = {"resourceType": "Patient", "id": pid}
        return pid


def _handler(state: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
            with state.lock:
                state.log.append((self.command, urlsplit(self.path).path, status))

        def _body(self) -> str:
            n = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(n).decode() if n else ""
            state.bodies.append(self.path + " " + text)
            return text

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer ") and auth[7:] in state.tokens:
                return True
            self._answer(401, outcome("login", "Access token expired"))
            return False

        def _scripted(self, rtype: str) -> bool:
            queue = state.scripts.get(rtype) or []
            if not queue:
                return False
            step = queue[0]
            step.times -= 1
            if step.times <= 0:
                queue.pop(0)
            self._answer(step.status, step.body)
            return True

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/auth/accesstoken":
                self._token(parts)
                return
            self._write(parts.path, "POST")

        def do_PUT(self) -> None:
            self._write(urlsplit(self.path).path, "PUT")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._body()
            if not self._authorised():
                return
            ident = parse_qs(parts.query).get("identifier", [""])[0]
            rtype = parts.path.removeprefix("/fhir/")
            if rtype != "Patient" and rtype in state.store:
                self._by_identifier(rtype, ident)
                return
            if parts.path != "/fhir/Patient":
                self._answer(404, outcome("not-found", "unknown path"))
                return
            if self._scripted("Patient"):
                return
            system, _sep, nik = ident.partition("|")
            entries = []
            if system == NIK_SYSTEM and nik in state.patients:
                pid = state.patients[nik]
                entries.append({"fullUrl": f"{state.base}/fhir/Patient/{pid}",
                                "resource": {"resourceType": "Patient", "id": pid}})  # fmt: skip
            self._answer(200, {"resourceType": "Bundle", "type": "searchset",
                               "total": len(entries), "entry": entries})  # fmt: skip

        def _by_identifier(self, rtype: str, ident: str) -> None:
            system, _sep, value = ident.partition("|")
            entries = [
                {"resource": data}
                for data in state.store[rtype].values()
                if any(i.get("system") == system and i.get("value") == value
                       for i in data.get("identifier") or [])
            ]  # fmt: skip
            self._answer(200, {"resourceType": "Bundle", "type": "searchset",
                               "total": len(entries), "entry": entries})  # fmt: skip

        def _token(self, parts) -> None:
            form = parse_qs(self._body())
            grant = parse_qs(parts.query).get("grant_type", [""])[0]
            if (
                grant != "client_credentials"
                or form.get("client_id") != [CLIENT_ID]
                or form.get("client_secret") != [CLIENT_SECRET]
            ):
                self._answer(401, {"fault": {"faultstring": "Invalid client credentials"}})
                return
            with state.lock:
                state.token_calls += 1
                token = f"tok-{state.token_calls}"
                state.tokens.add(token)
            self._answer(200, {"access_token": token, "token_type": "BearerToken",
                               "expires_in": state.expires_in, "status": "approved",
                               "client_id": CLIENT_ID})  # fmt: skip

        def _refs_known(self, data: dict) -> str:
            """A reference to an Organization or Patient the stand-in never issued."""
            refs = []
            for key in ("partOf", "managingOrganization", "serviceProvider", "subject"):
                if isinstance(data.get(key), dict):
                    refs.append(data[key].get("reference", ""))
            refs += [p.get("reference", "") for p in data.get("performer") or []]
            for ref in refs:
                rtype, _sep, rid = ref.partition("/")
                if rtype == "Organization" and rid == "office-org":
                    continue
                if rtype in ("Organization", "Patient") and rid not in state.store.get(rtype, {}):
                    return ref
            return ""

        def _write(self, path: str, method: str) -> None:
            text = self._body()
            if not self._authorised():
                return
            segments = path.strip("/").split("/")
            if segments[0] != "fhir" or len(segments) not in (2, 3):
                self._answer(404, outcome("not-found", "unknown path"))
                return
            rtype = segments[1]
            if self._scripted(rtype):
                return
            if self.headers.get("Content-Type") != "application/fhir+json":
                self._answer(415, outcome("not-supported", "content type"))
                return
            try:
                data = json.loads(text)
                get_fhir_model_class(rtype).model_validate(data)
            except (ValueError, ValidationError, KeyError) as exc:
                self._answer(400, outcome("invalid", f"invalid {rtype}: {str(exc)[:200]}"))
                return
            if data.get("resourceType") != rtype:
                self._answer(400, outcome("invalid", "resourceType does not match the path"))
                return
            if bad := self._refs_known(data):
                self._answer(400, outcome("not-found", f"reference {bad} not found"))
                return
            with state.lock:
                kept = state.store.setdefault(rtype, {})
                if method == "POST":
                    if len(segments) != 2 or data.get("id"):
                        self._answer(400, outcome("invalid", "POST takes no id"))
                        return
                    rid, version, status = str(uuid.uuid4()), 1, 201
                else:
                    rid = segments[2] if len(segments) == 3 else ""
                    if rid not in kept:
                        self._answer(404, outcome("not-found", f"{rtype}/{rid} not found"))
                        return
                    if data.get("id") != rid:
                        self._answer(400, outcome("invalid", "id does not match the path"))
                        return
                    version, status = int(kept[rid]["meta"]["versionId"]) + 1, 200
                data["id"] = rid
                data["meta"] = {"versionId": str(version)}
                kept[rid] = data
                lost = method == "POST" and state.lose_answers.get(rtype, 0) > 0
                if lost:
                    state.lose_answers[rtype] -= 1
            if lost:
                self._answer(504, outcome("timeout", "gateway timeout"))
                return
            self._answer(status, data, {"ETag": f'W/"{version}"'})

    return Handler


class Server:
    def __init__(self) -> None:
        self.state = StandIn()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.state.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self.state

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
