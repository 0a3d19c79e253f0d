"""WhatsApp through Meta's WhatsApp Cloud API: webhook verification, signed notifications,
and sending through the Graph API.

Meta signs each notification with the app secret (`X-Hub-Signature-256`) and retries any
it does not see answered with 200 quickly, so the webhook checks the signature, answers at
once and hands each new message (de-duplicated by id) to a background task; one sender's
messages are processed in the order they arrived. Until it is handled, a message waits in
the inbox (connectors/inbox.py), so a server stopped in between loses nothing. Replies go to
the outbox (connectors/outbox.py), which delivers them through the Graph API with retries,
so a Graph API outage never holds up the patient's message. Free text may only be sent within 24
hours of the patient's last message; outside that window only the configured template is.
A message the assistant could not handle (the database down) gets the kind reply instead.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Set, Text

import aiohttp
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered

from connectors.inbox import Inbox
from connectors.outbox import Outbox, Refused, TryAgain
from connectors.replays import seen_store, too_old
from connectors.settings import ChannelSettings, read_settings
from serving.kind_failures import handle_or_apologise
from serving.log_privacy import conversation_ref

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
SESSION_WINDOW_SECONDS = 24 * 60 * 60
# WhatsApp's limits: text body, interactive body, reply-button and list-row titles, rows.
MAX_TEXT_CHARS = 4096
MAX_INTERACTIVE_BODY_CHARS = 1024
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE_CHARS = 20
MAX_ROW_TITLE_CHARS = 24
MAX_ROW_DESCRIPTION_CHARS = 72
MAX_LIST_ROWS = 10
# The label of the button that opens a list (WhatsApp requires one, at most 20 characters).
LIST_BUTTON_LABEL = "Choose"
INBOX_CHECK_EVERY_S = 60


def shorten(text: Text, limit: int) -> Text:
    """Fits `text` into `limit` characters, cutting at a word break with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > limit // 2 else text[:limit - 1]).rstrip(" ,;:/-") + "…"


def signature_is_valid(app_secret: Text, body: bytes, header: Optional[Text]) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    # compare_digest raises on non-ASCII text, and a hex digest is ASCII.
    if not header or not header.isascii() or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower())


def incoming_messages(notification: Dict[Text, Any]) -> Iterator[Dict[Text, Any]]:
    """The patient messages in a notification, each with its `phone_number_id`.
    Status updates (sent, delivered, read) carry no `messages` and are skipped."""
    for entry in notification.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            phone_number_id = (value.get("metadata") or {}).get("phone_number_id")
            for message in value.get("messages") or []:
                yield {**message, "phone_number_id": phone_number_id}


def _text_at(message: Dict[Text, Any], *keys: Text) -> Text:
    """The string at message[key][key]..., or "" when a level is missing or not as Meta
    documents it (the notification is signed, but its shape is still checked)."""
    value: Any = message
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def message_text(message: Dict[Text, Any]) -> Text:
    """Text for Rasa: typed text, or the id (payload) of a tapped button or list row.
    Other kinds (voice notes, photos) become empty text, which the assistant answers by
    asking for words."""
    kind = message.get("type")
    if kind == "text":
        return _text_at(message, "text", "body")
    if kind == "interactive":
        return (_text_at(message, "interactive", "button_reply", "id")
                or _text_at(message, "interactive", "list_reply", "id"))
    if kind == "button":  # a quick-reply button on a template
        return _text_at(message, "button", "payload") or _text_at(message, "button", "text")
    return ""


