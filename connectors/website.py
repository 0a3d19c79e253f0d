"""The website chat: Rasa's socket.io channel, accepting only the practice's web origins.

Rasa 3.6 builds its socket.io server with CORS handling switched off, so any web page
could open a chat. Here the server accepts connections only from the origins named by the
variable in credentials.yml (`WEB_ORIGINS`, comma-separated; default the local chat page,
http://localhost:$WEB_PORT and http://127.0.0.1:$WEB_PORT).

Rasa 3.6's `session_request` handler is also replaced, so that the page joins its session's
room with python-socketio 5.10 and later, and its message handler, so that a page writes
only into the session this server issued it (see `blueprint`). A message the assistant could not
handle (the database down) gets the kind reply in the chat instead of silence.
"""

import functools
import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from sanic import Blueprint

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from actions.practice import practice_slots
from serving.channel_binding import is_issued_session_id
from serving.kind_failures import handle_or_apologise

logger = logging.getLogger(__name__)


# The responses that tell a patient to get help now: on the page they stand out (an icon, the
# alert style in web/static/chat.css, shown without the widget's typing delay: chat.js).
ALERT_RESPONSES = frozenset({"utter_red_flag_reason", "utter_escalation_advice",
                             "utter_escalation_reminder", "utter_emergency_check_reason"})
ALERT_ICON = "\u26a0"  # warning sign (in every common font); chat.js shows such bubbles at once
ALERT_CSS = {"customCss": {"style": "class", "css": "rw-alert"}}


@functools.lru_cache(maxsize=1)
def _phone_numbers() -> "re.Pattern":
    """The practice's numbers that are dialable (emergency first), as one pattern."""
    practice = practice_slots()
    numbers = [practice[name].strip() for name in
               ("emergency_ambulance", "emergency_cell", "practice_phone")]
    numbers = [n for n in numbers if re.fullmatch(r"\+?[\d ]{3,20}", n)]
    alternatives = "|".join(re.escape(n) for n in sorted(set(numbers), key=len, reverse=True))
    return re.compile(rf"(?<![\w+])(?:{alternatives})(?!\w)" if alternatives else r"(?!x)x")


def phone_links(text: Text) -> Text:
    """The practice's numbers as tap-to-call links (the widget renders Markdown)."""
    return _phone_numbers().sub(
        lambda m: f"[{m.group(0)}](tel:{re.sub(r'[^0-9+]', '', m.group(0))})", text)


class WebsiteOutput(SocketIOOutput):
    """Rasa's socket.io output, with tap-to-call numbers and help-now replies as alerts."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        text = phone_links(text)
        if kwargs.get("utter_action") not in ALERT_RESPONSES:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": f"{ALERT_ICON} {part}",
                                                    "metadata": ALERT_CSS})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, phone_links(text), buttons, **kwargs)


def allowed_origins(variable: Text, environ: Optional[Dict[Text, Text]] = None) -> List[Text]:
    environ = os.environ if environ is None else environ
    port = environ.get("WEB_PORT", "8080")
    configured = environ.get(variable) or f"http://localhost:{port},http://127.0.0.1:{port}"
    origins = [origin.strip().rstrip("/") for origin in configured.split(",") if origin.strip()]
    if not origins or "*" in origins:
        # An empty list or "*" would let every web page talk to the assistant.
        raise ValueError(f"{variable} must list the website's origins, e.g. https://example.co.za")
    return origins


class WebsiteSocketIOInput(SocketIOInput):
    """socket.io for the chat page, limited to the configured origins."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        origins = allowed_origins(credentials.pop("allowed_origins", "WEB_ORIGINS"))
        channel = super().from_credentials(credentials)
        channel.origins = origins
        return channel

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # says why there is none
        return WebsiteOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle_kindly(message: UserMessage) -> None:
            # A message arrives only once the blueprint is registered with Rasa's app.
            app = next(iter(socketio_webhook.apps))
            await handle_or_apologise(on_new_message(message), message, app)

        socketio_webhook = super().blueprint(handle_kindly)
        sio = self.sio
        # engine.io checks the Origin of every connection, websocket ones included.
        sio.eio.cors_allowed_origins = self.origins

        # Replaces Rasa 3.6's handler, which calls enter_room without await: since
        # python-socketio 5.10 it is a coroutine, so with session_persistence the page never
        # joined its session's room and the bot's replies, sent to that room, were lost.
        # The session id is one this server issued (a page keeps it across reloads); any
        # other id the page names, such as a WhatsApp number, gets a new session instead.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = requested if is_issued_session_id(requested) else uuid.uuid4().hex
            await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        # Replaces Rasa 3.6's handler, which takes the conversation id from each message:
        # here it is the session this connection was given, whatever the message says.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            session_id = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if not isinstance(data, dict) or (self.session_persistence and not session_id):
                logger.warning("A socket.io message before its session_request, or not an "
                               "object; ignored.")
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            text = data.get("message")
            message = UserMessage(
                text if isinstance(text, str) else "", WebsiteOutput(sio, self.bot_message_evt),
                session_id if self.session_persistence else sid, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {})
            await handle_kindly(message)

        return socketio_webhook
