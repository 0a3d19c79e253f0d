"""Whole triage conversations over WhatsApp, through Twilio and through Meta's Cloud API,
against the real Rasa server: requests signed as Twilio and Meta sign them, replies read
from the local fakes of Twilio's REST API and the Graph API (tests/whatsapp_support.py)."""

import asyncio
import time
from typing import Dict, List

import pytest
import requests
import socketio
from twilio.request_validator import RequestValidator

from tests.patient_data import note
from tests.whatsapp_support import (
    meta_notification, meta_post, meta_say, meta_signature, new_whatsapp_number, said, tap, text,
    twilio_form, twilio_post, twilio_signature, twilio_say, wait_until_delivered)

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


def test_a_photo_over_twilio_is_answered_with_a_request_for_words(assistant):
    """Twilio posts a photo or voice note with an empty Body, and signs that empty field too."""
    sender = f"whatsapp:{new_whatsapp_number()}"
    form = {**twilio_form(assistant, sender, ""), "NumMedia": "1",
            "MediaContentType0": "image/jpeg",
            "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"}
    response = twilio_post(assistant, form, twilio_signature(assistant, form))
    assert response.status_code == 200, response.text
    wait_until_delivered(assistant, sender)
    sent = assistant.channels.fake_twilio.received(lambda r: r.form().get("To") == [sender])
    assert "in words" in "\n".join(r.form()["Body"][0] for r in sent)


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

def test_a_twilio_message_sent_again_with_its_signature_is_handled_once(assistant):
    sender = f"whatsapp:{new_whatsapp_number()}"
    form = twilio_form(assistant, sender, "my neck is stiff")
    signature = twilio_signature(assistant, form)
    for _ in range(2):  # a retry, or a captured request replayed: the same MessageSid
        assert twilio_post(assistant, form, signature).status_code == 200
    twilio_say(assistant, sender, "for about a week")
    assert [e["text"] for e in user_events(assistant, sender)] == [
        "my neck is stiff", "for about a week"]


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


def test_a_signed_meta_message_older_than_metas_retries_is_a_replay_and_ignored(assistant):
    wa_id = new_whatsapp_number()[1:]
    secret = assistant.channels.env["WHATSAPP_APP_SECRET"]
    captured = {**text(wa_id, "my lower back is sore"),
                "timestamp": str(int(time.time()) - 8 * 24 * 60 * 60)}
    body = meta_notification(assistant, [captured])
    assert meta_post(assistant, body, meta_signature(body, secret)).status_code == 200
    meta_say(assistant, text(wa_id, "hi"))
    assert [e["text"] for e in user_events(assistant, wa_id)] == ["hi"]


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


# --- a conversation belongs to its channel ------------------------------------------------

def rest_post(assistant, sender: str, message: str) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/rest/webhook",
                         json={"sender": sender, "message": message}, timeout=60)


def test_a_rest_client_naming_a_whatsapp_patients_conversation_neither_writes_nor_reads(assistant):
    twilio_patient = f"whatsapp:{new_whatsapp_number()}"
    twilio_say(assistant, twilio_patient, "my lower back hurts, I sit at my desk 9 hours a day")
    meta_patient = new_whatsapp_number().lstrip("+")
    meta_say(assistant, text(meta_patient, "my neck has been stiff for two weeks"))
    before = {sender: len(assistant.tracker(sender)["events"])
              for sender in (twilio_patient, meta_patient)}

    for sender in (twilio_patient, meta_patient, f" {meta_patient}", "WhatsApp:+27821234567"):
        for message in ("/correct_info", "what have you noted about me?"):
            response = rest_post(assistant, sender, message)
            assert response.status_code == 403, response.text
            assert "WhatsApp" in response.json()["error"]
            assert "desk" not in response.text and "neck" not in response.text
    assert {sender: len(assistant.tracker(sender)["events"]) for sender in before} == before


def test_a_rest_client_naming_a_web_chat_conversation_is_refused_before_anything_is_stored(assistant):
    async def web_chat() -> str:
        client = socketio.AsyncClient(reconnection=False)
        events: asyncio.Queue = asyncio.Queue()
        client.on("session_confirm", events.put_nowait)
        client.on("bot_uttered", events.put_nowait)
        await client.connect(assistant.url, headers={"Origin": assistant.channels.env["WEB_ORIGINS"]},
                             transports=["polling"])
        try:
            await client.emit("session_request", {})
            session = await asyncio.wait_for(events.get(), 30)
            note("my back went when I lifted my son")
            await client.emit("user_uttered", {"session_id": session,
                                               "message": "my back went when I lifted my son"})
            await asyncio.wait_for(events.get(), 60)
            return session
        finally:
            await client.eio.disconnect(abort=True)

    session = asyncio.run(web_chat())
    for _ in range(60):  # the reply is sent before the conversation is saved
        before = assistant.tracker(session)["events"]
        if any(e["event"] == "user" for e in before):
            break
        time.sleep(0.5)
    assert [e["input_channel"] for e in before if e["event"] == "user"] == ["socketio"]
    response = rest_post(assistant, session, "/correct_info")
    assert response.status_code == 403 and "another channel" in response.json()["error"]
    assert "lifted" not in response.text
    assert assistant.tracker(session)["events"] == before
