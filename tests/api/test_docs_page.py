"""/api/docs is served from local files: the Swagger UI renders under SIGAP's own CSP."""

import pytest


def test_docs_page_links_local_assets_only(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "https://" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the live server flushes
def test_docs_page_renders_the_api(page, console_errors):
    page.goto("/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "SIGAP API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 20  # the operations are listed
    assert console_errors == []
