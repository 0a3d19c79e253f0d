"""A conversation belongs to the channel it came in on: a client of the REST or socket.io
channel, which names its own conversation id, can neither write into nor read from a
WhatsApp patient's conversation (or another channel's).

Three parts, each closing one way in:
- `check_rest_sender`: a REST sender id may not take the shape of a WhatsApp id (Twilio's
  "whatsapp:+27...", Meta's bare digits), so no REST client can start a conversation a
  WhatsApp patient will later write into, and be answered from it.
- connectors/website.py issues socket.io session ids itself (random, 32 hex) and accepts
  from a page only an id of that shape.
- `install()`: the processor refuses a message from the REST or socket.io channel into a
  conversation whose last message came from another channel, before anything is stored or
  said. WhatsApp messages are signed by Twilio or Meta, so they are never refused.

No stored conversation needs migrating: every stored message already carries its channel
(Rasa keeps `input_channel` on each user event), and the ids keep their shapes.
"""

import re
from typing import Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

# The channels whose clients choose the conversation id themselves.
CLIENT_NAMED = frozenset({"rest", "socketio"})
WHATSAPP_SHAPED = re.compile(r"\s*(?:whatsapp:|\+?\d[\d\s]*$)", re.IGNORECASE)
SOCKETIO_SESSION = re.compile(r"[0-9a-f]{32}")


class OtherChannelsConversation(Exception):
    """A message naming a conversation that another channel's patient holds."""

    def __init__(self, message: UserMessage, owner: Text) -> None:
        super().__init__(f"a {message.input_channel} message named a {owner} conversation")
        self.owner = owner


def check_rest_sender(sender: Text) -> Optional[Text]:
    """Why a REST sender id is refused, or None."""
    if WHATSAPP_SHAPED.match(sender):
        return ("\"sender\" must not look like a WhatsApp number (\"whatsapp:...\" or only "
                "digits): use your own id, e.g. a random one")
    return None


def is_issued_session_id(session_id: object) -> bool:
    return isinstance(session_id, str) and SOCKETIO_SESSION.fullmatch(session_id) is not None


def refuse_other_channels(message: UserMessage, tracker: DialogueStateTracker) -> None:
    if message.input_channel not in CLIENT_NAMED:
        return
    owner = tracker.get_latest_input_channel()
    if owner and owner != message.input_channel:
        raise OtherChannelsConversation(message, owner)


def install() -> None:
    """Replaces MessageProcessor.log_message (Rasa 3.6, checked by kind_failures.install)
    with the same steps (fetch_tracker_and_update_session's two, then the logging) and the
    check right after the tracker is read."""
    if getattr(MessageProcessor.log_message, "binds_channels", False):
        return

    async def log_message(self: MessageProcessor, message: UserMessage,
                          should_save_tracker: bool = True) -> DialogueStateTracker:
        tracker = await self.get_tracker(message.sender_id)
        refuse_other_channels(message, tracker)  # before a new session's start runs on it
        await self._update_tracker_session(tracker, message.output_channel, message.metadata)
        await self._handle_message_with_tracker(message, tracker)
        if should_save_tracker:
            await self.save_tracker(tracker)
        return tracker

    log_message.binds_channels = True  # type: ignore[attr-defined]
    MessageProcessor.log_message = log_message  # type: ignore[assignment]
