"""The cached action-response validator accepts and refuses exactly what Rasa's did."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from serving import speed


@pytest.fixture(scope="module", autouse=True)
def installed():
    original = RemoteAction._validate_action_result
    speed.install()
    yield
    RemoteAction._validate_action_result = original


GOOD = {"events": [{"event": "slot", "name": "pain_location", "value": "neck"}],
        "responses": [{"response": "utter_ask_triage_form_pain_radiates"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [], "responses": "not a list"},
    {"events": [{"event": "slot"}]},
]


def test_a_valid_action_server_response_passes():
    assert RemoteAction("action_x", None)._validate_action_result(GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_an_invalid_response_is_refused_with_rasas_hint(response):
    with pytest.raises(ValidationError) as refused:
        RemoteAction("action_x", None)._validate_action_result(response)
    assert "Failed to validate Action server response" in refused.value.message
    with pytest.raises(ValidationError):  # Rasa's own check refuses it too
        from jsonschema import validate
        validate(response, RemoteAction.action_response_format_spec())
