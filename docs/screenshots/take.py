"""Take the README screenshots from a running SIGAP demo in headless Chromium.

    make demo                      # or: sigap demo --area 3374 --serve
    .venv/bin/python docs/screenshots/take.py [--base http://127.0.0.1:8000]

Writes board.png (desktop, with the map), board-phone.png, operator.png, office.png and one
screenshot per capability (dispatcher.png, referrals.png, homecare.png, coverage.png,
nutrition.png) next to this file, logging in with the demo accounts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = os.environ.get("SIGAP_DEMO_PASSWORD", "sigap-demo-2026")


CAPABILITY_PAGES = [
    ("demo-dispatcher", "/gawat-darurat/dispatcher/", "dispatcher.png"),
    ("demo-operator-rs1", "/rujukan/masuk/", "referrals.png"),
    ("demo-perawat", "/perawatan-rumah/rencana/", "homecare.png"),
    ("demo-dinkes", "/dinkes/jkn/", "coverage.png"),
    ("demo-dinkes", "/gizi/", "nutrition.png"),
]


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args()
    base, out = args.base.rstrip("/"), Path(args.out)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        def context(**kw):
            ctx = browser.new_context(locale="id-ID", **kw)
            ctx.on("console", lambda m: m.type == "error" and errors.append(m.text))
            return ctx

        desktop = context(viewport={"width": 1366, "height": 860})
        page = desktop.new_page()
        page.goto(f"{base}/tempat-tidur/?kelas=ICU")
        page.wait_for_selector("path.hospital-marker", state="attached")
        page.screenshot(path=out / "board.png")

        phone = context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = phone.new_page()
        page.goto(f"{base}/tempat-tidur/?lokasi=Pedurungan+Kidul")
        page.wait_for_selector("path.hospital-marker", state="attached")
        page.screenshot(path=out / "board-phone.png")

        staff = context(viewport={"width": 1366, "height": 1000})
        page = staff.new_page()
        login(page, base, "demo-operator-rs1")
        page.goto(f"{base}/operator/")
        page.screenshot(path=out / "operator.png")
        page.click("header form[action$='/keluar/'] button")
        login(page, base, "demo-dinkes")
        page.goto(f"{base}/dinkes/tempat-tidur/?hari=3")
        page.wait_for_selector("#chart-series svg", state="attached")
        page.screenshot(path=out / "office.png")
        for username, path, name in CAPABILITY_PAGES:
            page.click("header form[action$='/keluar/'] button")
            login(page, base, username)
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / name)
        browser.close()
    for name in ("board.png", "board-phone.png", "operator.png", "office.png",
                 *(c[2] for c in CAPABILITY_PAGES)):  # fmt: skip
        print(out / name)
    if errors:
        print("console errors:", *errors, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
