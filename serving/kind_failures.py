"""A kind reply when a custom action fails, and no silent forgetting when storage fails.

Rasa 3.6's `MessageProcessor._run_action` logs an exception from any action (action server
down, timeout, 500) and carries on without a word to the patient: the REST channel answers
`[]` and a website or WhatsApp chat simply goes quiet. Rasa 3.6 has no hook for this (its
plugin manager only loads Rasa Pro), so `install()` wraps that one method. It is
channel-independent because the reply goes through the output channel the processor was given.

On a failure the action's events are dropped (as Rasa does), the patient gets
`utter_something_went_wrong` once per message, and the bot listens again, so the same message
sent again, once the action server is back, carries on where the conversation was.

Storage: Rasa 3.6 wraps every tracker store in a `FailSafeTrackerStore` that, when the
database is down, starts the conversation afresh (red flags and triage level forgotten) and
keeps it only in that one process's memory. `install()` makes that wrapper raise instead, so
the channel can tell the patient (serving.rest answers 503 with the kind reply; socket.io and
the WhatsApp channels send it through `handle_or_apologise`) and nothing is stored in a place
the other servers and reception cannot see. And Rasa's SQL engine keeps pooled connections
across a database restart, so each server failed its first message after one; `install()`
turns on SQLAlchemy's `pool_pre_ping`, which replaces dead connections.
"""

import logging
from pathlib import Path
from typing import Any, Awaitable, Dict, Optional, Text

import rasa
import yaml
from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
import rasa.core.tracker_store
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from serving.channel_binding import OtherChannelsConversation
from serving.log_privacy import conversation_ref

logger = logging.getLogger(__name__)

RESPONSE = "utter_something_went_wrong"
PRACTICE_FILE = Path(__file__).resolve().parent.parent / "practice.yml"
# The same words as the domain's response, for when no model is loaded yet to render it; the
# emergency numbers are in it because a red flag's escalation is itself a custom action.
FALLBACK_TEXT = (
    "Sorry, something went wrong on our side and I couldn't finish that. Please try again "
    "in a minute, or call us on {phone}. If this is an emergency, call {ambulance} "
    "(or {cell} from a cell phone) now."
)


def fallback_text() -> Text:
    details = yaml.safe_load(PRACTICE_FILE.read_text(encoding="utf-8"))
    emergency = details.get("emergency", {})
    return FALLBACK_TEXT.format(
        phone=details["phone"],
        ambulance=emergency.get("ambulance", "10177"),
        cell=emergency.get("cell_phone", "112"),
    )


async def kind_message(
    domain: Domain, nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
    channel_name: Text,
) -> Dict[Text, Any]:
    """The reply for a failure: the domain's response when it has one, else the fallback."""
    if RESPONSE in domain.responses:
        message = await nlg.generate(RESPONSE, tracker, channel_name)
        if message:
            return {**message, "utter_action": RESPONSE}
    return {"text": fallback_text(), "utter_action": RESPONSE}


async def kind_reply(
    agent: Optional[Agent], sender_id: Text, channel_name: Text
) -> Dict[Text, Any]:
    """The failure reply from the loaded model's domain; no tracker store is needed for it."""
    if agent is None or agent.domain is None:
        return {"text": fallback_text()}
    domain = agent.domain
    tracker = DialogueStateTracker.from_events(sender_id, [], slots=domain.slots)
    message = await kind_message(
        domain, TemplatedNaturalLanguageGenerator(domain.responses), tracker, channel_name
    )
    return {"text": message.get("text")}


async def handle_or_apologise(handling: Awaitable[Any], message: UserMessage, app: Sanic) -> None:
    """Awaits `handling` (the assistant handling `message`). When it fails (the database is
    down, say), the failure is logged and the patient gets the kind reply, asking them to
    send it again, on the message's own channel. For channels that have no status code to
    tell the sender (socket.io, WhatsApp); never raises, so the channel keeps serving. The
    log names the message but not its words: they may be health details (POPIA)."""
    try:
        await handling
        return
    except OtherChannelsConversation as refused:
        # Nothing was stored; a reply would go to the other channel's conversation.
        logger.warning("%s message %s named %s, a %s conversation; refused.",
                       message.input_channel, message.message_id,
                       conversation_ref(message.sender_id), refused.owner)
        return
    except Exception:
        logger.exception("%s message %s from %s (%d characters) could not be handled, so most "
                         "likely not stored; the patient was asked to send it again",
                         message.input_channel, message.message_id,
                         conversation_ref(message.sender_id), len(message.text or ""))
    try:
        reply = await kind_reply(getattr(app.ctx, "agent", None), message.sender_id,
                                 message.output_channel.name())
        await message.output_channel.send_response(message.sender_id, reply)
    except Exception:
        logger.exception("The kind reply to %s could not be sent either",
                         conversation_ref(message.sender_id))


def _already_apologised(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.metadata.get("utter_action") == RESPONSE:
            return True
    return False


class _FailureNotingAction:
    """Passes everything to the action; remembers whether its `run` raised."""

    def __init__(self, action: Any) -> None:
        self._action = action
        self.failed = False

    def __getattr__(self, name: Text) -> Any:
        return getattr(self._action, name)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._action.run(*args, **kwargs)
        except ActionExecutionRejection:
            raise  # a form rejecting input is normal dialogue, not a failure
        except Exception:
            self.failed = True
            raise


class TrackerStoreUnavailable(Exception):
    """The conversation store failed; the message was not handled."""


def _raise_storage_error(_: FailSafeTrackerStore, error: Exception) -> None:
    raise TrackerStoreUnavailable(str(error)) from error


def install() -> None:
    """Patches Rasa once; refuses Rasa versions this was not read for."""
    if not rasa.__version__.startswith("3.6."):
        raise RuntimeError(
            f"serving.kind_failures was written against Rasa 3.6's processor and tracker "
            f"store; re-read them before using it with {rasa.__version__}"
        )
    original = MessageProcessor._run_action
    if getattr(original, "kind_failures", False):
        return
    # Both are called inside Rasa's `except` blocks, so raising here replaces the fallback.
    FailSafeTrackerStore.on_tracker_store_error = _raise_storage_error  # type: ignore
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _raise_storage_error  # type: ignore
    engine_kwargs = rasa.core.tracker_store.create_engine_kwargs
    rasa.core.tracker_store.create_engine_kwargs = (  # type: ignore[assignment]
        # hide_parameters: a failed write's log line must not carry the events' patient words.
        lambda url: {**engine_kwargs(url), "pool_pre_ping": True, "hide_parameters": True}
    )

    async def _run_action(
        self: MessageProcessor, action: Any, tracker: DialogueStateTracker,
        output_channel: OutputChannel, nlg: NaturalLanguageGenerator, prediction: Any,
    ) -> bool:
        noting = _FailureNotingAction(action)
        should_predict_another = await original(
            self, noting, tracker, output_channel, nlg, prediction
        )
        if not noting.failed:
            return should_predict_another
        if not _already_apologised(tracker):
            message = await kind_message(self.domain, nlg, tracker, output_channel.name())
            utterance = create_bot_utterance(message)
            await output_channel.send_response(tracker.sender_id, utterance.message())
            tracker.update(utterance)
        # Listen again rather than let the policies guess a next step without the lost events.
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        return False

    _run_action.kind_failures = True  # type: ignore[attr-defined]
    MessageProcessor._run_action = _run_action  # type: ignore[assignment]