def interactive_messages(text: Text, buttons: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Up to three buttons as reply buttons, more as a list (ten rows per list message)."""
    body = {"text": shorten(text, MAX_INTERACTIVE_BODY_CHARS)}
    if len(buttons) <= MAX_REPLY_BUTTONS:
        return [{"type": "interactive", "interactive": {
            "type": "button", "body": body,
            "action": {"buttons": [
                {"type": "reply", "reply": {
                    "id": button["payload"],
                    "title": shorten(button["title"], MAX_BUTTON_TITLE_CHARS)}}
                for button in buttons]}}}]
    messages = []
    for start in range(0, len(buttons), MAX_LIST_ROWS):
        rows = []
        for button in buttons[start:start + MAX_LIST_ROWS]:
            row = {"id": button["payload"], "title": shorten(button["title"], MAX_ROW_TITLE_CHARS)}
            if row["title"] != button["title"]:
                row["description"] = shorten(button["title"], MAX_ROW_DESCRIPTION_CHARS)
            rows.append(row)
        messages.append({"type": "interactive", "interactive": {
            "type": "list", "body": body,
            "action": {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}}})
    return messages


class WhatsAppCloudOutput(OutputChannel):
    """Puts the assistant's messages in the outbox as Graph API message bodies
    (connectors/outbox.py delivers them with `graph_sender`)."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(
        self,
        settings: ChannelSettings,
        last_inbound_at: Callable[[Text], Optional[float]],
        outbox: Outbox,
    ) -> None:
        self.settings = settings
        self.last_inbound_at = last_inbound_at
        self.outbox = outbox
        self._template_sent_to: Set[Text] = set()

    def _within_window(self, recipient_id: Text) -> bool:
        last = self.last_inbound_at(recipient_id)
        return last is not None and time.time() - last < SESSION_WINDOW_SECONDS

    async def _send(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if message.get("type") != "template" and not self._within_window(recipient_id):
            await self._send_template_instead(recipient_id)
            return
        await self.outbox.put(recipient_id, {"messaging_product": "whatsapp",
                                             "recipient_type": "individual",
                                             "to": recipient_id, **message})

    async def _send_template_instead(self, recipient_id: Text) -> None:
        """Outside the 24-hour window WhatsApp accepts only templates: send the configured
        one (once per reply) and never free text."""
        template = self.settings.get("template_name")
        if not template:
            logger.warning("Outside WhatsApp's 24-hour window for %s and no template is "
                           "configured (WHATSAPP_TEMPLATE_NAME): message not sent.",
                           conversation_ref(recipient_id))
            return
        if recipient_id in self._template_sent_to:
            return
        self._template_sent_to.add(recipient_id)
        await self._send(recipient_id, {"type": "template", "template": {
            "name": template,
            "language": {"code": self.settings.get("template_language", "en")}}})

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        text = text.strip()
        for start in range(0, len(text), MAX_TEXT_CHARS):
            await self._send(recipient_id, {"type": "text", "text": {
                "body": text[start:start + MAX_TEXT_CHARS], "preview_url": False}})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        if len(text) > MAX_INTERACTIVE_BODY_CHARS:
            # Too long for an interactive body: the full text first, the choices after it.
            await self.send_text_message(recipient_id, text)
            text = text.strip().split("\n\n")[-1]
        for message in interactive_messages(text, buttons):
            await self._send(recipient_id, message)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, {"type": "image", "image": {"link": image}})

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, json_message)


def graph_sender(settings: ChannelSettings) -> Callable[[Text, Dict[Text, Any]], Awaitable[None]]:
    """Delivers one outbox row: `POST {graph_url}/{phone_number_id}/messages`."""

    async def deliver(_: Text, payload: Dict[Text, Any]) -> None:
        url = f"{settings.get('graph_url', DEFAULT_GRAPH_URL).rstrip('/')}/" \
              f"{settings.get('phone_number_id')}/messages"
        headers = {"Authorization": f"Bearer {settings.get('access_token')}"}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                async with session.post(url, json=payload, headers=headers) as reply:
                    status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise TryAgain(type(error).__name__)
        if status >= 300:
            problem = f"HTTP {status}"  # not the body: it may quote the message
            raise TryAgain(problem) if status == 429 or status >= 500 else Refused(problem)

    return deliver


