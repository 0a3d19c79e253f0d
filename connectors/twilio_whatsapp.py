"""WhatsApp through Twilio: Rasa's `twilio` channel with every webhook's signature checked.

Rasa's built-in TwilioInput trusts any POST. Here each request must carry a valid
`X-Twilio-Signature` (computed by Twilio with the account's auth token over the public
webhook URL and the form fields); anything else gets 403 and never reaches the assistant.
Replies go to the outbox (connectors/outbox.py), which delivers them through Twilio's REST
API in a worker thread, so the patient's message is stored whether or not Twilio answers.
A message the assistant could not handle (the database down) gets the kind reply instead.
"""

import asyncio
import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qs

import requests
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput

from connectors.outbox import Outbox, Refused, TryAgain
from connectors.replays import seen_store
from connectors.settings import ChannelSettings, read_settings
from serving.kind_failures import handle_or_apologise

logger = logging.getLogger(__name__)

TWILIO_API_URL = "https://api.twilio.com"
# Twilio rejects WhatsApp bodies longer than this.
MAX_BODY_CHARS = 1600
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def whatsapp_address(number: Text) -> Text:
    """`+27...` or `whatsapp:+27...` -> `whatsapp:+27...` (Twilio's WhatsApp addressing)."""
    number = number.strip()
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


