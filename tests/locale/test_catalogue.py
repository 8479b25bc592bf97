"""The English catalogue is complete and compiled: every msgid has English, nothing is fuzzy,
and the committed django.mo is what the .po compiles to (a forgotten compilemessages fails).
The .po is read with polib, so the check needs no gettext on the machine."""

import gettext
import io

import polib

from tests.catalogue import MO, PO


def _po() -> polib.POFile:
    return polib.pofile(str(PO))


def test_every_msgid_has_english():
    missing = [e.msgid for e in _po() if not e.obsolete and not e.fuzzy and not e.translated()]
    assert missing == []


def test_no_fuzzy_entry():
    po = _po()
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po if e.fuzzy and not e.obsolete] == []


def test_committed_mo_matches_the_po():
    compiled = gettext.GNUTranslations(io.BytesIO(_po().to_binary()))
    with MO.open("rb") as fh:
        committed = gettext.GNUTranslations(fh)
    # the header ("") differs in field order between msgfmt and polib; the messages must not
    compiled._catalog.pop("", None)
    committed._catalog.pop("", None)
    assert compiled._catalog == committed._catalog
    assert compiled.plural(1) == committed.plural(1) and compiled.plural(2) == committed.plural(2)
    assert committed.info()["language"] == "en"


def test_the_catalogue_is_the_one_django_uses():
    assert len(_po().translated_entries()) > 1800
    assert gettext.GNUTranslations(MO.open("rb")).gettext("Gizi lebih") == "Overweight"
