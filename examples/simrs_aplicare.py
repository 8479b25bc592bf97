#!/usr/bin/env python3
"""Speak BPJS Aplicare to SIGAP as a hospital's SIMRS bridge does.

Standard library only. Signs every request with X-cons-id, X-timestamp and
X-signature = base64(HMAC-SHA256(secret, "consid&timestamp")), sends bed numbers as strings,
updates a room and creates it when Aplicare answers "Data tidak ada di database", reads the
rooms back page by page and deletes one. Prints every answer; exits 1 on any failure.

    python examples/simrs_aplicare.py --base-url http://127.0.0.1:8000 \\
        --kodeppk 0901R001 --cons-id 1001 --secret 'the secret'

A real bridge points --base-url at BPJS (https://new-api.bpjs-kesehatan.go.id) or at SIGAP:
nothing else changes.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request


class AplicareError(Exception):
    pass


class Aplicare:
    def __init__(self, base_url: str, kodeppk: str, cons_id: str, secret: str):
        self.base = base_url.rstrip("/") + "/aplicaresws/rest/"
        self.kodeppk, self.cons_id, self.secret = kodeppk, cons_id, secret

    def _headers(self) -> dict[str, str]:
        stamp = str(int(time.time()))
        digest = hmac.new(
            self.secret.encode(), f"{self.cons_id}&{stamp}".encode(), hashlib.sha256
        ).digest()
        return {
            "X-cons-id": self.cons_id,
            "X-timestamp": stamp,
            "X-signature": base64.b64encode(digest).decode(),
            # As many bridges write it; the server must not care.
            "Content-Type": "Application/JSON",
            "Accept": "application/json",
        }

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(  # noqa: S310 - http(s) checked in main()
            self.base + path, data=data, method=method, headers=self._headers()
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            print(f"{method} {path} -> HTTP {exc.code}")
        except urllib.error.URLError as exc:
            raise AplicareError(f"{method} {path}: {exc.reason}") from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise AplicareError(f"{method} {path}: not JSON: {raw[:200]!r}") from exc
        meta = answer.get("metadata") or answer.get("metaData") or {}
        print(f"{method} {path} -> {json.dumps(answer, ensure_ascii=False)}")
        return {"code": str(meta.get("code")), "message": meta.get("message"), **answer}

    def kelas(self) -> list[dict]:
        answer = self.call("GET", "ref/kelas")
        self._ok(answer)
        return answer["response"]["list"]

    def push(self, room: dict) -> str:
        """Update the room; create it when the server does not know it (the usual bridge)."""
        answer = self.call("POST", f"bed/update/{self.kodeppk}", room)
        if answer["code"] == "1":
            return "updated"
        if "tidak ada" in str(answer["message"]).lower():
            self._ok(self.call("POST", f"bed/create/{self.kodeppk}", room))
            return "created"
        raise AplicareError(f"update {room['koderuang']}: {answer['message']}")

    def read_all(self, page_size: int = 2) -> list[dict]:
        rows: list[dict] = []
        start = 1
        while True:
            answer = self.call("GET", f"bed/read/{self.kodeppk}/{start}/{page_size}")
            self._ok(answer)
            page = answer["response"]["list"]
            rows.extend(page)
            start += len(page)
            if not page or start > int(answer["response"]["totalitems"]):
                return rows

    def delete(self, kodekelas: str, koderuang: str) -> None:
        body = {"kodekelas": kodekelas, "koderuang": koderuang}
        self._ok(self.call("POST", f"bed/delete/{self.kodeppk}", body))

    @staticmethod
    def _ok(answer: dict) -> None:
        if answer["code"] != "1":
            raise AplicareError(f"code {answer['code']}: {answer['message']}")


def room(kodekelas: str, koderuang: str, namaruang: str, kapasitas: int, tersedia: int) -> dict:
    # Aplicare bodies carry numbers as strings.
    return {
        "kodekelas": kodekelas,
        "koderuang": koderuang,
        "namaruang": namaruang,
        "kapasitas": str(kapasitas),
        "tersedia": str(tersedia),
        "tersediapria": "0",
        "tersediawanita": "0",
        "tersediapriawanita": "0",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--kodeppk", required=True)
    parser.add_argument("--cons-id", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    if not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must be an http:// or https:// URL")
    client = Aplicare(args.base_url, args.kodeppk, args.cons_id, args.secret)
    rooms = [
        room("KL3", "SIMRS-MAWAR", "Bangsal Mawar", 20, 5),
        room("ICU", "SIMRS-ICU", "ICU Lantai 2", 6, 1),
        room("VIP", "SIMRS-ANGGREK", "Anggrek VIP", 4, 2),
    ]
    try:
        codes = {row["kodekelas"] for row in client.kelas()}
        missing = {r["kodekelas"] for r in rooms} - codes
        if missing:
            raise AplicareError(f"ref/kelas lacks {sorted(missing)}")
        for r in rooms:  # unknown rooms: update answers "Data tidak ada", then create
            print("  ->", r["koderuang"], client.push(r))
        rooms[0]["tersedia"] = "3"  # a discharge and two admissions later
        for r in rooms:
            print("  ->", r["koderuang"], client.push(r))
        listed = {(r["kodekelas"], r["koderuang"]): r for r in client.read_all()}
        for r in rooms:
            got = listed.get((r["kodekelas"], r["koderuang"]))
            if got is None or str(got["tersedia"]) != r["tersedia"]:
                raise AplicareError(f"read does not show {r['koderuang']} as sent: {got}")
        client.delete("VIP", "SIMRS-ANGGREK")
        left = {r["koderuang"] for r in client.read_all()}
        if "SIMRS-ANGGREK" in left:
            raise AplicareError("deleted room is still listed")
    except AplicareError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("OK: created, updated, read and deleted rooms through Aplicare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
