"""What a referral is made of as it comes in (form, JSON API, SISRUTE bridge, hand-overs),
and the one check that turns it into model field values before anything is written."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.errors import InvalidInput
from sigap.core.text import clip, max_length
from sigap.facilities.models import Facility, Service
from sigap.regions.services import validate_nik

from .. import icd10
from ..models import Referral, ReferralReason
from ._fields import TEXT_LIMITS, check_int, check_nik_like, check_staff_id, check_text
from .rules import JKN_CLASSES, room_class_for


@dataclass
class ReferralInput:
    """A referral as a form, the JSON API or a SISRUTE bridge sends it (text values)."""

    receiver: str  # facility public id, or BPJS kodeppk / Kemenkes code (SISRUTE)
    kind: int | str
    urgency: str
    payer: str
    patient_name: str
    diagnosis: str
    reason: str
    sender: str = ""  # facility public id / code; empty for PSC 119 and ambulance crews
    sender_label: str = ""
    patient_nik: str = ""
    patient_jkn: str = ""
    patient_sex: str = ""
    patient_birth_date: str | date | None = None
    patient_birth_place: str = ""
    patient_mrn: str = ""
    patient_contact: str = ""
    patient_address: str = ""
    reason_text: str = ""
    doctor_nik: str = ""
    doctor_name: str = ""
    officer_nik: str = ""
    officer_name: str = ""
    anamnesis: str = ""
    consciousness: int | str = 1
    blood_pressure: str = ""
    pulse: int | str | None = None
    temperature: str | float | None = None
    respiration: int | str | None = None
    general_condition: str = ""
    pain: int | str = 0
    allergies: str = ""
    lab_results: str = ""
    radiology_results: str = ""
    therapy: str = ""
    service: str = ""
    bed_class: str = ""
    jkn_class: str = ""
    incident_ref: str = ""
    hold_bed: bool = False
    # a hand-over that knows the patient is in JKN but not the card number (home care): the
    # receiving hospital completes it
    jkn_card_pending: bool = False
    extra: dict = field(default_factory=dict)


# ReferralInput fields only SIGAP's own hand-overs fill (PSC 119, home care, bridges' extras):
# never taken from a sender's form or JSON body
HANDOVER_ONLY = ("incident_ref", "hold_bed", "jkn_card_pending", "extra")
# staff identifiers the JSON API and bridges send, which the send page does not ask for
STAFF_IDS = ("doctor_nik", "officer_nik", "officer_name")


def input_fields(*, leave_out: tuple[str, ...] = ()) -> list[dataclasses.Field]:
    """ReferralInput's fields in declaration order, without `leave_out`: the one list the send
    page and the JSON API read theirs from."""
    return [f for f in dataclasses.fields(ReferralInput) if f.name not in leave_out]


def find_facility(ref: str, *, field_name: str) -> Facility:
    """A facility by public id, BPJS kodeppk or Kemenkes code (SISRUTE FASKES_TUJUAN)."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput(_("Wajib diisi."), field=field_name)
    qs = Facility.objects.filter(is_active=True).select_related("kind", "village")
    found = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", ref):
        try:
            found = qs.filter(public_id=ref).first()
        except ValueError:  # not a UUID after all
            found = None
    if found is None and len(ref) <= 20:
        found = qs.filter(Q(bpjs_kodeppk=ref) | Q(kemenkes_code=ref)).first()
    if found is None:
        raise InvalidInput(_("Fasilitas tidak dikenal."), field=field_name)
    return found


