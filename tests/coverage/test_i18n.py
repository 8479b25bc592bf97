"""Every user-visible string of the coverage app is a Bahasa Indonesia msgid with English in
the catalogue, sigap/locale/en/LC_MESSAGES/django.po."""

import re
from pathlib import Path

from sigap.coverage import services
from tests.catalogue import english

APP = Path(services.__file__).parent
TEMPLATE_MSG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
BLOCK_MSG = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", re.S)
PY_MSG = re.compile(r"""\b(?:_|gettext_lazy|gettext)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")
PY_JOINED = re.compile(r"""\b(?:_|gettext_lazy|gettext)\(\s*((?:"(?:[^"\\]|\\.)*"\s*){2,})[,)]""")


def _msgids() -> set[str]:
    found = set()
    for path in (APP / "templates").rglob("*.html"):
        text = path.read_text()
        # Django looks a template msgid up with a literal % doubled, as makemessages stores it
        found |= {m.group(2).replace("%", "%%") for m in TEMPLATE_MSG.finditer(text)}
        found |= {  # a plural block: its singular is the msgid
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1).split("{% plural %}")[0])
            for m in BLOCK_MSG.finditer(text)
        }
    for path in [*APP.glob("*.py"), *(APP / "management" / "commands").glob("*.py")]:
        text = path.read_text()
        found |= {m.group(1) for m in PY_MSG.finditer(text)}
        found |= {
            "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
            for m in PY_JOINED.finditer(text)
        }
    return found


def test_every_msgid_of_the_app_has_english():
    msgids = _msgids()
    assert len(msgids) > 150  # the scan found the app's strings
    assert sorted(m for m in msgids if m not in english()) == []
