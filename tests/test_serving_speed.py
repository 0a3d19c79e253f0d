"""serving.speed's shortcuts give exactly Rasa's answers: the action-response validator
accepts and refuses what Rasa's `jsonschema.validate` does, and event types resolve to the
classes Rasa's class-tree walk finds."""

import copy
import json
import math

import pytest
from hypothesis import given, settings, strategies as st
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer as Tokenizer
from rasa.shared.core.events import Event
from rasa.shared.core.slots import (AnySlot, BooleanSlot, CategoricalSlot, FloatSlot, ListSlot,
                                    Slot, TextSlot)
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from serving import speed


@pytest.fixture(scope="module", autouse=True)
def installed():
    originals = (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"],
                 ResponseSelector.process, GraphSchema.minimal_graph_schema, EndpointConfig.session)
    speed.install()
    yield
    (RemoteAction._validate_action_result, Event.resolve_by_type, ResponseSelector.process,
     GraphSchema.minimal_graph_schema, EndpointConfig.session) = originals
    del Slot.__copy__


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


def test_a_sub_graph_is_derived_once_per_targets_and_is_the_one_rasa_derives():
    def node(*needs):
        return SchemaNode(needs={f"i{n}": name for n, name in enumerate(needs)},
                          uses=Tokenizer, constructor_name="create", fn="process", config={})
    schema = GraphSchema({"nlu": node("featurize", "tokenize"), "featurize": node("tokenize"),
                          "tokenize": node(), "policies": node("featurize")})
    fresh = speed._derive_sub_graph(schema, ["nlu"])
    kept = schema.minimal_graph_schema(["nlu"])
    assert kept.nodes == fresh.nodes and set(kept.nodes) == {"nlu", "featurize", "tokenize"}
    assert schema.minimal_graph_schema(["nlu"]) is kept
    assert set(schema.minimal_graph_schema(["policies"]).nodes) == {"policies", "featurize",
                                                                    "tokenize"}


@pytest.mark.parametrize("slot", [
    TextSlot("pain_location", [], initial_value="neck"),
    FloatSlot("desk_hours", [], max_value=24, min_value=0),
    CategoricalSlot("onset", [], values=["sudden", "gradual"]),
    ListSlot("red_flags", [], initial_value=["cauda_equina"]),
    BooleanSlot("check_leg_weakness", []),
    AnySlot("red_flag_evidence", []),
])
def test_a_copied_slot_is_a_separate_slot_with_the_same_state(slot):
    duplicate = copy.copy(slot)
    assert type(duplicate) is type(slot) and duplicate is not slot
    assert vars(duplicate) == vars(slot)
    duplicate.value = None
    assert slot.value == slot.initial_value  # setting the copy leaves the original


def test_action_server_json_is_the_same_json():
    payload = {"tracker": {"events": [{"event": "user", "text": "my back/neck, é ✓",
                                       "timestamp": 1795616010.636413,
                                       "parse_data": {"intent": {"confidence": 0.1}}}]},
               "domain": {"slots": {"severity": {"max_value": 1e-7, "values": [True, None]}}}}
    assert json.loads(speed._dumps(payload)) == payload
    assert math.isnan(json.loads(speed._dumps({"odd": float("nan")}))["odd"])
    assert json.loads(speed._dumps({"big": 2 ** 70})) == {"big": 2 ** 70}
    with pytest.raises(TypeError):  # as json.dumps refuses it
        speed._dumps({"not json": {1, 2}})
