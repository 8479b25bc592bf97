"""Reference data of the emergency call centre (SPGDT / PSC 119), kept as data in one place.

Triage colours follow the SOPs cited in the reference doc (merah immediate, kuning <= 10 min,
hijau <= 30 min, hitam dead/expectant). The question lists per category are built on the
emergency criteria of Permenkes 47/2018: threat to life; airway, breathing or circulation
problem; reduced consciousness; haemodynamic disturbance; needs immediate action. Each
question says which colour a "yes" points to at least; the call-taker confirms the colour.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# colour -> (label, rank for the queue (lower first), response target minutes per SOP)
TRIAGE = {
    "merah": (_("Merah (segera)"), 0, 0),
    "kuning": (_("Kuning (≤ 10 menit)"), 1, 10),
    "hijau": (_("Hijau (≤ 30 menit)"), 2, 30),
    "hitam": (_("Hitam (meninggal/harapan hidup kecil)"), 3, None),
}
TRIAGE_ORDER = ["merah", "kuning", "hijau", "hitam"]

CATEGORIES = {
    "medical": _("Medis"),
    "traffic": _("Kecelakaan lalu lintas"),
    "fire": _("Kebakaran"),
    "crime": _("Kriminalitas"),
    "disaster": _("Bencana"),
    "other": _("Lainnya"),
}

# Ambulance kinds (reference doc: ambulans transportasi, gawat darurat, kereta jenazah).
UNIT_KINDS = {
    "gawat_darurat": _("Ambulans gawat darurat"),
    "transport": _("Ambulans transportasi"),
    "jenazah": _("Kereta jenazah"),
}
# Which unit kinds may answer which triage colour, best first.
TRIAGE_UNIT_KINDS = {
    "merah": ["gawat_darurat"],
    "kuning": ["gawat_darurat"],
    "hijau": ["transport", "gawat_darurat"],
    "hitam": ["jenazah", "transport"],
}

# Agencies behind the one number; category -> agency kinds it needs besides the ambulance.
AGENCY_KINDS = {
    "psc119": _("PSC 119 (ambulans)"),
    "police": _("Polisi 110"),
    "fire": _("Pemadam kebakaran 113"),
    "pmi": _("PMI"),
    "bpbd": _("BPBD"),
    "sar": _("Basarnas / SAR"),
    "other": _("Lainnya"),
}
CATEGORY_AGENCIES = {
    "medical": [],
    "traffic": ["police"],
    "fire": ["fire"],
    "crime": ["police"],
    "disaster": ["bpbd", "pmi"],
    "other": [],
}

# Service a hospital should offer, by category (the dispatcher may change it).
CATEGORY_SERVICE = {
    "medical": "igd",
    "traffic": "trauma",
    "fire": "bedah",
    "crime": "bedah",
    "disaster": "igd",
    "other": "igd",
}
# Bed class wanted on the board for a hand-off, by triage colour.
TRIAGE_BED_CLASS = {"merah": "ICU", "kuning": "KL3", "hijau": "KL3", "hitam": ""}

# Common to every category: the Permenkes 47/2018 criteria, worst first.
_CORE = [
    ("tidak_sadar", _("Korban tidak sadar / tidak merespons?"), "merah"),
    ("tidak_napas", _("Tidak bernapas, napas sangat sesak atau tersumbat?"), "merah"),
    ("perdarahan", _("Perdarahan hebat yang tidak berhenti?"), "merah"),
    ("syok", _("Pucat, dingin, berkeringat, nadi lemah (tanda syok)?"), "merah"),
    ("kesadaran_turun", _("Bingung, mengantuk atau kejang?"), "kuning"),
    ("nyeri_hebat", _("Nyeri hebat (dada, perut, kepala)?"), "kuning"),
]
# Category-specific questions.
_EXTRA = {
    "medical": [
        ("nyeri_dada", _("Nyeri dada menjalar, > 35 tahun?"), "merah"),
        ("stroke", _("Wajah mencong, lengan lemah, bicara pelo?"), "merah"),
        ("hamil", _("Hamil dengan perdarahan atau kejang?"), "merah"),
        ("demam_anak", _("Bayi/anak demam tinggi, lemas?"), "kuning"),
        ("bisa_jalan", _("Pasien bisa berjalan sendiri?"), "hijau"),
    ],
    "traffic": [
        ("terjepit", _("Korban terjepit atau terlempar dari kendaraan?"), "merah"),
        ("cedera_kepala", _("Cedera kepala atau leher?"), "kuning"),
        ("patah", _("Patah tulang terlihat?"), "kuning"),
        ("luka_ringan", _("Hanya luka ringan, bisa berjalan?"), "hijau"),
    ],
    "fire": [
        ("terjebak", _("Ada orang terjebak di dalam?"), "merah"),
        ("luka_bakar_luas", _("Luka bakar luas atau di wajah/saluran napas?"), "merah"),
        ("asap", _("Menghirup asap, batuk, sesak?"), "kuning"),
    ],
    "crime": [
        ("luka_tusuk", _("Luka tusuk/tembak?"), "merah"),
        ("pelaku_ada", _("Pelaku masih di lokasi?"), "kuning"),
    ],
    "disaster": [
        ("tertimbun", _("Ada korban tertimbun/terseret arus?"), "merah"),
        ("banyak_korban", _("Lebih dari 5 korban?"), "kuning"),
    ],
    "other": [],
}


def triage_questions(category: str) -> list[dict]:
    """The guided questions for a category: key, text and the colour a 'yes' points to."""
    if category not in CATEGORIES:
        return []
    return [
        {"key": k, "text": str(t), "colour": c} for k, t, c in [*_CORE, *_EXTRA.get(category, [])]
    ]


def suggest_triage(category: str, answers: dict[str, bool]) -> str:
    """The most urgent colour any 'yes' answer points to; hijau when none does."""
    colours = [q["colour"] for q in triage_questions(category) if answers.get(q["key"])]
    for colour in TRIAGE_ORDER:
        if colour in colours:
            return colour
    return "hijau"
