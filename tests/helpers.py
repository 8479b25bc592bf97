"""Helpers shared by the tests of several apps: writers released at once, and a browser login."""

import re
import threading

from django.db import connection

PASSWORD = "rahasia-uji-123"  # make_user's default password (tests/conftest.py)
LEFT_LOGIN = re.compile(r"^(?!.*/masuk/).*$")  # any page but the login page


def run_together(n: int, work, *, who: str = "a worker") -> list:
    """Run work(i) in n threads released at the same instant; returns results or exceptions.

    Each thread closes its own database connection; `who` names the threads in the failure
    message when one of them hangs.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), f"{who} hung"
    return results


def login(page, username: str, *, until=LEFT_LOGIN, clear_cookies: bool = False) -> None:
    """Sign in through the login form of a Playwright page.

    until: what page.wait_for_url waits for afterwards (a pattern or a predicate); None waits
    for the page's load state instead. clear_cookies: drop the previous user's session first.
    """
    if clear_cookies:
        page.context.clear_cookies()
    page.goto("/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    if until is None:
        page.wait_for_load_state()
    else:
        page.wait_for_url(until)
