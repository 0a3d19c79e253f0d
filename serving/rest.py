"""Rasa's REST channel with a strict front door and an honest answer when storage fails.

Stock Rasa 3.6 answers a JSON list body with 500, files a message without `sender` under the
shared conversation "default" (one patient could read another's), accepts any size, and says
200 `[]` when the tracker store or lock store is down, so the client believes a message was
kept that was not. Here: bad input gets 400/413 with a clear error, a sender naming another
channel's conversation 403, and a message that could not be handled gets 503 with the kind
reply, telling the client to send it again.
Registered in credentials.yml as `serving.rest.RestInput`; the URL stays /webhooks/rest/webhook.
"""

import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as StockRestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from serving.channel_binding import OtherChannelsConversation, check_rest_sender
from serving.kind_failures import kind_reply
from serving.log_privacy import conversation_ref

logger = logging.getLogger(__name__)

# A patient's message, however long, is far below this (odd text inside it, a pasted essay
# or control characters, still gets an answer from the assistant). The tracker store's
# sender_id is VARCHAR(255) in PostgreSQL: a longer id would fail at save time.
MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 255


class BadRequest(Exception):
    def __init__(self, message: Text, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_body(request: Request) -> Dict[Text, Any]:
    """The checked fields of a webhook request (as stock Rasa reads them), or BadRequest."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        raise BadRequest(f"body larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        body = request.json
    except (InvalidUsage, UnicodeDecodeError, ValueError):
        raise BadRequest("body must be JSON (UTF-8) like {\"sender\": \"id\", \"message\": \"text\"}")
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object with \"sender\" and \"message\"")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("\"sender\" must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f"\"sender\" must be at most {MAX_SENDER_CHARS} characters")
    if "\x00" in sender:  # PostgreSQL refuses NUL in text columns
        raise BadRequest("\"sender\" must not contain NUL characters")
    if not isinstance(message, str):
        raise BadRequest("\"message\" must be a string")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("\"metadata\" must be a JSON object when given")
    refused = check_rest_sender(sender)
    if refused:
        raise BadRequest(refused, status=403)
    return {"sender": sender, "message": message, "metadata": metadata}


class RestInput(StockRestInput):
    """The REST channel (`/webhooks/rest/webhook`) with input checks and 503 on failures."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                checked = parse_body(request)
            except BadRequest as error:
                return response.json({"error": error.message}, status=error.status)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(
                    checked["message"], collector, checked["sender"],
                    # Always this channel's name, never the body's: the channel is what
                    # binds a conversation (serving/channel_binding.py).
                    input_channel=self.name(), metadata=checked["metadata"],
                ))
            except OtherChannelsConversation:
                logger.warning("A REST message named %s, a conversation of another channel; "
                               "refused.", conversation_ref(checked["sender"]))
                return response.json({"error": "this \"sender\" is a conversation on another "
                                               "channel: use your own id"}, status=403)
            except Exception:
                logger.exception("message from %s could not be handled",
                                 conversation_ref(checked["sender"]))
                reply = await kind_reply(getattr(request.app.ctx, "agent", None),
                                         checked["sender"], self.name())
                return response.json(
                    [{"recipient_id": checked["sender"], **reply}], status=503
                )
            return response.json(collector.messages)

        return webhook

