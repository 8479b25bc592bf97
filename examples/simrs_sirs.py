#!/usr/bin/env python3
"""Speak Kemenkes SIRS Online (RS Online bed availability) to SIGAP as a SIMRS bridge does.

Standard library only. Headers X-rs-id, X-Timestamp (Unix seconds) and X-pass (here the MD5
of the password; public bridges send the password itself, which SIGAP accepts too unless
SIGAP_SIRS_XPASS_FORMS says otherwise); POST creates a bed row, GET lists them (with the id_t_tt
a bridge keeps), PUT updates by id_t_tt, DELETE removes. Prints every answer; exits 1 on any
failure.

    python examples/simrs_sirs.py --base-url http://127.0.0.1:8000 \\
        --rs-id 3374999 --password 'the password'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request


class SirsError(Exception):
    pass


def call(args: argparse.Namespace, method: str, body: dict | None = None) -> list[dict]:
    url = args.base_url.rstrip("/") + "/fo/index.php/Fasyankes"
    headers = {
        "X-rs-id": args.rs_id,
        "X-Timestamp": str(int(time.time())),
        "X-pass": hashlib.md5(args.password.encode(), usedforsecurity=False).hexdigest(),
        "Content-Type": "application/json",
    }
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - http(s) checked
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
    except urllib.error.URLError as exc:
        raise SirsError(f"{method}: {exc.reason}") from exc
    try:
        rows = json.loads(raw)["fasyankes"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SirsError(f"{method}: unexpected answer {raw[:200]!r}") from exc
    print(f"{method} -> {json.dumps(rows, ensure_ascii=False)}")
    return rows


def ok(rows: list[dict]) -> dict:
    if not rows or str(rows[0].get("status")) != "200":
        raise SirsError(f"refused: {rows}")
    return rows[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--rs-id", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    if not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must be an http:// or https:// URL")
    # SIRS bodies carry numbers as strings (covid as a number, as bridges send it).
    bed = {
        "id_tt": "5", "ruang": "SIMRS Melati", "jumlah_ruang": "1", "jumlah": "24",
        "terpakai": "18", "prepare": "1", "prepare_plan": "0", "antrian": "2", "covid": 0,
    }  # fmt: skip
    nicu = dict(bed, id_tt="10", ruang="SIMRS NICU", jumlah="6", terpakai="5", prepare="0")
    try:
        for row in (bed, nicu):
            ok(call(args, "POST", row))
        listed = {(r["id_tt"], r["ruang"]): r for r in call(args, "GET")}
        melati = listed.get(("5", "SIMRS Melati"))
        if melati is None or melati["kosong"] != "5":
            raise SirsError(f"GET does not show the bed as sent: {melati}")
        ok(call(args, "PUT", dict(bed, id_t_tt=melati["id_t_tt"], terpakai="20")))
        listed = {(r["id_tt"], r["ruang"]): r for r in call(args, "GET")}
        if listed[("5", "SIMRS Melati")]["kosong"] != "3":
            raise SirsError("PUT did not change the numbers")
        ok(call(args, "DELETE", {"id_t_tt": listed[("10", "SIMRS NICU")]["id_t_tt"]}))
        if ("10", "SIMRS NICU") in {(r["id_tt"], r["ruang"]) for r in call(args, "GET")}:
            raise SirsError("deleted bed row is still listed")
    except SirsError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("OK: created, listed, updated and deleted bed rows through SIRS Online")
    return 0


if __name__ == "__main__":
    sys.exit(main())
