"""Pregnancies: the KSPR risk factors from the first ANC visit, and the hand-off of a high-risk
pregnancy to home care."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import InvalidInput
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.facilities.models import Facility
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from ..models import CaseAction, Pregnancy
from ._input import _check_ranges, _today
from .access import mask_nik_encoded, require_recorder
from .handoff import HandOff, _hand_off

# Risk factors of a pregnancy as the ANC register records them, after the Kartu Skor Poedji
# Rochjati (KSPR, the antenatal risk card of the Buku KIA / kohort ibu, with the additions of
# Permenkes 21/2021) and the first-visit measurements (LiLA, Hb, blood pressure). On the KSPR
# every factor scores at least 4 on top of the initial 2, and a score of 6 or more is a
# "kehamilan risiko tinggi": so any one factor makes a pregnancy high-risk.
AGE_YOUNG = 20  # "4 terlalu": terlalu muda (< 20 years)
AGE_OLD = 35  # KSPR: hamil umur 35 tahun atau lebih
PARITY_MANY = 4  # KSPR: grande multi, 4 births or more
INTERVAL_SHORT_YEARS = 2  # KSPR: anak terkecil < 2 tahun
INTERVAL_LONG_YEARS = 10  # KSPR: primi tua sekunder, anak terkecil > 10 tahun
HEIGHT_SHORT_CM = 145  # KSPR: terlalu pendek, <= 145 cm
MUAC_KEK_CM = 23.5  # KEK: LiLA < 23.5 cm
HB_ANAEMIA = 11.0  # KSPR: anemia, Hb < 11 g/dL
SYSTOLIC_HIGH, DIASTOLIC_HIGH = 140, 90  # hypertension: >= 140/90 mmHg

# derived from a recorded value (the value decides when it is recorded; without one the
# factor may still be ticked, e.g. known chronic hypertension)
MEASURED_RISKS = {
    "age_under_20": gettext_lazy("usia ibu < 20 tahun"),
    "age_over_35": gettext_lazy("usia ibu ≥ 35 tahun"),
    "parity_4plus": gettext_lazy("sudah melahirkan ≥ 4 kali"),
    "short_interval": gettext_lazy("persalinan terakhir < 2 tahun lalu"),
    "long_interval": gettext_lazy("persalinan terakhir > 10 tahun lalu"),
    "short_stature": gettext_lazy("tinggi badan ≤ 145 cm"),
    "kek": gettext_lazy("kurang energi kronis (LiLA < 23,5 cm)"),
    "anaemia": gettext_lazy("anemia (Hb < 11 g/dL)"),
    "hypertension": gettext_lazy("hipertensi (tekanan darah ≥ 140/90 mmHg)"),
}
# ticked on the register's checklist: history, disease, this pregnancy
CHECKLIST_RISKS = {
    "previous_loss": gettext_lazy("riwayat keguguran / lahir mati"),
    "previous_assisted": gettext_lazy("riwayat persalinan dengan tarikan tang / vakum"),
    "previous_manual_placenta": gettext_lazy("riwayat uri dirogoh"),
    "previous_pph": gettext_lazy("riwayat infus / transfusi karena perdarahan pascapersalinan"),
    "previous_caesarean": gettext_lazy("riwayat operasi sesar"),
    "diabetes": gettext_lazy("diabetes"),
    "heart_disease": gettext_lazy("penyakit jantung"),
    "infection": gettext_lazy("infeksi (HIV, sifilis, hepatitis B, TB, malaria)"),
    "twins": gettext_lazy("kehamilan kembar"),
    "hydramnios": gettext_lazy("hidramnion"),
    "fetal_death": gettext_lazy("bayi mati dalam kandungan"),
    "post_term": gettext_lazy("kehamilan lebih bulan"),
    "malpresentation": gettext_lazy("letak sungsang / lintang"),
    "bleeding": gettext_lazy("perdarahan dalam kehamilan ini"),
    "preeclampsia": gettext_lazy("preeklampsia (bengkak, tekanan darah tinggi, kejang)"),
}
RISK_FACTORS = {**MEASURED_RISKS, **CHECKLIST_RISKS}


def is_high_risk(factors: Iterable[str]) -> bool:
    """KSPR: one risk factor is enough for a high-risk pregnancy."""
    return any(f in RISK_FACTORS for f in factors)


@dataclass(frozen=True)
class AncRecord:
    """The first-visit values a pregnancy's risk is judged on (None = not recorded)."""

    as_of: date
    mother_birth_date: date | None
    parity: int
    last_birth_date: date | None
    height_cm: float | None
    muac_cm: float | None
    hb_g_dl: float | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None

    @classmethod
    def of(cls, p: Pregnancy) -> AncRecord:
        registered = timezone.localtime(p.created_at).date() if p.created_at else _today()
        return cls(
            as_of=p.last_period or registered,
            mother_birth_date=p.mother_birth_date,
            parity=p.parity,
            last_birth_date=p.last_birth_date,
            height_cm=p.height_cm,
            muac_cm=p.muac_cm,
            hb_g_dl=p.hb_g_dl,
            systolic_mmhg=p.systolic_mmhg,
            diastolic_mmhg=p.diastolic_mmhg,
        )