def split_body(text: Text, limit: int = MAX_BODY_CHARS) -> List[Text]:
    """Splits at paragraph, then line, then word breaks so each part fits one message."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind(sep, 0, limit) for sep in ("\n\n", "\n", " "))
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts + [rest] if rest else parts


def form_fields(request: Request) -> RequestParameters:
    """The webhook's form fields, empty ones included: Twilio signs every field it posts
    (`Body` is empty for a photo or a voice note) and Sanic's `request.form` drops empty ones."""
    if request.content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return RequestParameters()
    try:
        return RequestParameters(parse_qs(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return RequestParameters()


def numbered_options(text: Text, buttons: List[Dict[Text, Any]]) -> Text:
    """WhatsApp through Twilio has no reply buttons without pre-approved templates:
    buttons become a numbered list and a reply with the number counts as the tap."""
    options = "\n".join(f"{number}. {button['title']}" for number, button in enumerate(buttons, 1))
    return f"{text.strip()}\n\n{options}"


class _TwilioApiClient(TwilioHttpClient):
    """Twilio's HTTP client, optionally pointed at another base URL (a test double)."""

    def __init__(self, api_url: Optional[Text]) -> None:
        # Retries cover failed connections only: a POST that timed out may have been sent.
        super().__init__(timeout=15, max_retries=3)
        self.api_url = (api_url or TWILIO_API_URL).rstrip("/")

    def request(self, method: Text, url: Text, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API_URL):
            url = self.api_url + url[len(TWILIO_API_URL):]
        return super().request(method, url, *args, **kwargs)


class TwilioWhatsAppOutput(OutputChannel):
    """Puts the assistant's messages in the outbox, as the calls to Twilio's REST API that
    will deliver them (connectors/outbox.py)."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def _create(self, recipient_id: Text, **message: Any) -> None:
        await self.outbox.put(recipient_id, {"to": whatsapp_address(recipient_id), **message})

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for body in split_body(text):
            await self._create(recipient_id, body=body)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, numbered_options(text, buttons))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._create(recipient_id, media_url=[image])

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        await self._create(recipient_id, **json_message)


def twilio_sender(settings: ChannelSettings) -> Callable[[Text, Dict[Text, Any]], Awaitable[None]]:
    """Delivers one outbox row with Twilio's REST API."""

    @functools.lru_cache(maxsize=1)
    def client() -> Client:  # only once configured: Twilio's client refuses no credentials
        return Client(settings.get("account_sid"), settings.get("auth_token"),
                      http_client=_TwilioApiClient(settings.get("api_url")))

    async def deliver(_: Text, message: Dict[Text, Any]) -> None:
        # twilio's client is synchronous (requests); a thread keeps the event loop free.
        create = functools.partial(client().messages.create,
                                   from_=whatsapp_address(settings.get("whatsapp_number")),
                                   **message)
        try:
            await asyncio.get_running_loop().run_in_executor(None, create)
        except TwilioRestException as error:
            problem = f"HTTP {error.status}, Twilio code {error.code}"
            if error.status == 429 or error.status >= 500:
                raise TryAgain(problem)
            raise Refused(problem)
        except requests.RequestException as error:  # DNS, refused connection, timeout
            raise TryAgain(type(error).__name__)

    return deliver


class TwilioWhatsAppInput(TwilioInput):
    """Twilio webhook at /webhooks/twilio/webhook, signature-checked."""

    title = "WhatsApp (Twilio)"
    required = ("account_sid", "auth_token", "whatsapp_number")

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(read_settings(cls.title, credentials, cls.required))

    def __init__(self, settings: ChannelSettings) -> None:
        super().__init__(
            settings.get("account_sid"), settings.get("auth_token"),
            settings.get("whatsapp_number"), debug_mode=False,
        )
        self.settings = settings
        self._seen = seen_store()
        self.outbox = Outbox(self.name(), twilio_sender(settings))
        if not settings.configured:
            logger.warning("%s; its webhook answers 503.", settings.describe())

    def get_output_channel(self) -> OutputChannel:
        return TwilioWhatsAppOutput(self.outbox)

    def signed_url(self, request: Request) -> Text:
        """The URL Twilio signed: the public one when a proxy sits in front of Rasa."""
        return self.settings.get("webhook_url") or request.url

    def has_valid_signature(self, request: Request, fields: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        validator = RequestValidator(self.auth_token)
        return validator.validate(self.signed_url(request), fields, signature)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        twilio_webhook = Blueprint("twilio_whatsapp_webhook", __name__)

        @twilio_webhook.listener("after_server_start")
        async def deliver_what_was_left(*_: Any) -> None:
            if self.settings.configured:
                self.outbox.start()

        @twilio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"status": "not configured"}, status=503)
            return response.json({"status": "ok"})

        @twilio_webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return response.json({"error": f"{self.title} is not configured"}, status=503)
            fields = form_fields(request)
            if not self.has_valid_signature(request, fields):
                logger.warning("Refused a Twilio webhook with a missing or wrong signature.")
                return response.json({"error": "invalid X-Twilio-Signature"}, status=403)

            sender = fields.get("From")
            text = fields.get("Body")
            if not sender or text is None:
                return response.json({"error": "From and Body are required"}, status=400)
            message_sid = fields.get("MessageSid")
            if message_sid and not await self._seen.first_time(self.name(), message_sid):
                logger.debug("Twilio message %s already received; ignored.", message_sid)
                return response.text(EMPTY_TWIML, content_type="text/xml")
            message = UserMessage(
                text, self.get_output_channel(), sender, input_channel=self.name(),
                metadata={"whatsapp_profile_name": fields.get("ProfileName")},
                message_id=fields.get("MessageSid"),
            )
            await handle_or_apologise(self._handle(request, message, on_new_message),
                                      message, request.app)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return twilio_webhook

    async def _handle(self, request: Request, message: UserMessage,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Reads a numbered answer as the option it picks, then hands the message on."""
        message.text = await self._payload_for_numbered_reply(request, message.sender_id,
                                                              message.text)
        await on_new_message(message)

    async def _payload_for_numbered_reply(self, request: Request, sender: Text, text: Text) -> Text:
        """"2" answering the numbered options of the assistant's last message means its
        second button; anything else is the patient's own words."""
        choice = text.strip().rstrip(".")
        agent = getattr(request.app.ctx, "agent", None)
        # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
        if not choice.isdecimal() or agent is None:
            return text
        tracker = await agent.tracker_store.retrieve(sender)
        bot_messages = [e for e in tracker.events if e.type_name == "bot"] if tracker else []
        buttons = (bot_messages[-1].data or {}).get("buttons") or [] if bot_messages else []
        number = int(choice)
        if 1 <= number <= len(buttons):
            return buttons[number - 1]["payload"]
        return text
