"""Whole triage conversations over WhatsApp, through Twilio and through Meta's Cloud API,
against the real Rasa server: requests signed as Twilio and Meta sign them, replies read
from the local fakes of Twilio's REST API and the Graph API."""

import hashlib
import hmac
import json
import time
import uuid
from typing import Dict, List

import pytest
import requests
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.conversation

TRIAGE_IN_WORDS = [
    "it goes down my left leg",
    "it started suddenly when I was lifting a box",
    "about 3 weeks",
    "7",
    "sitting makes it worse, walking helps",
    "about 9 hours",
    "I started running more for the Comrades",
]
SAFETY_QUESTIONS = 7


def user_events(assistant, sender: str) -> List[Dict]:
    return [e for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


# --- Twilio -------------------------------------------------------------------------------

def twilio_post(assistant, form: Dict, signature: str = None) -> requests.Response:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return requests.post(f"{assistant.url}/webhooks/twilio/webhook", data=form,
                         headers=headers, timeout=60)


def twilio_form(assistant, sender: str, body: str) -> Dict:
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
    return "\n".join(r.form()["Body"][0] for r in fake.received(to_sender)[before:])


def new_whatsapp_number() -> str:
    return f"+2782{uuid.uuid4().int % 10**7:07d}"


def test_a_whole_triage_over_whatsapp_through_twilio(assistant):
    sender = f"whatsapp:{new_whatsapp_number()}"
    greeting = twilio_say(assistant, sender, "hi")
    assert "Hein Viljoen Physiotherapy" in greeting and "1. Tell you about my pain" in greeting
    question = twilio_say(assistant, sender, "1")  # the number picks the first option
    assert "Where is the pain" in question and "4. Neck" in question
    twilio_say(assistant, sender, "1")
    for answer in TRIAGE_IN_WORDS:
        twilio_say(assistant, sender, answer)
    for _ in range(SAFETY_QUESTIONS):
        summary = twilio_say(assistant, sender, "2")  # "2. No"
    assert "Here's what I've noted" in summary and "1. Yes, that's right" in summary
    next_step = twilio_say(assistant, sender, "1")
    assert "assessment" in next_step and "10177" in next_step

    slots = assistant.slots(sender)
    assert slots["pain_location"] == "lower_back" and slots["severity"] == 7
    assert slots["check_bladder_bowel"] is False and slots["red_flags"] in (None, [])
    assert slots["triage_level"] == "routine" and slots["booking_status"] == "offered"
    sent = assistant.channels.fake_twilio.received(lambda r: r.form().get("To") == [sender])
    assert {r.form()["From"][0] for r in sent} == {"whatsapp:+14155238886"}
    assert sent[0].path == f"/2010-04-01/Accounts/{assistant.channels.env['TWILIO_ACCOUNT_SID']}/Messages.json"


def test_a_red_flag_over_twilio_gets_emergency_advice(assistant):
    sender = f"whatsapp:{new_whatsapp_number()}"
    reply = twilio_say(assistant, sender, "my back is killing me and I peed myself this morning")
    assert "10177" in reply and "112" in reply
    assert assistant.slots(sender)["triage_level"] == "emergency"


def test_forged_or_unsigned_twilio_webhooks_are_refused_and_never_processed(assistant):
    sender = f"whatsapp:{new_whatsapp_number()}"
    form = twilio_form(assistant, sender, "hi")
    forged = RequestValidator("not-the-auth-token").compute_signature(
        assistant.channels.env["TWILIO_WEBHOOK_URL"], form)
    # Signed by the right token but over the server's own address, not the public URL.
    wrong_url = twilio_signature(assistant, form, url=f"{assistant.url}/webhooks/twilio/webhook")
    tampered = twilio_signature(assistant, {**form, "Body": "something else"})
    for signature in (forged, None, "", wrong_url, tampered):
        assert twilio_post(assistant, form, signature).status_code == 403
    assert user_events(assistant, sender) == []
    assert assistant.channels.fake_twilio.received(lambda r: r.form().get("To") == [sender]) == []


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
    return [r.json() for r in fake.received(to_patient)[before:]]


def said(messages: List[Dict]) -> str:
    parts = []
    for message in messages:
        if message["type"] == "text":
            parts.append(message["text"]["body"])
        elif message["type"] == "interactive":
            parts.append(message["interactive"]["body"]["text"])
    return "\n".join(parts)


def test_a_whole_triage_over_the_whatsapp_cloud_api(assistant):
    wa_id = new_whatsapp_number()[1:]
    greeting = meta_say(assistant, text(wa_id, "hi"))
    buttons = greeting[-1]["interactive"]
    assert buttons["type"] == "button"
    assert [b["reply"]["id"] for b in buttons["action"]["buttons"]][0] == "/report_back_pain"

    question = meta_say(assistant, tap(wa_id, "/report_back_pain"))
    listing = question[-1]["interactive"]
    assert "Where is the pain" in listing["body"]["text"] and listing["type"] == "list"
    rows = listing["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "lower back", "title": "Lower back"}
    assert all(len(row["title"]) <= 24 for row in rows)

    meta_say(assistant, tap(wa_id, "lower back", kind="list_reply"))
    for answer in TRIAGE_IN_WORDS:
        meta_say(assistant, text(wa_id, answer))
    for _ in range(SAFETY_QUESTIONS):
        summary = meta_say(assistant, tap(wa_id, "/deny"))
    assert "Here's what I've noted" in said(summary)
    next_step = said(meta_say(assistant, tap(wa_id, "/affirm")))
    assert "assessment" in next_step and "10177" in next_step

    slots = assistant.slots(wa_id)
    assert slots["pain_location"] == "lower_back" and slots["pain_side"] == "left"
    assert slots["severity"] == 7 and slots["triage_level"] == "routine"
    assert slots["check_chest_breathing"] is False and slots["booking_status"] == "offered"
    sent = assistant.channels.fake_graph.received(lambda r: r.json().get("to") == wa_id)
    env = assistant.channels.env
    assert {r.path for r in sent} == {f"/v21.0/{env['WHATSAPP_PHONE_NUMBER_ID']}/messages"}
    assert {r.headers["Authorization"] for r in sent} == {f"Bearer {env['WHATSAPP_ACCESS_TOKEN']}"}
    assert all(r.json()["type"] != "template" for r in sent)


def test_meta_verifies_the_webhook_with_the_configured_token_only(assistant):
    url = f"{assistant.url}/webhooks/whatsapp/webhook"
    good = {"hub.mode": "subscribe", "hub.challenge": "1158201444",
            "hub.verify_token": assistant.channels.env["WHATSAPP_VERIFY_TOKEN"]}
    reply = requests.get(url, params=good, timeout=10)
    assert reply.status_code == 200 and reply.text == "1158201444"
    assert requests.get(url, params={**good, "hub.verify_token": "guess"}, timeout=10).status_code == 403
    assert requests.get(url, params={**good, "hub.mode": "other"}, timeout=10).status_code == 403


def test_forged_meta_notifications_are_refused_and_never_processed(assistant):
    wa_id = new_whatsapp_number()[1:]
    message = text(wa_id, "I have back pain")
    body = meta_notification(assistant, [message])
    secret = assistant.channels.env["WHATSAPP_APP_SECRET"]
    tampered = meta_notification(assistant, [{**message, "text": {"body": "something else"}}])
    for signature in (meta_signature(body, "not-the-app-secret"), None, "",
                      meta_signature(tampered, secret), "sha1=" + "0" * 40):
        assert meta_post(assistant, body, signature).status_code == 403
    # A message after them is handled: had a forged one been accepted it would be in the tracker.
    meta_say(assistant, text(wa_id, "hi"))
    assert [e["text"] for e in user_events(assistant, wa_id)] == ["hi"]


def test_meta_retries_and_status_updates_do_not_repeat_or_add_messages(assistant):
    wa_id = new_whatsapp_number()[1:]
    first = text(wa_id, "my lower back is sore")
    secret = assistant.channels.env["WHATSAPP_APP_SECRET"]
    meta_say(assistant, first)
    body = meta_notification(assistant, [first])
    assert meta_post(assistant, body, meta_signature(body, secret)).status_code == 200  # a retry
    status = meta_notification(assistant, statuses=[{
        "id": first["id"], "status": "read", "timestamp": str(int(time.time())), "recipient_id": wa_id}])
    assert meta_post(assistant, status, meta_signature(status, secret)).status_code == 200
    meta_say(assistant, text(wa_id, "it goes down my left leg"))
    assert [e["text"] for e in user_events(assistant, wa_id)] == [
        "my lower back is sore", "it goes down my left leg"]


def test_outside_the_24_hour_window_the_assistant_sends_only_the_template(assistant):
    """A message reaching the practice more than a day after it was sent (Meta retries for
    days after an outage) may not get free text back: only the approved template."""
    wa_id = new_whatsapp_number()[1:]
    late = {**text(wa_id, "hi"), "timestamp": str(int(time.time()) - 25 * 60 * 60)}
    replies = meta_say(assistant, late)
    assert [m["type"] for m in replies] == ["template"]
    assert replies[0]["template"] == {"name": "practice_follow_up", "language": {"code": "en"}}

    # Once the patient writes again, the window is open and the conversation goes on.
    replies = meta_say(assistant, text(wa_id, "hello again"))
    assert replies and all(m["type"] != "template" for m in replies)


# --- the website's socket.io channel ------------------------------------------------------

def test_the_chat_socket_accepts_only_the_practice_website_origin(assistant):
    handshake = f"{assistant.url}/socket.io/?EIO=4&transport=polling"
    website = assistant.channels.env["WEB_ORIGINS"]
    allowed = requests.get(handshake, headers={"Origin": website}, timeout=10)
    assert allowed.status_code == 200 and '"sid"' in allowed.text
    assert allowed.headers.get("Access-Control-Allow-Origin") == website
    refused = requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=10)
    assert refused.status_code == 400 and "not an accepted origin" in refused.text
