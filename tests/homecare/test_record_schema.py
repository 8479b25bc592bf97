"""A visit record's input is declared once (services.RecordInput); the API body adds only the
nurse's confirmation of danger signs."""

import dataclasses

from sigap.homecare import api, services


def test_the_api_body_is_the_record_input_and_the_confirmation() -> None:
    names = [f.name for f in dataclasses.fields(services.RecordInput)]
    assert list(api.RecordIn.model_fields) == [*names, "confirm_danger"]
    assert list(api.CorrectionIn.model_fields) == [*names, "confirm_danger", "reason"]
    body = api.RecordIn(outcome="stable")
    assert body.danger_signs == [] and body.confirm_danger is False and body.notes == ""
    assert api.RecordIn(outcome="x").danger_signs is not body.danger_signs  # no shared default
    data = api._record_input(api.RecordIn(outcome="worse", spo2=90, confirm_danger=True))
    assert data == services.RecordInput(outcome="worse", spo2=90)
