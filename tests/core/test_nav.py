import pytest
from django.urls import reverse

from sigap.core import nav

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        ("hospital_operator", "/rujukan/masuk/", "/dinkes/jkn/"),
        ("dispatcher", "/gawat-darurat/dispatcher/", "/operator/"),
        ("analyst", "/dinkes/jkn/", "/gawat-darurat/kru/"),
        ("puskesmas_staff", "/perawatan-rumah/puskesmas/", "/dinkes/rujukan/"),
    ],
)
def test_each_role_sees_its_pages(make_user, client, role, expected, absent):
    user = make_user(f"u-{role}", role)
    links = [url for url, _label in nav.items_for(user)]
    assert expected in links and absent not in links
    client.force_login(user)
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == reverse(nav.ROLE_HOME[role])
    page = client.get("/tempat-tidur/")  # any page shows the role's menu
    assert f'href="{expected}"' in page.content.decode()


def test_the_public_sees_public_services_only(client):
    page = client.get("/tempat-tidur/").content.decode()
    for url in ("/sos/", "/cek-jkn/", "/perawatan-rumah/minta/"):
        assert f'href="{url}"' in page
    assert 'href="/operator/"' not in page
