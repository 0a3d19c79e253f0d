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

import asyncio
import functools
import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from sanic import Blueprint

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from actions.practice import practice_slots
from connectors.outbox import Outbox, TryAgain
from serving.channel_binding import is_issued_session_id
from serving.kind_failures import handle_or_apologise
from serving.log_privacy import conversation_ref

logger = logging.getLogger(__name__)


# The responses that tell a patient to get help now: on the page they stand out (an icon, the
# alert style in web/static/chat.css, shown without the widget's typing delay: chat.js).
ALERT_RESPONSES = frozenset({"utter_red_flag_reason", "utter_escalation_advice",
                             "utter_escalation_reminder", "utter_emergency_check_reason"})
ALERT_ICON = "\u26a0"  # warning sign (in every common font); chat.js shows such bubbles at once
ALERT_CSS = {"customCss": {"style": "class", "css": "rw-alert"}}
# How long a page that acknowledges replies may take before a reply counts as not received.
ACK_TIMEOUT_S = float(os.environ.get("SOCKETIO_ACK_TIMEOUT_S") or 10)


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


class PageDelivery:
    """How replies reach the chat page. A page that acknowledges what it receives
    (web/static/chat.js does) has each reply kept in the outbox (connectors/outbox.py) until
    it does: a reply to a page that closed or lost its connection is delivered when the page
    asks for its session again, in order, and reception sees it as not delivered meanwhile.
    A page that never acknowledged (an older script) is sent to as Rasa does; a reply to no
    open page at all is kept either way."""

    def __init__(self, sio: Any, event: Text, namespace: Optional[Text]) -> None:
        self.sio, self.event, self.namespace = sio, event, namespace or "/"
        self.acknowledging: Set[Text] = set()  # sessions whose page acknowledged a reply
        self._keeping: Dict[Text, asyncio.Task] = {}  # the latest reply awaiting its ack
        self._backlogged: Set[Text] = set()  # sessions that may have replies in the outbox
        self.outbox = Outbox("socketio", self._deliver_kept)

    def _page_open(self, session_id: Text) -> bool:
        return any(True for _ in self.sio.manager.get_participants(self.namespace, session_id))

    async def _emit(self, session_id: Text, message: Dict[Text, Any]) -> "asyncio.Future":
        """Emits `message`; the future is done when a page acknowledges it."""
        acknowledged = asyncio.get_running_loop().create_future()

        def on_ack(*_: Any) -> None:
            self.acknowledging.add(session_id)
            if not acknowledged.done():
                acknowledged.set_result(True)

        await self.sio.emit(self.event, message, room=session_id, namespace=self.namespace,
                            callback=on_ack)
        return acknowledged

    async def _acknowledged(self, acknowledged: "asyncio.Future") -> bool:
        try:
            await asyncio.wait_for(asyncio.shield(acknowledged), ACK_TIMEOUT_S)
            return True
        except asyncio.TimeoutError:
            return False

    async def _deliver_kept(self, session_id: Text, message: Dict[Text, Any]) -> None:
        if not self._page_open(session_id):
            raise TryAgain("the chat page is not open")
        acknowledged = await self._emit(session_id, message)
        if session_id in self.acknowledging and not await self._acknowledged(acknowledged):
            raise TryAgain("the chat page did not acknowledge it")

    async def _waiting_for(self, session_id: Text) -> bool:
        """Whether replies to this session wait in the outbox. The database is asked only
        for sessions known to have had some, not on every reply."""
        if session_id not in self._backlogged:
            return False
        if await self.outbox.holds_messages_for(session_id):
            return True
        self._backlogged.discard(session_id)
        return False

    async def _keep(self, session_id: Text, message: Dict[Text, Any]) -> None:
        self._backlogged.add(session_id)
        await self.outbox.put(session_id, message)

    async def send(self, session_id: Text, message: Dict[Text, Any]) -> None:
        if not self._page_open(session_id) or await self._waiting_for(session_id):
            await self._keep(session_id, message)  # behind those waiting: in order
            return
        acknowledged = await self._emit(session_id, message)
        if session_id in self.acknowledging:
            previous = self._keeping.get(session_id)
            task = asyncio.get_running_loop().create_task(
                self._keep_unless_acknowledged(session_id, message, acknowledged, previous))
            self._keeping[session_id] = task
            task.add_done_callback(lambda done: self._keeping.pop(session_id, None)
                                   if self._keeping.get(session_id) is done else None)

    async def _keep_unless_acknowledged(self, session_id: Text, message: Dict[Text, Any],
                                        acknowledged: "asyncio.Future",
                                        previous: Optional["asyncio.Task"]) -> None:
        received = await self._acknowledged(acknowledged)
        if previous is not None:  # kept in the order they were sent
            await asyncio.wait([previous])
        if not received:
            logger.warning("The chat page of %s did not acknowledge a reply; it is kept "
                           "for when the page comes back.", conversation_ref(session_id))
            await self._keep(session_id, message)

    async def page_back(self, session_id: Text) -> None:
        """A page asked for its session again: what it missed (kept by any server) is sent
        now, and its new replies go behind it."""
        if await self.outbox.holds_messages_for(session_id):
            self._backlogged.add(session_id)
            await self.outbox.deliver_now(session_id)


class WebsiteOutput(SocketIOOutput):
    """Rasa's socket.io output, with tap-to-call numbers and help-now replies as alerts, and
    each reply sent through `PageDelivery`."""

    def __init__(self, sio: Any, bot_message_evt: Text, delivery: PageDelivery) -> None:
        super().__init__(sio, bot_message_evt)
        self.delivery = delivery

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        await self.delivery.send(socket_id, response)

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
        return WebsiteOutput(self.sio, self.bot_message_evt, self.delivery)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle_kindly(message: UserMessage) -> None:
            # A message arrives only once the blueprint is registered with Rasa's app.
            app = next(iter(socketio_webhook.apps))
            await handle_or_apologise(on_new_message(message), message, app)

        socketio_webhook = super().blueprint(handle_kindly)
        sio = self.sio
        self.delivery = PageDelivery(sio, self.bot_message_evt, self.namespace)
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
            await self.delivery.page_back(session_id)

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
                text if isinstance(text, str) else "",
                WebsiteOutput(sio, self.bot_message_evt, self.delivery),
                session_id if self.session_persistence else sid, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {})
            await handle_kindly(message)

        return socketio_webhook
