"""Reference data of the emergency call centre (SPGDT / PSC 119), kept as data in one place.

Triage colours follow the SOPs cited in the reference doc (merah immediate, kuning <= 10 min,
hijau <= 30 min, hitam dead/expectant). The question lists per category are built on the
emergency criteria of Permenkes 47/2018: threat to life; airway, breathing or circulation
problem; reduced consciousness; haemodynamic disturbance; needs immediate action. Each
question says which colour a "yes" points to at least; the call-taker confirms the colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def most_urgent(*colours: str) -> str:
    """The most urgent of the colours (TRIAGE_ORDER); hijau when there are none."""
    for colour in TRIAGE_ORDER:
        if colour in colours:
            return colour
    return "hijau"


def suggest_triage(category: str, answers: dict[str, bool]) -> str:
    """The most urgent colour any 'yes' answer points to; hijau when none does."""
    return most_urgent(*(q["colour"] for q in triage_questions(category) if answers.get(q["key"])))


# --- triage suggested from free text (the SOS note, a call's notes) -------------------------
# Each rule: the colour a match points to at least, the pattern (lower-case Indonesian, the
# way people write in a hurry), and the reason shown to the call-taker. The rules only ever
# suggest: the most urgent colour any rule (or any 'yes' answer) points to, hijau when none
# does; they never suggest hitam; the call-taker confirms or changes the colour on the
# phone. More than MASS_CASUALTY victims points to kuning at least (as the disaster question
# "Lebih dari 5 korban?").
TEXT_RULES: list[tuple[str, str, str]] = [
    ("merah", r"tidak sadar|tak sadar(kan)?|pingsan|tidak merespon|koma\b", "tidak sadar"),
    (
        "merah",
        r"tidak (ber)?na(p|f)as|henti (na(p|f)as|jantung)|sesak (na(p|f)as )?berat|"
        r"tersedak|tercekik|ngorok",
        "napas",
    ),
    ("merah", r"luka (berat|parah|serius)|kritis|sekarat", "luka berat"),
    (
        "merah",
        r"(per|pen)darahan (hebat|banyak|deras)|darah (banyak|deras|terus)|banyak darah|"
        r"muntah darah",
        "perdarahan hebat",
    ),
    ("merah", r"nyeri dada|sakit dada|serangan jantung|stroke|mencong|pelo\b", "jantung/stroke"),
    (
        "merah",
        r"terjepit|terlempar|tertimbun|terseret|tenggelam|luka bakar|terbakar|tertembak|"
        r"ditembak|ditusuk|luka tusuk|tusukan|tersengat listrik|kesetrum",
        "mekanisme berat",
    ),
    ("kuning", r"kejang|bingung|lemas|mengantuk terus", "kesadaran turun"),
    ("kuning", r"sesak|susah (na(p|f)as|bernapas|bernafas)", "sesak"),
    (
        "kuning",
        r"patah|cedera kepala|benturan kepala|kepala terbentur|nyeri hebat|sakit (perut|kepala) "
        r"hebat",
        "cedera/nyeri",
    ),
    ("kuning", r"keracunan|overdosis|digigit ular|gigitan ular", "keracunan"),
    ("kuning", r"melahirkan|ketuban pecah|mau lahir|pendarahan hamil|hamil", "kehamilan"),
    ("kuning", r"demam tinggi|panas tinggi", "demam tinggi"),
    ("hijau", r"luka ringan|lecet|keseleo|terkilir", "luka ringan"),
    ("kuning", r"\bluka\b(?! ringan)|berdarah", "luka"),
]
MASS_CASUALTY = 5
_NUMBER_WORDS = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
}
_VICTIMS_RE = re.compile(
    r"\b([0-9]{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s*(orang|org|korban|anak|pasien)\b"
)
_TEXT_RULES = [(c, re.compile(p), why) for c, p, why in TEXT_RULES]


@dataclass(frozen=True)
class TextTriage:
    colour: str  # the most urgent colour the text points to ("hijau" when nothing matched)
    victims: int | None  # the number of people the text names, if any
    reasons: tuple[str, ...]  # the rules that matched, most urgent first


def triage_from_text(text: str) -> TextTriage:
    """Suggest a triage colour and a number of victims from a free-text note."""
    low = " ".join((text or "").lower().split())
    hits = [(c, why) for c, rx, why in _TEXT_RULES if rx.search(low)]
    counts = []
    for m in _VICTIMS_RE.finditer(low):
        word = m.group(1)
        n = int(word) if word.isdigit() else _NUMBER_WORDS[word]
        if 1 <= n <= 500:
            counts.append(n)
    victims = max(counts) if counts else None
    colours = [c for c, _why in hits]
    if victims is not None and victims > MASS_CASUALTY:
        colours.append("kuning")
    colour = most_urgent(*colours)
    reasons = tuple(why for c in TRIAGE_ORDER for cc, why in hits if cc == c)  # most urgent first
    return TextTriage(colour=colour, victims=victims, reasons=reasons)


def suggest_triage_all(category: str, answers: dict[str, bool], text: str = "") -> str:
    """The most urgent of what the answers and the text point to; hijau when neither does."""
    return most_urgent(suggest_triage(category, answers), triage_from_text(text).colour)


# Why a dispatcher ends an incident, as people read it: code -> (label, the status it ends
# in). A cancellation is for an incident that needed no response (allowed before the unit
# reaches the scene); a closure ends one that was handled.
CLOSE_REASONS = {
    "treated_on_scene": (_("Ditangani di lokasi, tidak perlu dibawa"), "closed"),
    "refused_transport": (_("Pasien menolak dibawa"), "closed"),
    "delivered": (_("Pasien sudah diserahkan ke RS"), "closed"),
    "deceased": (_("Pasien meninggal di lokasi"), "closed"),
    "agency_handled": (_("Ditangani instansi lain"), "closed"),
    "patient_not_found": (_("Pasien tidak ditemukan di lokasi"), "closed"),
    "false_call": (_("Panggilan palsu/iseng"), "cancelled"),
    "duplicate": (_("Duplikat kejadian lain"), "cancelled"),
    "caller_cancelled": (_("Pemanggil membatalkan"), "cancelled"),
    "own_transport": (_("Pasien berangkat sendiri ke RS"), "cancelled"),
}
# The agencies a dispatcher may hand a matter to from the console.
HANDOVER_AGENCIES = ("police", "fire", "pmi", "bpbd")
