"""The header menu: which pages each role sees (the pages still check access themselves)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

PUBLIC = [
    ("beds:board", _("Tempat tidur")),
    ("emergency:sos", _("SOS 119")),
    ("coverage:check", _("Cek JKN")),
    ("homecare:request_form", _("Perawatan di rumah")),
]
OFFICE = [
    ("beds:office", _("Tempat tidur RS")),
    ("emergency:report", _("Respons PSC")),
    ("referrals:office", _("Rujukan")),
    ("coverage:dashboard", _("JKN")),
    ("nutrition:dashboard", _("Gizi")),
    ("nutrition:mch", _("KIA")),
]
BY_ROLE: dict[str, list[tuple[str, str]]] = {
    Role.HOSPITAL_OPERATOR: [
        ("beds:operator", _("Operator RS")),
        ("referrals:inbox", _("Rujukan masuk")),
        ("emergency:incoming", _("Pasien gawat darurat")),
    ],
    Role.PUSKESMAS_STAFF: [
        ("referrals:home", _("Rujukan")),
        ("homecare:inbox", _("Perawatan rumah")),
        ("homecare:my_visits", _("Kunjungan saya")),
        ("nutrition:entry", _("Posyandu")),
        ("nutrition:cases", _("Kasus gizi")),
    ],
    Role.PSC_CALL_TAKER: [
        ("emergency:intake", _("Panggilan")),
        ("emergency:console", _("Dispatcher")),
    ],
    Role.DISPATCHER: [
        ("emergency:console", _("Dispatcher")),
        ("emergency:intake", _("Panggilan")),
        ("emergency:coverage", _("Satu Ambulans Satu Desa")),
    ],
    Role.AMBULANCE_CREW: [
        ("emergency:crew", _("Tugas kru")),
        ("referrals:send", _("Kirim rujukan")),
    ],
    Role.ANALYST: OFFICE,
    Role.ADMIN: OFFICE,
}

# where each role lands after login
ROLE_HOME = {
    Role.HOSPITAL_OPERATOR: "beds:operator",
    Role.PUSKESMAS_STAFF: "homecare:inbox",
    Role.PSC_CALL_TAKER: "emergency:intake",
    Role.DISPATCHER: "emergency:console",
    Role.AMBULANCE_CREW: "emergency:crew",
    Role.ANALYST: "beds:office",
    Role.ADMIN: "beds:office",
}


def items_for(user) -> list[tuple[str, str]]:
    """(url, label) pairs for the header of this user."""
    if user is None or not user.is_authenticated or user.role == Role.PUBLIC:
        entries = PUBLIC
    else:
        entries = OFFICE if user.is_superuser else BY_ROLE.get(user.role, [])
        entries = [PUBLIC[0], *entries]
    out = []
    for name, label in entries:
        try:
            out.append((reverse(name), str(label)))
        except NoReverseMatch:
            continue  # a capability left out of this deployment
    return out