def clean_input(data: ReferralInput, *, today: date | None = None) -> dict:
    """Check everything and return model field values; raises InvalidInput (with the field)
    on the first problem. Nothing is written here."""
    values: dict = {}
    kind = check_int(data.kind, "kind", 1, 3, required=True)
    values["kind"] = kind
    if data.urgency not in Referral.Urgency.values:
        raise InvalidInput(_("Urgensi tidak dikenal."), field="urgency")
    values["urgency"] = data.urgency
    if data.payer not in Referral.Payer.values:
        raise InvalidInput(_("Penjamin tidak dikenal."), field="payer")
    values["payer"] = data.payer
    for name in TEXT_LIMITS:
        if name in ("sender_label",):
            continue
        values[name] = check_text(getattr(data, name), name)
    if not values["patient_name"]:
        raise InvalidInput(_("Nama pasien wajib diisi."), field="patient_name")

    # identity: NIK required except for an emergency (an unknown patient brought in)
    nik = check_text(data.patient_nik, "patient_nik")
    info = None
    if nik:
        try:
            info = validate_nik(nik, today=today)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="patient_nik") from None
    elif data.urgency != Referral.Urgency.EMERGENCY:
        raise InvalidInput(_("NIK pasien wajib diisi."), field="patient_nik")
    values["patient_nik"] = nik
    jkn = check_text(data.patient_jkn, "patient_jkn")
    if jkn and not re.fullmatch(r"[0-9]{13}", jkn):
        raise InvalidInput(_("Nomor kartu JKN harus 13 angka."), field="patient_jkn")
    jkn_payer = data.payer in (Referral.Payer.JKN_PBI, Referral.Payer.JKN_NON_PBI)
    card_optional = data.urgency == Referral.Urgency.EMERGENCY or data.jkn_card_pending
    if jkn_payer and not jkn and not card_optional:
        raise InvalidInput(_("Nomor kartu JKN wajib untuk penjamin JKN."), field="patient_jkn")
    values["patient_jkn"] = jkn
    sex = (data.patient_sex or "").strip().upper()
    sex = {"1": "L", "2": "P"}.get(sex, sex)  # SISRUTE JENIS_KELAMIN 1 L / 2 P
    if sex and sex not in ("L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="patient_sex")
    values["patient_sex"] = sex or (info.sex if info else "")
    birth = data.patient_birth_date
    if isinstance(birth, str):
        birth = birth.strip()
        try:
            birth = date.fromisoformat(birth) if birth else None
        except ValueError:
            raise InvalidInput(
                _("Tanggal lahir harus YYYY-MM-DD."), field="patient_birth_date"
            ) from None
    if isinstance(birth, datetime):
        birth = birth.date()
    if birth is not None and birth > (today or timezone.localdate()):
        raise InvalidInput(_("Tanggal lahir ada di masa depan."), field="patient_birth_date")
    values["patient_birth_date"] = birth or (info.birth_date if info else None)
    values["doctor_nik"] = check_nik_like(data.doctor_nik, "doctor_nik")
    # staff identifier (bridges send a login id), not a NIK
    values["officer_nik"] = check_staff_id(
        data.officer_nik, "officer_nik", max_length(Referral, "officer_nik")
    )

    diagnosis = icd10.lookup(data.diagnosis or "")
    if diagnosis is None:
        raise InvalidInput(_("Kode diagnosis ICD-10 tidak dikenal."), field="diagnosis")
    values["diagnosis_code"] = diagnosis.code
    values["diagnosis_name"] = clip(diagnosis.name, Referral, "diagnosis_name")
    reason = ReferralReason.objects.filter(code=(data.reason or "").strip()).first()
    if reason is None:
        raise InvalidInput(_("Alasan rujukan tidak dikenal."), field="reason")
    if reason.needs_text and not values["reason_text"]:
        raise InvalidInput(_("Jelaskan alasan rujukan."), field="reason_text")
    values["reason"] = reason

    values["consciousness"] = check_int(data.consciousness, "consciousness", 1, 2) or 1
    values["pulse"] = check_int(data.pulse, "pulse", 0, 300)
    values["respiration"] = check_int(data.respiration, "respiration", 0, 120)
    values["pain"] = check_int(data.pain, "pain", 0, 3) or 0
    if values["blood_pressure"] and not re.fullmatch(
        r"[0-9]{2,3}/[0-9]{2,3}", values["blood_pressure"]
    ):
        raise InvalidInput(_("Tekanan darah ditulis seperti 120/80."), field="blood_pressure")
    temp = data.temperature
    if temp is None or (isinstance(temp, str) and not temp.strip()):
        values["temperature"] = None
    else:
        try:
            t = Decimal(str(temp).strip().replace(",", ".")).quantize(Decimal("0.1"))
        except InvalidOperation:
            raise InvalidInput(_("Suhu harus angka, mis. 37.5."), field="temperature") from None
        # NaN passes quantize and cannot be compared: it is out of range too
        if not t.is_finite() or not Decimal("25") <= t <= Decimal("45"):
            raise InvalidInput(_("Suhu harus antara 25 dan 45 °C."), field="temperature")
        values["temperature"] = t

    service_code = (data.service or "").strip()
    values["service"] = None
    if service_code:
        values["service"] = Service.objects.filter(code=service_code).first()
        if values["service"] is None:
            raise InvalidInput(_("Layanan tidak dikenal."), field="service")
    bed_class = (data.bed_class or "").strip().upper()
    values["bed_class"] = None
    if bed_class:
        values["bed_class"] = bed_services.bed_class(bed_class)
        if values["bed_class"] is None:
            raise InvalidInput(_("Kelas tempat tidur tidak dikenal."), field="bed_class")
    jkn_class = (data.jkn_class or "").strip().upper()
    if jkn_class and jkn_class not in JKN_CLASSES:
        raise InvalidInput(_("Hak kelas JKN harus KL1, KL2 atau KL3."), field="jkn_class")
    values["jkn_class"] = jkn_class
    room = room_class_for(data.payer, bed_class or None, jkn_class)
    values["room_class"] = bed_services.bed_class(room)
    return values
