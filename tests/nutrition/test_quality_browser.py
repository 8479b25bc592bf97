"""The data-quality view in headless Chromium: the dashboard shows it beside the prevalence,
its link opens the full page, the posyandu that needs a visit is listed and its own view
opens from the list; the filters reload the page; no console or CSP errors."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import login
from tests.nutrition.test_quality import measured  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_dashboard_shows_quality_and_the_posyandu_to_visit(
    page,
    analyst,
    measured,  # noqa: F811
    console_errors,
):
    login(page, analyst.username)
    page.goto("/gizi/?bulan=2026-01&tingkat=posyandu")
    section = page.locator("#quality-summary")
    expect(section).to_be_visible()
    expect(section.locator("h2")).to_contain_text("Mutu data pengukuran")
    mawar = section.locator("tr[data-verdict='visit']")
    expect(mawar).to_contain_text("Posyandu Mawar")
    expect(section.locator("tr[data-verdict='good']")).to_contain_text("Posyandu Melati")
    # prevalence with its 95% interval beside the verdict
    expect(section.locator("tr[data-verdict='good'] td").nth(2)).to_contain_text(
        re.compile(r"%.*–")
    )
    page.click("#quality-link")
    expect(page).to_have_url(re.compile(r"/gizi/mutu-data/\?bulan=2026-01"))
    page.select_option("select[name=periode]", "1")
    page.click("#quality-filters button[type=submit]")
    visit = page.locator("#quality-visit")
    expect(visit).to_contain_text("Posyandu Mawar")
    expect(visit).not_to_contain_text("Posyandu Melati")
    visit.get_by_role("link", name="Posyandu Mawar").click()
    expect(page.locator("h1")).to_contain_text("Posyandu Mawar")
    expect(page.locator("#quality-total [data-verdict]")).to_have_attribute("data-verdict", "visit")
    expect(page.locator("#quality-months tr[data-month='2026-01']")).to_contain_text("40")
