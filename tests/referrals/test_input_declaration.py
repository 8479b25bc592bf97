"""A referral's input is declared once (services.ReferralInput): the send page's field list
and the JSON API's body are read from it."""

import dataclasses

from sigap.referrals import api, services, views


def _names(leave_out: tuple[str, ...]) -> list[str]:
    return [f.name for f in dataclasses.fields(services.ReferralInput) if f.name not in leave_out]


def test_the_api_body_is_the_input_without_hand_over_fields() -> None:
    assert list(api.ReferralIn.model_fields) == _names(services.HANDOVER_ONLY)
    required = {n for n, f in api.ReferralIn.model_fields.items() if f.is_required()}
    assert required == {"receiver", "kind", "urgency", "payer", "patient_name", "diagnosis",
                        "reason"}  # fmt: skip
    assert api.ReferralIn.model_fields["consciousness"].default == 1


def test_the_send_page_posts_the_input_without_staff_ids() -> None:
    assert _names(services.HANDOVER_ONLY + services.STAFF_IDS) == views.FORM_FIELDS
    assert "incident_ref" not in views.FORM_FIELDS and "officer_nik" not in views.FORM_FIELDS
