"""Every user-visible string of the emergency app is a Bahasa Indonesia msgid with English in
the catalogue, sigap/locale/en/LC_MESSAGES/django.po."""

import re
from pathlib import Path

from sigap.emergency import services
from tests.catalogue import english

APP = Path(services.__file__).parent.parent  # services is a package inside the app
TEMPLATE_MSG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
BLOCK_MSG = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", re.S)
# _("...") and _("..." "...") (implicit concatenation over several lines)
PY_MSG = re.compile(r"""\b(?:_|gettext_lazy|gettext)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)[,)]""")
PIECE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _msgids() -> set[str]:
    found = set()
    for path in (APP / "templates").rglob("*.html"):
        text = path.read_text()
        found |= {m.group(2) for m in TEMPLATE_MSG.finditer(text)}
        found |= {
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1).split("{% plural %}")[0])
            for m in BLOCK_MSG.finditer(text)
        }
    for path in [*APP.glob("*.py"), *APP.glob("services/*.py")]:
        for m in PY_MSG.finditer(path.read_text()):
            found.add("".join(PIECE.findall(m.group(1))))
    return found


def test_every_msgid_of_the_app_has_english():
    msgids = _msgids()
    assert len(msgids) > 150
    assert (
        "Lokasi Anda di luar wilayah layanan SIGAP, permintaan tidak terkirim. "
        "Telepon 112 sekarang." in msgids
    )  # the scan joins concatenated pieces
    assert sorted(m for m in msgids if m not in english()) == []
