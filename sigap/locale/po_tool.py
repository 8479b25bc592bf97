"""Fill the English catalogue from `en_translations.py` (msgid -> English).

Run after `manage.py makemessages -l en ...` (see sigap/locale/README.md):
    python sigap/locale/po_tool.py fill     # writes msgstr for every known msgid
    python sigap/locale/po_tool.py missing  # lists msgids without a translation
Keeps Django's own .po format; only msgstr lines change. Plural entries take a
(singular, plural) tuple; an entry with a context is keyed "context\x04msgid".
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).parent
PO = HERE / "en" / "LC_MESSAGES" / "django.po"


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def parse(text: str) -> list[list[str]]:
    return [block.split("\n") for block in text.strip("\n").split("\n\n")]


def _field(lines: list[str], key: str) -> str | None:
    out, on = [], False
    for line in lines:
        if line.startswith(key + " "):
            out, on = [line[len(key) + 1 :]], True
        elif on and line.startswith('"'):
            out.append(line)
        else:
            on = False if out else on
    return _unquote(out) if out else None


def load_translations() -> dict:
    from importlib.util import module_from_spec, spec_from_file_location

    # the shared table, then each app's own `sigap/<app>/locale_en.py` (EN = {...})
    merged: dict = {}
    for path in [HERE / "en_translations.py", *sorted(HERE.parent.glob("*/locale_en.py"))]:
        spec = spec_from_file_location(f"en_{path.parent.name}", path)
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
        merged.update(module.EN)
    return merged


def fill(missing_only: bool = False) -> list[str]:
    text = PO.read_text(encoding="utf-8")
    en = load_translations()
    blocks, missing = [], []
    for lines in parse(text):
        msgid = _field(lines, "msgid")
        head = []
        for ln in lines:
            if ln.startswith("msgstr"):
                break
            head.append(ln)
        head = [ln for ln in head if ln != "#, fuzzy"]
        if not msgid:  # the header: keep its msgstr, mark the language
            body = "\n".join(ln for ln in lines if ln != "#, fuzzy")
            blocks.append(body.replace('"Language: \\n"', '"Language: en\\n"'))
            continue
        plural = _field(lines, "msgid_plural")
        context = _field(lines, "msgctxt")
        key = f"{context}\x04{msgid}" if context else msgid
        value = en.get(key)
        if value is None and "%%" in key and "#, python-format" in head:
            # makemessages doubles a literal % in template strings; the tables keep it single
            single = en.get(key.replace("%%", "%"))
            if isinstance(single, str):
                value = single.replace("%", "%%")
        if value is None:
            missing.append(key)
            value = ("", "") if plural else ""
        if plural:
            one, many = value if isinstance(value, tuple) else (value, value)
            head += [f"msgstr[0] {_quote(one)}", f"msgstr[1] {_quote(many)}"]
        else:
            head.append(f"msgstr {_quote(value)}")
        blocks.append("\n".join(head))
    if not missing_only:
        PO.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return missing


if __name__ == "__main__":
    missing = fill(missing_only=sys.argv[1:] == ["missing"])
    for m in missing:
        print(repr(m))
    print(f"{len(missing)} without translation", file=sys.stderr)
