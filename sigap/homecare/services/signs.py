"""Danger signs: codes, labels, which kind of escalation they raise, and the confirm step."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sigap.core.errors import Conflict

from ..models import Escalation

# Danger signs a worker can tick; the ones in EMERGENCY_SIGNS go to PSC 119, others to referral.
# The codes are stored on the record; the labels are msgids (English in the .po catalogue).
DANGER_SIGNS = {
    "penurunan_kesadaran": gettext_lazy("Penurunan kesadaran"),
    "kejang": gettext_lazy("Kejang"),
    "sesak_berat": gettext_lazy("Sesak napas berat"),
    "perdarahan": gettext_lazy("Perdarahan"),
    "nyeri_dada": gettext_lazy("Nyeri dada"),
    "tidak_mau_makan": gettext_lazy("Anak tidak mau makan/minum"),
    "bengkak_kaki_kepala": gettext_lazy("Bengkak kaki disertai sakit kepala (ibu hamil)"),
}
# Signs read from the vital signs by `danger_from_vitals`.
VITAL_SIGNS = {
    "tekanan_darah": gettext_lazy("Tekanan darah berbahaya"),
    "saturasi_rendah": gettext_lazy("Saturasi oksigen rendah (SpO2 di bawah 92)"),
    "suhu": gettext_lazy("Suhu tubuh berbahaya"),
    "nadi": gettext_lazy("Nadi terlalu cepat atau lambat"),
    "napas_cepat": gettext_lazy("Napas cepat (> 30/menit)"),
}


SIGN_LABELS = DANGER_SIGNS | VITAL_SIGNS


def sign_labels(codes: list[str]) -> list[str]:
    """Danger-sign codes of a record or escalation as labels in the active language."""
    return [str(SIGN_LABELS.get(code, code)) for code in codes]


EMERGENCY_SIGNS = {"penurunan_kesadaran", "kejang", "sesak_berat", "perdarahan", "nyeri_dada"}


def escalation_kind(signs) -> str:
    if set(signs) & (EMERGENCY_SIGNS | {"saturasi_rendah"}):
        return Escalation.Kind.EMERGENCY
    return Escalation.Kind.REFERRAL


class DangerUnconfirmed(Conflict):
    """Danger signs would raise a referral or an emergency: the nurse confirms first. Nothing
    was written."""

    code = "danger_unconfirmed"

    def __init__(self, signs: list[str]):
        self.signs = signs
        self.kind = escalation_kind(signs)
        target = (
            _("PSC 119 (gawat darurat)") if self.kind == Escalation.Kind.EMERGENCY
            else _("rujukan ke rumah sakit")
        )  # fmt: skip
        super().__init__(
            _(
                "Tanda bahaya: %(signs)s. Belum disimpan dan belum dikirim: periksa nilainya; "
                "bila benar, konfirmasi (confirm_danger) agar %(target)s dibuat."
            )
            % {"signs": ", ".join(sign_labels(signs)), "target": target},
            field="confirm_danger",
        )