def _years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def measured_risks(r: AncRecord) -> dict[str, tuple[bool, str]]:
    """Each factor a recorded value decides: code -> (applies, the value as shown)."""
    out: dict[str, tuple[bool, str]] = {}
    if r.mother_birth_date is not None:
        age = _years(r.mother_birth_date, r.as_of)
        shown = _("%(n)d tahun") % {"n": age}
        out["age_under_20"] = (age < AGE_YOUNG, shown)
        out["age_over_35"] = (age >= AGE_OLD, shown)
    out["parity_4plus"] = (
        r.parity >= PARITY_MANY,
        _("%(n)d persalinan") % {"n": r.parity},
    )
    if r.last_birth_date is not None:
        gap = _years(r.last_birth_date, r.as_of)
        shown = _("persalinan terakhir %(d)s") % {"d": r.last_birth_date.strftime("%d-%m-%Y")}
        out["short_interval"] = (gap < INTERVAL_SHORT_YEARS, shown)
        anniversary = (r.as_of.month, r.as_of.day) == (
            r.last_birth_date.month,
            r.last_birth_date.day,
        )
        longer = gap > INTERVAL_LONG_YEARS or (gap == INTERVAL_LONG_YEARS and not anniversary)
        out["long_interval"] = (longer, shown)
    if r.height_cm is not None:
        out["short_stature"] = (r.height_cm <= HEIGHT_SHORT_CM, f"{_num(r.height_cm)} cm")
    if r.muac_cm is not None:
        out["kek"] = (r.muac_cm < MUAC_KEK_CM, f"LiLA {_num(r.muac_cm)} cm")
    if r.hb_g_dl is not None:
        out["anaemia"] = (r.hb_g_dl < HB_ANAEMIA, f"Hb {_num(r.hb_g_dl)} g/dL")
    if r.systolic_mmhg is not None and r.diastolic_mmhg is not None:
        out["hypertension"] = (
            r.systolic_mmhg >= SYSTOLIC_HIGH or r.diastolic_mmhg >= DIASTOLIC_HIGH,
            f"{r.systolic_mmhg}/{r.diastolic_mmhg} mmHg",
        )
    return out


def pregnancy_risks(r: AncRecord, ticked: Iterable[str]) -> list[str]:
    """The factors that apply: those the recorded values show, and the ticked ones. A ticked
    factor that a recorded value contradicts is refused."""
    ticked = set(ticked)
    unknown = sorted(ticked - set(RISK_FACTORS))
    if unknown:
        raise InvalidInput(
            _("Faktor risiko tidak dikenal: %(f)s") % {"f": ", ".join(unknown)},
            field="risk_factors",
        )
    decided = measured_risks(r)
    for code in sorted(ticked & set(decided)):
        applies, shown = decided[code]
        if not applies:
            raise InvalidInput(
                _("“%(f)s” tidak sesuai dengan nilai yang dicatat (%(v)s).")
                % {"f": RISK_FACTORS[code], "v": shown},
                field="risk_factors",
            )
    found = {code for code, (applies, _shown) in decided.items() if applies}
    return sorted(found | ticked)


def risk_reasons(p: Pregnancy) -> list[str]:
    """Why a pregnancy is high-risk, for the page: each factor with its recorded value."""
    decided = measured_risks(AncRecord.of(p))
    reasons = []
    for code in p.risk_factors:
        label = str(RISK_FACTORS.get(code, code))
        applies, shown = decided.get(code, (False, ""))
        reasons.append(f"{label}: {shown}" if applies else label)
    return reasons


def _pregnancy_handoff(p: Pregnancy) -> HandOff:
    return HandOff(
        nik=p.mother_nik,
        name=p.mother_name,
        phone=p.phone,
        address=p.address,
        kelurahan_code=p.kelurahan_id,
        need=_pregnancy_reason(p),
        target_group="bumil_risti",
        source="maternal",
        source_ref=str(p.public_id),
    )


def _pregnancy_reason(p: Pregnancy) -> str:
    return _("Kehamilan risiko tinggi: %(f)s") % {"f": "; ".join(risk_reasons(p))}


