"""Talking to the assistant as WhatsApp does, through Twilio and through Meta's Cloud API:
requests signed as Twilio and Meta sign them, replies read from the local fakes of Twilio's
REST API and the Graph API (tests/fakes.py). `assistant` is a conftest `Assistant` that knows
its channels' settings."""

import hashlib
import hmac
import json
import time
import uuid
from typing import Dict, List

import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from connectors import practice_db
from connectors.outbox import outbox
from tests.patient_data import note


def on_its_way(assistant, conversation_id: str) -> int:
    """How many of the assistant's messages to this patient the outbox still holds."""
    engine = practice_db.engine(assistant.practice_db_url)
    if not sa.inspect(engine).has_table("outbox"):
        return 0
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).where(
            outbox.c.conversation_id == conversation_id,
            outbox.c.status.in_(("pending", "sending")))).scalar()


def wait_until_delivered(assistant, conversation_id: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while on_its_way(assistant, conversation_id):
        if time.monotonic() > deadline:
            raise AssertionError(f"replies still in the outbox after {timeout_s} s")
        time.sleep(0.05)


# --- Twilio -------------------------------------------------------------------------------

def twilio_post(assistant, form: Dict, signature: str = None) -> requests.Response:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return requests.post(f"{assistant.url}/webhooks/twilio/webhook", data=form,
                         headers=headers, timeout=60)


def twilio_form(assistant, sender: str, body: str) -> Dict:
    note(sender, body)
    env = assistant.channels.env
    return {"AccountSid": env["TWILIO_ACCOUNT_SID"], "MessageSid": "SM" + uuid.uuid4().hex,
            "From": sender, "To": f"whatsapp:{env['TWILIO_WHATSAPP_NUMBER']}",
            "Body": body, "NumMedia": "0", "ProfileName": "Thandi", "WaId": sender[10:]}


def twilio_signature(assistant, form: Dict, url: str = None) -> str:
    env = assistant.channels.env
    return RequestValidator(env["TWILIO_AUTH_TOKEN"]).compute_signature(
        url or env["TWILIO_WEBHOOK_URL"], form)


def twilio_say(assistant, sender: str, body: str) -> str:
    """Sends a signed message as Twilio would; returns what the assistant sent back."""
    fake = assistant.channels.fake_twilio
    to_sender = lambda r: r.form().get("To") == [sender]  # noqa: E731
    before = len(fake.received(to_sender))
    form = twilio_form(assistant, sender, body)
    reply = twilio_post(assistant, form, twilio_signature(assistant, form))
    assert reply.status_code == 200, reply.text
    wait_until_delivered(assistant, sender)  # the webhook answers once the replies are stored
    return "\n".join(r.form()["Body"][0] for r in fake.received(to_sender)[before:])


def new_whatsapp_number() -> str:
    number = f"+2782{uuid.uuid4().int % 10**7:07d}"
    note(number)
    return number


# --- WhatsApp Cloud API -------------------------------------------------------------------

def meta_notification(assistant, messages: List[Dict] = (), statuses: List[Dict] = ()) -> bytes:
    """A notification shaped like the examples in Meta's webhook documentation."""
    value = {"messaging_product": "whatsapp", "metadata": {
        "display_phone_number": "27215550000",
        "phone_number_id": assistant.channels.env["WHATSAPP_PHONE_NUMBER_ID"]}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Thandi"}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return json.dumps({"object": "whatsapp_business_account", "entry": [
        {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}).encode()


def meta_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_post(assistant, body: bytes, signature: str = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(f"{assistant.url}/webhooks/whatsapp/webhook", data=body,
                         headers=headers, timeout=30)


def text(wa_id: str, body: str) -> Dict:
    note(wa_id, body)
    return {"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
            "type": "text", "text": {"body": body}}


def tap(wa_id: str, reply_id: str, kind: str = "button_reply") -> Dict:
    return {"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
            "type": "interactive", "interactive": {"type": kind, kind: {"id": reply_id, "title": "x"}}}


def wait_until_handled(assistant, wa_id: str, message_id: str, timeout_s: float = 60) -> None:
    """The webhook answers before the message is handled: wait for the turn to finish."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = assistant.tracker(wa_id)["events"]
        ids = [e.get("message_id") for e in events if e["event"] == "user"]
        if message_id in ids and events[-1]["event"] == "action" \
                and events[-1]["name"] == "action_listen":
            return
        time.sleep(0.2)
    raise AssertionError(f"message {message_id} was not handled in {timeout_s} s")


def meta_say(assistant, message: Dict) -> List[Dict]:
    """Sends a signed notification; returns the Graph API messages sent back to the patient."""
    fake, wa_id = assistant.channels.fake_graph, message["from"]
    to_patient = lambda r: r.json().get("to") == wa_id  # noqa: E731
    before = len(fake.received(to_patient))
    body = meta_notification(assistant, [message])
    reply = meta_post(assistant, body, meta_signature(body, assistant.channels.env["WHATSAPP_APP_SECRET"]))
    assert reply.status_code == 200, reply.text
    wait_until_handled(assistant, wa_id, message["id"])
    wait_until_delivered(assistant, wa_id)
    return [r.json() for r in fake.received(to_patient)[before:]]


def said(messages: List[Dict]) -> str:
    parts = []
    for message in messages:
        if message["type"] == "text":
            parts.append(message["text"]["body"])
        elif message["type"] == "interactive":
            parts.append(message["interactive"]["body"]["text"])
    return "\n".join(parts)