class WhatsAppCloudInput(InputChannel):
    """Meta's webhook at /webhooks/whatsapp/webhook (GET to verify, POST notifications)."""

    title = "WhatsApp (Cloud API)"
    required = ("verify_token", "app_secret", "access_token", "phone_number_id")

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(read_settings(cls.title, credentials, cls.required))

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._seen = seen_store()
        self._last_inbound: Dict[Text, float] = {}
        # The latest task per sender, so the next message waits for it (order kept).
        self._latest_task: Dict[Text, asyncio.Task] = {}
        self._in_progress: Set[Text] = set()  # message ids this server is handling
        self.outbox = Outbox(self.name(), graph_sender(settings))
        self.inbox = Inbox(self.name())
        if not settings.configured:
            logger.warning("%s; its webhook answers 503.", settings.describe())

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppCloudOutput(self.settings, self._last_inbound.get, self.outbox)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        whatsapp_webhook = Blueprint("whatsapp_cloud_webhook", __name__)

        @whatsapp_webhook.listener("after_server_start")
        async def deliver_what_was_left(app: Sanic, *_: Any) -> None:
            if self.settings.configured:
                self.outbox.start()
                app.add_task(self._watch_for_left_behind(on_new_message, app))

        @whatsapp_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"status": "not configured"}, status=503)
            return response.json({"status": "ok"})

        @whatsapp_webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"error": f"{self.title} is not configured"}, status=503)
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.settings.get("verify_token").encode("utf-8")
            ):
                return response.text(request.args.get("hub.challenge") or "")
            return response.json({"error": "verification refused"}, status=403)

        @whatsapp_webhook.route("/webhook", methods=["POST"])
        async def notification(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"error": f"{self.title} is not configured"}, status=503)
            if not signature_is_valid(self.settings.get("app_secret"), request.body,
                                      request.headers.get("X-Hub-Signature-256")):
                logger.warning("Refused a WhatsApp notification with a missing or wrong signature.")
                return response.json({"error": "invalid X-Hub-Signature-256"}, status=403)
            try:
                payload = json.loads(request.body)
                messages = list(incoming_messages(payload))
            except (ValueError, AttributeError, TypeError):
                return response.json({"error": "body is not a WhatsApp notification"}, status=400)
            for message in messages:
                await self._accept(message, on_new_message, request.app)
            return response.json({"status": "received"})

        return whatsapp_webhook

    async def _accept(self, message: Dict[Text, Any],
                      on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Sanic) -> None:
        message_id, sender = _text_at(message, "id"), _text_at(message, "from")
        if not message_id or not sender:
            logger.warning("WhatsApp message without id or sender ignored (fields: %s)",
                           ", ".join(sorted(message)))
            return
        if message.get("phone_number_id") != self.settings.get("phone_number_id"):
            logger.warning("WhatsApp message %s was sent to another number (%s); ignored.",
                           message_id, message.get("phone_number_id"))
            return
        try:  # Meta's send time starts the window; never later than now
            sent_at = min(float(message.get("timestamp")), time.time())
        except (TypeError, ValueError):
            sent_at = time.time()
        if too_old(sent_at):
            logger.warning("WhatsApp message %s is older than Meta's retry period: a replay, "
                           "ignored.", message_id)
            return
        if not await self._seen.first_time(self.name(), message_id):
            logger.debug("WhatsApp message %s already received; Meta's retry ignored.", message_id)
            return
        text, kind = message_text(message), message.get("type")
        await self.inbox.keep(sender, message_id,
                              {"text": text, "type": kind, "sent_at": sent_at})
        self._handle_later(sender, message_id, text, kind, sent_at, on_new_message, app)

    def _handle_later(self, sender: Text, message_id: Text, text: Text, kind: Any,
                      sent_at: float, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      app: Sanic) -> None:
        """Hands the message to the assistant in a task, after this sender's earlier ones."""
        self._last_inbound[sender] = max(sent_at, self._last_inbound.get(sender, 0.0))
        self._in_progress.add(message_id)
        user_message = UserMessage(
            text, self.get_output_channel(), sender, input_channel=self.name(),
            message_id=message_id, metadata={"whatsapp_type": kind},
        )
        previous = self._latest_task.get(sender)
        task = asyncio.get_running_loop().create_task(
            self._handle_in_order(previous, user_message, on_new_message, app))
        self._latest_task[sender] = task
        task.add_done_callback(lambda done: self._forget(sender, done))

    async def _handle_left_behind(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                                  app: Sanic) -> None:
        """Messages a stopped server answered Meta for but never handled: each is handled
        now, unless its conversation already holds it."""
        for kept in await self.inbox.left_behind():
            sender, message_id = kept["conversation_id"], kept["message_id"]
            if message_id in self._in_progress:  # slow, but this server is on it
                continue
            agent = getattr(app.ctx, "agent", None)
            tracker = await agent.tracker_store.retrieve(sender) if agent else None
            if tracker and any(isinstance(event, UserUttered) and event.message_id == message_id
                               for event in tracker.events):
                await self.inbox.done(message_id)
                continue
            logger.warning("WhatsApp message %s to %s was left unhandled by a server that "
                           "stopped; handling it now.", message_id, conversation_ref(sender))
            self._handle_later(sender, message_id, kept["text"], kept["type"], kept["sent_at"],
                               on_new_message, app)

    async def _watch_for_left_behind(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                                     app: Sanic) -> None:
        while True:
            try:
                await self._handle_left_behind(on_new_message, app)
            except Exception:  # the database down, say: tried again in a minute
                logger.exception("Messages left in the WhatsApp inbox could not be read.")
            await asyncio.sleep(INBOX_CHECK_EVERY_S)

    def _forget(self, sender: Text, task: asyncio.Task) -> None:
        if self._latest_task.get(sender) is task:
            del self._latest_task[sender]

    async def _handle_in_order(
        self, previous: Optional[asyncio.Task], message: UserMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Sanic,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        # Never raises, so a failure does not stop this sender's later messages.
        await handle_or_apologise(on_new_message(message), message, app)
        await self.inbox.done(message.message_id)
        self._in_progress.discard(message.message_id)
