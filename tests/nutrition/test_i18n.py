"""Every user-visible string of the nutrition app is a Bahasa Indonesia msgid with English in
the catalogue, sigap/locale/en/LC_MESSAGES/django.po."""

import re
from pathlib import Path

from sigap import nutrition
from tests.catalogue import english

APP = Path(nutrition.__file__).parent
TEMPLATE_MSG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
BLOCK_MSG = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*endblocktranslate\s*%}", re.S)
PY_MSG = re.compile(r"""\b(?:_|_lazy|gettext_lazy|gettext)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")
# pgettext: keyed as gettext does, context \x04 msgid
PY_CTX_MSG = re.compile(r"""\bpgettext(?:_lazy)?\(\s*"([^"]*)",\s*"((?:[^"\\]|\\.)*)"\s*\)""")
# files another engineer owns (the data-quality view) keep their own check
OTHERS = {"quality.py"}


def _msgids() -> set[str]:
    found = set()
    for path in (APP / "templates").rglob("*.html"):
        if path.name.startswith("_quality"):
            continue
        text = path.read_text()
        # Django looks a template msgid up with a literal % doubled, as makemessages stores it
        found |= {m.group(2).replace("%", "%%") for m in TEMPLATE_MSG.finditer(text)}
        found |= {
            # a plural block is keyed by its singular
            # (a literal % is %% in a blocktranslate msgid)
            re.sub(
                r"{{\s*(\w+)\s*}}",
                r"%(\1)s",
                re.sub(r"%", "%%", m.group(1).split("{% plural %}")[0]),
            )
            for m in BLOCK_MSG.finditer(text)
        }
    for path in [*APP.glob("*.py"), *APP.glob("services/*.py")]:
        if path.name not in OTHERS:
            text = path.read_text()
            found |= {m.group(1) for m in PY_MSG.finditer(text)}
            found |= {f"{m.group(1)}\x04{m.group(2)}" for m in PY_CTX_MSG.finditer(text)}
    return found


def test_every_msgid_of_the_app_has_english():
    msgids = _msgids()
    assert len(msgids) > 200  # the scan found the app's strings
    assert sorted(m for m in msgids if m not in english()) == []
