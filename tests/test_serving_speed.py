"""serving.speed's shortcuts give exactly Rasa's answers: the action-response validator
accepts and refuses what Rasa's `jsonschema.validate` does, and event types resolve to the
classes Rasa's class-tree walk finds."""

import pytest
from hypothesis import given, settings, strategies as st
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from serving import speed


@pytest.fixture(scope="module", autouse=True)
def installed():
    originals = RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"]
    speed.install()
    yield
    RemoteAction._validate_action_result, Event.resolve_by_type = originals


GOOD = {"events": [{"event": "slot", "name": "pain_location", "value": "neck"},
                   {"event": "active_loop", "name": "triage_form"},
                   {"event": "followup", "name": "booking_form", "timestamp": None}],
        "responses": [{"response": "utter_ask_triage_form_pain_radiates"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [], "responses": "not a list"},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "slot", "name": "a"}, "not an object"]},
    {"events": [{"name": "no event key"}]},
]
EVENT_NAMES = ["slot", "action", "user", "bot", "active_loop", "followup", "reset_slots",
               "session_started", "restart", "no_such_event"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
EVENTS = st.fixed_dictionaries(
    {"event": st.sampled_from(EVENT_NAMES)},
    optional={"name": st.text(max_size=8) | JSON, "value": JSON, "text": JSON,
              "timestamp": st.floats(allow_nan=False) | st.none() | st.text(max_size=3),
              "parse_data": JSON, "data": JSON, "metadata": JSON, "policy": JSON},
) | JSON
RESPONSES = st.fixed_dictionaries({}, optional={"events": st.lists(EVENTS, max_size=4) | JSON,
                                                "responses": st.lists(JSON, max_size=2) | JSON})


def rasa_accepts(response) -> bool:
    try:
        validate(response, RemoteAction.action_response_format_spec())
        return True
    except ValidationError:
        return False


def ours_accepts(response) -> bool:
    try:
        return RemoteAction("action_x", None)._validate_action_result(response)
    except ValidationError as refused:
        assert "Failed to validate Action server response" in refused.message
        return False


def test_a_valid_action_server_response_passes():
    assert ours_accepts(GOOD) and rasa_accepts(GOOD)


@pytest.mark.parametrize("response", BAD)
def test_an_invalid_response_is_refused_with_rasas_hint(response):
    assert not rasa_accepts(response)
    assert not ours_accepts(response)


@settings(max_examples=300, deadline=None)
@given(response=RESPONSES)
def test_any_response_is_judged_as_rasa_judges_it(response):
    assert ours_accepts(response) == rasa_accepts(response)


def test_every_event_type_resolves_to_the_class_rasas_walk_finds():
    walked = all_subclasses(Event)
    for name in {cls.type_name for cls in walked}:
        first = next(cls for cls in walked if cls.type_name == name)
        assert Event.resolve_by_type(name) is first
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards-compatible answer
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