@dataclass
class PregnancyInput:
    mother_nik: str
    mother_name: str
    kelurahan_code: str
    risk_factors: list[str]  # ticked checklist items (codes of RISK_FACTORS)
    last_period: date | None = None
    expected_delivery: date | None = None
    mother_birth_date: date | None = None
    gravida: int = 1
    parity: int = 0
    last_birth_date: date | None = None
    height_cm: float | None = None
    muac_cm: float | None = None
    hb_g_dl: float | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    facility: Facility | None = None
    phone: str = ""
    address: str = ""
    is_synthetic: bool = False


def _check_anc_values(data: PregnancyInput, today: date) -> None:
    if data.last_period is not None and data.last_period > today:
        raise InvalidInput(_("HPHT tidak boleh di masa depan."), field="last_period")
    if not (0 <= data.parity < data.gravida):
        raise InvalidInput(_("Jumlah persalinan harus kurang dari kehamilan ke-."), field="parity")
    if data.last_birth_date is not None:
        if data.parity == 0:
            raise InvalidInput(
                _("Persalinan terakhir diisi, tetapi jumlah persalinan 0."), field="parity"
            )
        if data.last_birth_date > (data.last_period or today):
            raise InvalidInput(_("Tanggal persalinan terakhir tidak sah."), field="last_birth_date")
    _check_ranges(
        (data.height_cm, "height_cm", 100.0, 200.0),
        (data.muac_cm, "muac_cm", 10.0, 50.0),
        (data.hb_g_dl, "hb_g_dl", 3.0, 20.0),
        (data.systolic_mmhg, "systolic_mmhg", 60, 260),
        (data.diastolic_mmhg, "diastolic_mmhg", 30, 160),
    )
    if (data.systolic_mmhg is None) != (data.diastolic_mmhg is None):
        raise InvalidInput(_("Isi tekanan darah sistolik dan diastolik."), field="diastolic_mmhg")
    if data.systolic_mmhg is not None and data.diastolic_mmhg >= data.systolic_mmhg:
        raise InvalidInput(
            _("Tekanan diastolik harus lebih rendah dari sistolik."), field="diastolic_mmhg"
        )


def register_pregnancy(actor: Actor, data: PregnancyInput) -> Pregnancy:
    """A pregnancy with its first-visit ANC values and ticked checklist; its risk factors
    follow from both, and a high-risk one becomes a home-care request (or a pending
    hand-off)."""
    require_recorder(actor, data.kelurahan_code)
    try:
        nik = validate_nik(data.mother_nik, check_region=False)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="mother_nik") from None
    if nik.sex != "P":
        raise InvalidInput(_("NIK ini bukan NIK perempuan."), field="mother_nik")
    if not (data.mother_name or "").strip():
        raise InvalidInput(_("Nama ibu wajib diisi."), field="mother_name")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    if not (1 <= data.gravida <= 20):
        raise InvalidInput(_("Kehamilan ke- harus 1–20."), field="gravida")
    today = _today()
    _check_anc_values(data, today)
    expected = data.expected_delivery
    if expected is None and data.last_period is not None:
        expected = data.last_period + timedelta(days=280)  # Naegele
    p = Pregnancy(
        mother_nik=nik.nik,
        mother_name=clip(data.mother_name.strip(), Pregnancy, "mother_name"),
        mother_birth_date=data.mother_birth_date or nik.birth_date,
        kelurahan_id=data.kelurahan_code,
        facility=data.facility,
        last_period=data.last_period,
        expected_delivery=expected,
        gravida=data.gravida,
        parity=data.parity,
        last_birth_date=data.last_birth_date,
        height_cm=data.height_cm,
        muac_cm=data.muac_cm,
        hb_g_dl=data.hb_g_dl,
        systolic_mmhg=data.systolic_mmhg,
        diastolic_mmhg=data.diastolic_mmhg,
        phone=clip(data.phone.strip(), Pregnancy, "phone"),
        address=clip(data.address.strip(), Pregnancy, "address"),
        is_synthetic=data.is_synthetic,
    )
    # judged on the record as it will be stored (unsaved: as of the last period or today)
    factors = pregnancy_risks(AncRecord.of(p), data.risk_factors)
    high = is_high_risk(factors)
    p.risk_factors, p.high_risk = factors, high
    with transaction.atomic():
        p.save(force_insert=True)
        if high:
            ref, problem = _hand_off(actor, _pregnancy_handoff(p))
            p.homecare_status = (
                CaseAction.Status.REQUESTED if ref else CaseAction.Status.PENDING_HANDOFF
            )
            p.homecare_ref = ref or ""
            p.homecare_note = problem
            p.save(update_fields=["homecare_status", "homecare_ref", "homecare_note"])
        record_audit(
            actor,
            "pregnancy.create",
            p,
            object_label=mask_nik_encoded(p.mother_nik),
            after={"risk_factors": factors, "high_risk": high, "homecare": p.homecare_status},
        )
    return p
