"""Every user-visible string of the home-care app is a Bahasa Indonesia msgid with English in
the catalogue (sigap/locale/en/LC_MESSAGES/django.po); danger signs are shown as labels, never
as codes."""

import re
from pathlib import Path

from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import Escalation, Visit
from tests.catalogue import english

from .conftest import client_as
from .test_services import DAY, _active_plan

APP = Path(services.__file__).parent.parent  # services is a package inside the app
TEMPLATE_MSG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
BLOCK_MSG = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", re.S)
PY_MSG = re.compile(r"""\b(?:_|gettext_lazy|gettext)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")


def _msgids() -> set[str]:
    found = set()
    for path in (APP / "templates").rglob("*.html"):
        text = path.read_text()
        found |= {m.group(2) for m in TEMPLATE_MSG.finditer(text)}
        found |= {
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1)) for m in BLOCK_MSG.finditer(text)
        }
    for path in [*APP.glob("*.py"), *(APP / "services").glob("*.py")]:
        found |= {m.group(1) for m in PY_MSG.finditer(path.read_text())}
    return found


def test_every_msgid_of_the_app_has_english():
    msgids = _msgids()
    assert len(msgids) > 250  # the scan found the app's strings
    assert sorted(m for m in msgids if m not in english()) == []


def test_danger_sign_labels_are_msgids_with_english():
    for label in [*services.DANGER_SIGNS.values(), *services.VITAL_SIGNS.values()]:
        assert str(label) in english(), label
    assert services.sign_labels(["nyeri_dada", "tekanan_darah"]) == [
        "Nyeri dada", "Tekanan darah berbahaya"
    ]  # fmt: skip


def test_visit_page_and_inbox_show_danger_sign_labels(actor, staff, roster, puskesmas):
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit = Visit.objects.get(care_plan=plan)
    services.record_visit(
        Actor(roster["nurse"].user, "web"), visit,
        services.RecordInput(outcome="worse", spo2=88, danger_signs=["kejang"]),
    )  # fmt: skip
    Escalation.objects.update(status="open", handed_to="")
    c = client_as(staff)
    page = c.get(f"/perawatan-rumah/kunjungan/{visit.public_id}/").content.decode()
    assert "Kejang" in page and "Saturasi oksigen rendah" in page
    assert "saturasi_rendah" not in page
    inbox = c.get("/perawatan-rumah/puskesmas/").content.decode()
    assert "Kejang, Saturasi oksigen rendah" in inbox and "saturasi_rendah" not in inbox
