"""Measured hot spots in Rasa 3.6, removed without changing what Rasa does.

Profiling our triage bot under load (py-spy, README "Benchmark") put 41% of the Rasa
server's CPU in `RemoteAction._validate_action_result`, nearly all of it in
`jsonschema.validate` checking Rasa's own, constant response schema again on every
custom-action call (a turn here makes three or four). The schema is checked once here and
every action server response is still validated against it, with the same error.
What remained was the schema's `oneOf` over 23 event types, which makes jsonschema try
every type on every event (0.8 ms a response). Each event type's schema requires its own
`event` name, so an event is valid under the `oneOf` exactly when it is valid under the one
schema its name picks: a response is checked that way first, and only a response that
fails is checked again in full, for jsonschema's own error.

Then 6%: `Event.resolve_by_type` walks the whole `Event` class tree (with an
`inspect.isabstract` per class) for every event it turns from JSON into an object, and a
turn deserialises dozens (the action server's answers, the conversation read back). The
walk's result is kept by type name and walked again only for a name it does not know.

Then 8%: the ResponseSelector's network runs on every message, though its answer is used
only when the message's intent is a retrieval intent (here `faq`), and its ranking made up
over half of every stored user message, which the tracker store and every custom-action
call then carry. It is asked only about messages whose intent is one of its retrieval
intents, so an `faq` message gets the same answer as before and other messages none, which
Rasa's dialogue never reads for them.

Smaller ones, each a few percent: every graph run (the NLU once a message, the policies
once a prediction) derived the same sub-graph again from the whole graph schema; it is kept
per list of targets. Every tracker Rasa builds (several a prediction, to replay history)
copies each of the domain's slots with `copy.copy`, whose generic path is slow; slots get
a `__copy__` doing what that path does for them, a new object with the same attributes.
And JSON sent to the action server is written by ujson (already installed with Rasa), with
the standard library's `json.dumps` for anything ujson refuses.
"""

import copy
import json
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import aiohttp
import ujson
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _validators_by_event_name() -> Tuple[Any, Dict[Text, Any]]:
    """The schema without the events' `oneOf`, and each event type's own schema."""
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    event_schema = schema["properties"]["events"]["items"]
    types = event_schema.pop("oneOf")
    names = [each["properties"]["event"]["const"] for each in types]
    if len(set(names)) != len(names):
        raise RuntimeError("Rasa's event schemas no longer have one name each: re-read speed.py")
    validator_class = validators.validator_for(schema)
    return validator_class(schema), {name: validator_class(each)
                                     for name, each in zip(names, types)}


def _valid_by_event_name(result: Any) -> bool:
    without_types, by_name = _validators_by_event_name()
    if not without_types.is_valid(result):
        return False
    # Now `events`, if present, is a list of objects each with a string `event`.
    return all(event["event"] in by_name and by_name[event["event"]].is_valid(event)
               for event in result.get("events", []))


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _valid_by_event_name(result):
        return True
    # As jsonschema.validate reports it: the most relevant error, with Rasa's hint added.
    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


_event_classes: Dict[Text, Type[Event]] = {}
_resolve_by_walking = Event.resolve_by_type


def _resolve_event_type(
    type_name: Text, default: Optional[Type[Event]] = None
) -> Optional[Type[Event]]:
    if type_name not in _event_classes:
        # Reversed, so that the first class Rasa's walk would meet wins a shared name.
        _event_classes.update({cls.type_name: cls for cls in reversed(all_subclasses(Event))})
    if type_name in _event_classes:
        return _event_classes[type_name]
    return _resolve_by_walking(type_name, default)  # Rasa's own answer for unknown names


_select_for_every_message = ResponseSelector.process


def _select_for_retrieval_intents(self: ResponseSelector, messages: List[Message]) -> List[Message]:
    asked = [message for message in messages
             if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in self.all_retrieval_intents]
    _select_for_every_message(self, asked)
    return messages


_derive_sub_graph = GraphSchema.minimal_graph_schema


def _sub_graph_kept_per_targets(self: GraphSchema, targets: Optional[List[Text]] = None) -> GraphSchema:
    # A loaded model's graph schema never changes, so its sub-graphs don't either.
    kept = self.__dict__.setdefault("_sub_graphs", {})
    key = tuple(targets) if targets else None
    if key not in kept:
        kept[key] = _derive_sub_graph(self, targets)
    return kept[key]


def _copy_slot(self: Slot) -> Slot:
    # What copy.copy's generic path does for a plain object: same class, same attributes.
    duplicate = object.__new__(type(self))
    duplicate.__dict__.update(self.__dict__)
    return duplicate


def _dumps(data: Any) -> Text:
    try:
        return ujson.dumps(data)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(data)  # the standard library's answer, or its error


def _session_writing_json_with_ujson(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's `EndpointConfig.session`, with `_dumps` for JSON bodies."""
    auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth else None)
    return aiohttp.ClientSession(
        headers=self.headers, auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT), json_serialize=_dumps,
    )


def install() -> None:
    """Called after serving.kind_failures.install(), which refuses any Rasa but 3.6."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[assignment]
    ResponseSelector.process = _select_for_retrieval_intents  # type: ignore[assignment]
    GraphSchema.minimal_graph_schema = _sub_graph_kept_per_targets  # type: ignore[assignment]
    Slot.__copy__ = _copy_slot  # type: ignore[attr-defined]
    EndpointConfig.session = _session_writing_json_with_ujson  # type: ignore[assignment]

