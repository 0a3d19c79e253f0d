"""Bad input to the public endpoints gets a 4xx and a clear error, never a 500 or a crash.

Runs against the real Rasa server from conftest (REST channel `serving.rest.RestInput`,
socket.io, the WhatsApp webhooks of Twilio and Meta). Property-based bodies come from
hypothesis; each is checked over HTTP. The reception app's are in test_reception_bad_input.py.
"""

import asyncio
import json
import time

import pytest
import requests
import socketio
from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.whatsapp_support import (
    meta_notification, meta_post, meta_say, meta_signature, new_whatsapp_number, said, text,
    twilio_form, twilio_post, twilio_say, twilio_signature)

pytestmark = pytest.mark.conversation

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[*settings.default.suppress_health_check,
                                           HealthCheck.function_scoped_fixture])


def webhook(assistant) -> str:
    return f"{assistant.url}/webhooks/rest/webhook"


def is_valid_message(body) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("sender"), str)
            and body["sender"].strip() != "" and "\x00" not in body["sender"]
            and isinstance(body.get("message"), str))


def assert_clear_4xx(response: requests.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.json()["error"]


@SETTINGS
@given(body=st.binary(max_size=300))
def test_binary_bodies_are_refused(assistant, body):
    try:
        json.loads(body)
        return  # valid JSON bytes are the next test's business
    except ValueError:
        pass
    response = requests.post(webhook(assistant), data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert_clear_4xx(response)


@SETTINGS
@given(body=JSON_VALUES)
def test_json_that_is_not_a_message_is_refused(assistant, body):
    if is_valid_message(body):
        return
    assert_clear_4xx(requests.post(webhook(assistant), json=body, timeout=30))


@SETTINGS
@given(sender=JSON_VALUES, message=JSON_VALUES, metadata=JSON_VALUES)
def test_wrong_field_types_are_refused(assistant, sender, message, metadata):
    body = {"sender": sender, "message": message, "metadata": metadata}
    if is_valid_message(body) and (metadata is None or isinstance(metadata, dict)):
        return
    assert_clear_4xx(requests.post(webhook(assistant), json=body, timeout=30))


@pytest.mark.parametrize("body, status, words", [
    ({"message": "hi"}, 400, "sender"),
    ({"sender": "", "message": "hi"}, 400, "sender"),
    ({"sender": "x" * 256, "message": "hi"}, 400, "255"),
    ({"sender": "pat\x00ient", "message": "hi"}, 400, "NUL"),
    ({"sender": "someone"}, 400, "message"),
    ({"sender": "whatsapp:+27821234567", "message": "hi"}, 403, "WhatsApp"),
    ({"sender": "+27 82 123 4567", "message": "hi"}, 403, "WhatsApp"),
])
def test_missing_and_oversized_fields_say_what_is_wrong(assistant, body, status, words):
    response = requests.post(webhook(assistant), json=body, timeout=30)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_a_huge_body_is_refused_before_it_is_parsed(assistant):
    body = b'{"sender": "someone", "message": "' + b"a" * 2_000_000 + b'"}'
    response = requests.post(webhook(assistant), data=body, timeout=60,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_after_all_that_the_server_still_answers(assistant):
    sender = assistant.new_sender()
    assert "Hein Viljoen Physiotherapy" in assistant.texts(sender, "hi")


async def _socketio_exchange(url: str, session_id: str) -> list:
    """Sends bad user_uttered payloads, then a good one; returns what the bot said."""
    client = socketio.AsyncClient(reconnection=False)
    replies: list = []
    client.on("bot_uttered", lambda data: replies.append(data))
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        await client.emit("user_uttered", {"message": "before any session"})
        await client.emit("session_request", {"session_id": session_id})
        for bad in ["just a string", ["a", "list"], 42, {"message": "no session"},
                    {"session_id": session_id, "message": {"not": "text"}},
                    {"session_id": {"nested": 1}, "message": "thanks"},
                    {"session_id": session_id, "message": "x" * 100_000},
                    {"session_id": session_id, "metadata": "{not json"}]:
            await client.emit("user_uttered", bad)
        await client.emit("user_uttered", {"session_id": session_id, "message": "hi"})
        for _ in range(120):
            if any("Hein Viljoen" in (r.get("text") or "") for r in replies):
                break
            await asyncio.sleep(0.5)
    finally:
        # abort: a graceful disconnect waits out the pending long poll (about 30 s).
        await client.eio.disconnect(abort=True)
    return replies


def test_socketio_survives_bad_payloads_and_answers_the_next_good_one(assistant):
    session_id = assistant.new_sender()
    replies = asyncio.run(_socketio_exchange(assistant.url, session_id))
    assert any("Hein Viljoen Physiotherapy" in (r.get("text") or "") for r in replies)
    assert requests.get(f"{assistant.url}/webhooks/rest/", timeout=10).status_code == 200


def test_socketio_transport_garbage_is_a_4xx(assistant):
    response = requests.post(f"{assistant.url}/socket.io/?EIO=4&transport=polling&sid=nope",
                             data=b"\xff\xfe\x00garbage", timeout=10)
    assert 400 <= response.status_code < 500


# --- WhatsApp webhooks --------------------------------------------------------------------

# Text a header can carry (no control characters, and no leading white space, which HTTP
# clients refuse to send), and text of any kind a form or JSON can.
HEADER_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(str.lstrip)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
CONTENT_TYPES = st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
    "application/json", "text/plain", "application/octet-stream"])
WHATSAPP_SETTINGS = settings(max_examples=25, deadline=None)
WHATSAPP_NUMBERS = st.integers(27_600_000_000, 27_899_999_999).map(str)
APOLOGY = "something went wrong"


def assert_clear_refusal(response: requests.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.json()["error"]


def twilio_webhook(assistant) -> str:
    return f"{assistant.url}/webhooks/twilio/webhook"


def test_twilio_refuses_unsigned_and_forged_bodies_of_any_kind_and_still_answers(assistant):
    @WHATSAPP_SETTINGS
    @given(body=st.binary(max_size=300), content_type=CONTENT_TYPES,
           signature=st.none() | HEADER_TEXT)
    def unsigned(body, content_type, signature):
        headers = {"Content-Type": content_type}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature.encode("utf-8")
        response = requests.post(twilio_webhook(assistant), data=body, headers=headers,
                                 timeout=30)
        assert_clear_refusal(response, 403)

    unsigned()
    huge = {"From": "whatsapp:+27821234567", "Body": "a" * 2_000_000}
    assert_clear_refusal(requests.post(twilio_webhook(assistant), data=huge, timeout=60,
                                       headers={"X-Twilio-Signature": "forged"}), 403)
    sender = f"whatsapp:{new_whatsapp_number()}"
    assert "Hein Viljoen Physiotherapy" in twilio_say(assistant, sender, "hi")


ODD_BODIES = ANY_TEXT | st.sampled_from(["2", "٣", "99", "", " 1. "])
ODD_TWILIO_FIELDS = st.dictionaries(
    st.sampled_from(["NumMedia", "ProfileName", "MediaUrl0", "WaId"]) | ANY_TEXT, ANY_TEXT,
    max_size=3)


def test_twilio_answers_signed_messages_with_odd_fields_and_never_apologises(assistant):
    """Signed by Twilio, but with odd fields: an answer, and never the reply meant for a
    failure (it would hide a crash); 400 when From or Body is missing."""
    fake = assistant.channels.fake_twilio
    already_sent = len(fake.received())

    @settings(max_examples=20, deadline=None)
    @given(number=WHATSAPP_NUMBERS, body=ODD_BODIES, extra=ODD_TWILIO_FIELDS)
    @example(number="27821234567", body="²", extra={})  # str.isdigit() says yes, int() no
    def answered(number, body, extra):
        sender = f"whatsapp:+{number}"
        to_sender = lambda r: r.form().get("To") == [sender]  # noqa: E731
        before = len(fake.received(to_sender))
        form = {**twilio_form(assistant, sender, body), **extra, "From": sender, "Body": body}
        response = twilio_post(assistant, form, twilio_signature(assistant, form))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        fake.wait_for(to_sender, count=before + 1)

    @settings(max_examples=10, deadline=None)
    @given(number=WHATSAPP_NUMBERS, body=ODD_BODIES, extra=ODD_TWILIO_FIELDS,
           missing=st.sampled_from([("From", None), ("From", ""), ("Body", None)]))
    def refused(number, body, extra, missing):
        form = {**twilio_form(assistant, f"whatsapp:+{number}", body), **extra}
        name, value = missing
        if value is None:
            del form[name]
        else:
            form[name] = value
        assert_clear_refusal(twilio_post(assistant, form, twilio_signature(assistant, form)), 400)

    answered()
    refused()
    replies = [r.form()["Body"][0] for r in fake.received()[already_sent:]]
    assert [reply for reply in replies if APOLOGY in reply] == []
    sender = f"whatsapp:{new_whatsapp_number()}"
    assert "Hein Viljoen Physiotherapy" in twilio_say(assistant, sender, "hi")


def whatsapp_webhook(assistant) -> str:
    return f"{assistant.url}/webhooks/whatsapp/webhook"


def meta_signed_post(assistant, body: bytes) -> requests.Response:
    secret = assistant.channels.env["WHATSAPP_APP_SECRET"]
    return meta_post(assistant, body, meta_signature(body, secret))


def test_meta_refuses_unsigned_and_forged_bodies_of_any_kind_and_still_answers(assistant):
    @WHATSAPP_SETTINGS
    @given(body=st.binary(max_size=300), content_type=CONTENT_TYPES,
           signature=st.tuples(st.sampled_from(["", "sha256=", "sha1="]), HEADER_TEXT).map("".join))
    @example(body=b"{}", content_type="application/json", signature="sha256=é")
    def unsigned(body, content_type, signature):
        headers = {"Content-Type": content_type, "X-Hub-Signature-256": signature.encode("utf-8")}
        response = requests.post(whatsapp_webhook(assistant), data=body, headers=headers,
                                 timeout=30)
        assert_clear_refusal(response, 403)

    @WHATSAPP_SETTINGS
    @given(params=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"])
                                  | ANY_TEXT, ANY_TEXT, max_size=4))
    def verification(params):
        response = requests.get(whatsapp_webhook(assistant), params=params, timeout=30)
        assert_clear_refusal(response, 403)

    unsigned()
    verification()
    huge = b"{" + b" " * 2_000_000 + b"}"
    assert_clear_refusal(meta_post(assistant, huge, "sha256=" + "0" * 64), 403)
    wa_id = new_whatsapp_number()[1:]
    assert "Hein Viljoen Physiotherapy" in said(meta_say(assistant, text(wa_id, "hi")))


JSON_NOTIFICATIONS = (JSON_VALUES | st.fixed_dictionaries({"entry": JSON_VALUES})
                      | st.fixed_dictionaries({"entry": st.lists(st.fixed_dictionaries(
                          {"changes": JSON_VALUES}), max_size=2)})
                      | st.fixed_dictionaries({"entry": st.lists(st.fixed_dictionaries(
                          {"changes": st.lists(st.fixed_dictionaries({"value": JSON_VALUES}),
                                               max_size=2)}), max_size=2)}))
MESSAGE_KINDS = ["text", "interactive", "button", "audio"]
# Each kind's part as Meta documents it, with odd values inside.
DOCUMENTED_PARTS = {
    "text": st.fixed_dictionaries({"body": ANY_TEXT | JSON_VALUES}),
    "interactive": st.fixed_dictionaries({
        "type": st.sampled_from(["button_reply", "list_reply"]),
        "button_reply": st.fixed_dictionaries({"id": ANY_TEXT | JSON_VALUES}),
        "list_reply": st.fixed_dictionaries({"id": ANY_TEXT | JSON_VALUES})}),
    "button": st.fixed_dictionaries({"payload": ANY_TEXT | JSON_VALUES, "text": JSON_VALUES}),
    "audio": st.fixed_dictionaries({"id": JSON_VALUES}),
}


@st.composite
def odd_messages(draw, ids, senders) -> dict:
    """A message of some kind whose part (`text`, `interactive`, ...) is documented-shaped
    with odd values, or any JSON at all."""
    kind = draw(st.sampled_from(MESSAGE_KINDS))
    part = draw(st.sampled_from(["documented", "any JSON"]))
    return {"id": draw(ids), "from": draw(senders), "type": kind,
            "timestamp": draw(st.just(str(int(time.time()))) | JSON_VALUES),
            kind: draw(DOCUMENTED_PARTS[kind] if part == "documented" else JSON_VALUES)}


# Handled messages (an id and a sender as Meta sends them), and messages to ignore.
ADDRESSED_MESSAGES = odd_messages(st.uuids().map(lambda u: f"wamid.{u.hex}"), WHATSAPP_NUMBERS)
ODDLY_ADDRESSED_MESSAGES = odd_messages(JSON_VALUES, JSON_VALUES)
# Recipients with more digits than any patient in these tests, so none of them gets a reply.
STATUS_UPDATES = st.fixed_dictionaries(
    {"id": JSON_VALUES, "timestamp": JSON_VALUES,
     "status": st.sampled_from(["sent", "delivered", "read", "failed"]) | JSON_VALUES,
     "recipient_id": st.integers(10**12, 10**13 - 1).map(str)})


def test_meta_answers_signed_notifications_of_any_shape_and_never_apologises(assistant):
    """Signed by Meta, but in any shape: 200 and the messages in it handled (status updates
    ignored), or 400 when it is not a notification at all; never a 500, and the patient never
    gets the reply meant for a failure (which would hide a crash in the background)."""
    fake = assistant.channels.fake_graph
    already_sent = len(fake.received())
    status_recipients = set()

    @WHATSAPP_SETTINGS
    @given(body=JSON_NOTIFICATIONS)
    def any_json(body):
        response = meta_signed_post(assistant, json.dumps(body).encode())
        if response.status_code == 200:
            assert response.json() == {"status": "received"}
        else:
            assert_clear_refusal(response, 400)

    @WHATSAPP_SETTINGS
    @given(messages=st.lists(ADDRESSED_MESSAGES | ODDLY_ADDRESSED_MESSAGES, min_size=1, max_size=2))
    @example(messages=[{"id": "wamid.plain", "from": "27821234567", "type": "text", "text": "hi"}])
    @example(messages=[{"id": ["wamid.in.a.list"], "from": "27821234567", "type": "text"}])
    def messages_of_odd_shapes(messages):
        response = meta_signed_post(assistant, meta_notification(assistant, messages))
        assert response.status_code == 200 and response.json() == {"status": "received"}

    @WHATSAPP_SETTINGS
    @given(statuses=st.lists(STATUS_UPDATES, min_size=1, max_size=3))
    def status_updates(statuses):
        response = meta_signed_post(assistant, meta_notification(assistant, statuses=statuses))
        assert response.status_code == 200 and response.json() == {"status": "received"}
        status_recipients.update(update["recipient_id"] for update in statuses)

    any_json()
    messages_of_odd_shapes()
    status_updates()
    # Sent last, so the fuzzed messages before it have had their turn to be answered.
    wa_id = new_whatsapp_number()[1:]
    assert "Hein Viljoen Physiotherapy" in said(meta_say(assistant, text(wa_id, "hi")))
    sent = [r.json() for r in fake.received()[already_sent:]]
    assert [said([message]) for message in sent if APOLOGY in said([message])] == []
    assert [message for message in sent if message["to"] in status_recipients] == []
