"""The channel connectors on their own: each webhook (or the website's socket.io) served by a
real Sanic server (no Rasa model needed) with the messages it accepts collected, and the
Graph API sender against a local fake that records what it was sent."""

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Dict, List, Optional

import aiohttp
import pytest
import sqlalchemy as sa
import socketio
from sanic import Sanic
from socketio import packet as socketio_packet
from twilio.request_validator import RequestValidator

from connectors.outbox import Outbox, outbox as outbox_table
from connectors.settings import read_settings
from connectors.twilio_whatsapp import TwilioWhatsAppInput, split_body
from connectors import website
from connectors.website import WebsiteSocketIOInput, allowed_origins, phone_links
from connectors.whatsapp_cloud import (
    WhatsAppCloudInput, WhatsAppCloudOutput, graph_sender, interactive_messages, shorten,
)
from scripts.wait_for_port import free_port
from tests.fakes import FakeApi

TWILIO_NAMES = {"account_sid": "T_SID", "auth_token": "T_TOKEN", "whatsapp_number": "T_NUMBER",
                "webhook_url": "T_URL", "api_url": "T_API"}
CLOUD_NAMES = {"verify_token": "W_VERIFY", "app_secret": "W_SECRET", "access_token": "W_TOKEN",
               "phone_number_id": "W_PHONE", "graph_url": "W_GRAPH",
               "template_name": "W_TEMPLATE", "template_language": "W_LANGUAGE"}
TWILIO_ENV = {"T_SID": "AC" + "1" * 32, "T_TOKEN": "twilio-test-token", "T_NUMBER": "+14155238886"}
CLOUD_ENV = {"W_VERIFY": "verify-me", "W_SECRET": "app-secret", "W_TOKEN": "access",
             "W_PHONE": "1234567890"}


@pytest.fixture(autouse=True)
def own_practice_database(tmp_path, monkeypatch):
    """The message ids a channel has seen are kept in the practice database: one per test,
    or a message id sent in an earlier run would be taken for a replay."""
    monkeypatch.setenv("PRACTICE_DB_URL", f"sqlite:///{tmp_path / 'practice.db'}")


@contextlib.asynccontextmanager
async def serve(channel, handle=None):
    """Serves `channel`'s blueprint the way Rasa mounts it; yields (base URL, accepted).
    `handle(message)` plays Rasa's part after a message is accepted."""
    accepted: List = []

    async def on_new_message(message) -> None:
        accepted.append(message)
        if handle is not None:
            await handle(message)

    Sanic.test_mode = True  # lets several apps start in one process (as sanic-testing does)
    app = Sanic(f"connector_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/{channel.name()}", accepted
    finally:
        server.close()
        await server.wait_closed()


def twilio_channel(environ: Dict) -> TwilioWhatsAppInput:
    return TwilioWhatsAppInput(read_settings("twilio", TWILIO_NAMES, TwilioWhatsAppInput.required, environ))


def cloud_channel(environ: Dict) -> WhatsAppCloudInput:
    return WhatsAppCloudInput(read_settings("cloud", CLOUD_NAMES, WhatsAppCloudInput.required, environ))


def test_unconfigured_channels_answer_503_and_say_what_is_missing():
    async def scenario():
        async with serve(twilio_channel({})) as (url, accepted), aiohttp.ClientSession() as http:
            async with http.post(f"{url}/webhook", data={"From": "whatsapp:+27821234567", "Body": "hi"}) as reply:
                assert reply.status == 503 and "not configured" in (await reply.json())["error"]
        async with serve(cloud_channel({"W_VERIFY": "only-this"})) as (url, accepted2), \
                aiohttp.ClientSession() as http:
            async with http.get(f"{url}/webhook", params={"hub.mode": "subscribe",
                                "hub.verify_token": "only-this", "hub.challenge": "42"}) as reply:
                assert reply.status == 503
            async with http.post(f"{url}/webhook", data=b"{}") as reply:
                assert reply.status == 503
        assert accepted == [] and accepted2 == []

    asyncio.run(scenario())
    settings = read_settings("WhatsApp (Cloud API)", CLOUD_NAMES, WhatsAppCloudInput.required,
                             {"W_VERIFY": "x"})
    assert settings.describe() == ("WhatsApp (Cloud API): not configured "
                                   "(set W_SECRET, W_TOKEN, W_PHONE)")


def test_twilio_without_a_public_url_checks_the_signature_against_the_request_url():
    form = {"From": "whatsapp:+27821234567", "Body": "my back is sore", "MessageSid": "SM1"}

    async def scenario():
        async with serve(twilio_channel(TWILIO_ENV)) as (url, accepted), aiohttp.ClientSession() as http:
            webhook = f"{url}/webhook"
            good = RequestValidator(TWILIO_ENV["T_TOKEN"]).compute_signature(webhook, form)
            forged = RequestValidator("someone-elses-token").compute_signature(webhook, form)
            statuses = []
            for headers in ({"X-Twilio-Signature": forged}, {}, {"X-Twilio-Signature": good}):
                async with http.post(webhook, data=form, headers=headers) as reply:
                    statuses.append(reply.status)
            # A valid signature over different fields (the body changed in transit) fails too.
            async with http.post(webhook, data={**form, "Body": "changed"},
                                 headers={"X-Twilio-Signature": good}) as reply:
                statuses.append(reply.status)
            return statuses, accepted

    statuses, accepted = asyncio.run(scenario())
    assert statuses == [403, 403, 200, 403]
    assert [(m.sender_id, m.text, m.message_id) for m in accepted] == \
        [("whatsapp:+27821234567", "my back is sore", "SM1")]


def test_website_origins_default_to_the_local_page_and_never_to_everyone():
    assert allowed_origins("WEB_ORIGINS", {"WEB_PORT": "8080"}) == [
        "http://localhost:8080", "http://127.0.0.1:8080"]
    assert allowed_origins("WEB_ORIGINS", {"WEB_ORIGINS": "https://a.co.za/, https://b.co.za"}) == [
        "https://a.co.za", "https://b.co.za"]
    for everyone in ("*", " , "):
        with pytest.raises(ValueError):
            allowed_origins("WEB_ORIGINS", {"WEB_ORIGINS": everyone})


def test_the_practices_numbers_become_links_to_tap_and_other_digits_stay_text():
    assert phone_links("call 10177 (112 from a cell phone)") == \
        "call [10177](tel:10177) ([112](tel:112) from a cell phone)"
    assert phone_links("ref 01120, 1123 steps, 101772 and +112") == \
        "ref 01120, 1123 steps, 101772 and +112"


SITE = "https://physio.example.co.za"


async def page_load(base: str, session_id: Optional[str], text: str, origin: str = SITE,
                    named_in_message: Optional[str] = None) -> List:
    """What rasa-webchat does on each page load: connect, ask for its session (the one it
    kept, if any), send `text` in the session confirmed (or in `named_in_message`, as a
    hostile page would). Returns that session and the first bot message, or raises after
    10 s."""
    client = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", events.put_nowait)
    client.on("bot_uttered", events.put_nowait)
    # Polling only: engine.io's websocket client needs a newer aiohttp than Rasa's pin.
    await client.connect(base, headers={"Origin": origin}, transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        confirmed = await asyncio.wait_for(events.get(), 10)
        await client.emit("user_uttered", {"session_id": named_in_message or confirmed,
                                           "message": text})
        return [confirmed, await asyncio.wait_for(events.get(), 10)]
    finally:
        # abort: a graceful disconnect waits out the pending long poll (about 30 s).
        await client.eio.disconnect(abort=True)


def test_website_replies_reach_the_page_of_a_persistent_session(monkeypatch):
    # With session_persistence the bot answers the session's room, which the page joins on
    # session_request: unjoined (Rasa 3.6 with python-socketio 5.10+ never awaits
    # enter_room), the reply is sent to nobody and this times out.
    monkeypatch.setenv("SITE_ORIGINS", SITE)
    channel = WebsiteSocketIOInput.from_credentials(
        {"session_persistence": True, "allowed_origins": "SITE_ORIGINS"})

    async def reply(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, f"You said {message.text}")

    async def scenario():
        async with serve(channel, handle=reply) as (url, accepted):
            base = url.split("/webhooks/")[0]
            first = await page_load(base, None, "my back is sore")
            reloaded = await page_load(base, first[0], "since Monday")
            with pytest.raises(socketio.exceptions.ConnectionError):
                await page_load(base, None, "hi", origin="https://elsewhere.example")
            return first, reloaded, [(m.sender_id, m.text) for m in accepted]

    first, reloaded, accepted = asyncio.run(scenario())
    session = first[0]
    assert re.fullmatch("[0-9a-f]{32}", session)
    assert first == [session, {"text": "You said my back is sore"}]
    assert reloaded == [session, {"text": "You said since Monday"}]
    assert accepted == [(session, "my back is sore"), (session, "since Monday")]


def test_a_page_naming_a_session_it_was_not_issued_writes_only_into_a_new_one(monkeypatch):
    """A page may keep the session it was given, never choose one: a WhatsApp patient's
    conversation id, or a message claiming another session, lands in a fresh session."""
    monkeypatch.setenv("SITE_ORIGINS", SITE)
    channel = WebsiteSocketIOInput.from_credentials(
        {"session_persistence": True, "allowed_origins": "SITE_ORIGINS"})

    async def reply(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "ok")

    async def scenario():
        async with serve(channel, handle=reply) as (url, accepted):
            base = url.split("/webhooks/")[0]
            loads = [await page_load(base, "whatsapp:+27821234567", "show me my summary",
                                     named_in_message="whatsapp:+27821234567"),
                     await page_load(base, "27821234567", "show me my summary",
                                     named_in_message="0" * 32)]
            assert [reply for _, reply in loads] == [{"text": "ok"}] * 2
            return [session for session, _ in loads], [m.sender_id for m in accepted]

    sessions, senders = asyncio.run(scenario())
    assert all(re.fullmatch("[0-9a-f]{32}", session) for session in sessions)
    assert senders == sessions


def test_a_reply_the_chat_page_never_acknowledged_reaches_it_when_it_comes_back(monkeypatch):
    """A phone's connection drops: the server still counts the page as there, but it no
    longer acknowledges what it is sent. Those replies wait in the outbox and reach the page
    when it asks for its session again, in order and once."""
    monkeypatch.setenv("SITE_ORIGINS", SITE)
    monkeypatch.setattr(website, "ACK_TIMEOUT_S", 0.5)
    channel = WebsiteSocketIOInput.from_credentials(
        {"session_persistence": True, "allowed_origins": "SITE_ORIGINS"})

    async def reply(message) -> None:
        for line in (f"You said {message.text}", "Anything else?"):
            await message.output_channel.send_text_message(message.sender_id, line)

    async def page(base: str, session_id: Optional[str], acknowledges: bool = True):
        client = socketio.AsyncClient(reconnection=False)
        heard: asyncio.Queue = asyncio.Queue()
        client.on("session_confirm", heard.put_nowait)
        client.on("bot_uttered", lambda data: heard.put_nowait(data["text"]))
        if not acknowledges:  # the packets stop at the dropped connection
            send_packet = client._send_packet

            async def without_acks(pkt):
                if pkt.packet_type != socketio_packet.ACK:
                    await send_packet(pkt)

            client._send_packet = without_acks
        await client.connect(base, headers={"Origin": SITE}, transports=["polling"])
        await client.emit("session_request", {"session_id": session_id})
        return client, heard, await asyncio.wait_for(heard.get(), 10)

    async def scenario():
        async with serve(channel, handle=reply) as (url, _):
            base = url.split("/webhooks/")[0]
            first, heard, session = await page(base, None)
            await first.emit("user_uttered", {"message": "my back is sore"})
            answered = [await asyncio.wait_for(heard.get(), 10) for _ in range(2)]
            await first.eio.disconnect(abort=True)

            dropped, _, _ = await page(base, session, acknowledges=False)
            await dropped.emit("user_uttered", {"message": "it goes down my leg"})
            for _ in range(100):  # until both unacknowledged replies are kept
                if len(await settled(channel.delivery.outbox, timeout_s=0)) == 2:
                    break
                await asyncio.sleep(0.1)
            kept = await settled(channel.delivery.outbox, timeout_s=0)
            await dropped.eio.disconnect(abort=True)

            back, heard, again = await page(base, session)
            delivered = [await asyncio.wait_for(heard.get(), 10) for _ in range(2)]
            statuses = await settled(channel.delivery.outbox)
            await asyncio.sleep(0.3)
            nothing_more = heard.empty()
            await back.eio.disconnect(abort=True)
            return answered, kept, again == session, delivered, statuses, nothing_more

    answered, kept, same_session, delivered, statuses, nothing_more = asyncio.run(scenario())
    assert answered == ["You said my back is sore", "Anything else?"]
    assert len(kept) == 2 and "sent" not in kept  # retried, but never acknowledged
    assert same_session
    assert delivered == ["You said it goes down my leg", "Anything else?"]
    assert statuses == ["sent", "sent"] and nothing_more


def test_twilio_webhooks_are_answered_while_twilio_still_holds_the_reply():
    form = {"From": "whatsapp:+27821234567", "Body": "hi", "MessageSid": "SM2"}

    async def reply(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Hi, welcome")

    async def scenario(fake):
        environ = {**TWILIO_ENV, "T_API": fake.url}
        channel = twilio_channel(environ)
        async with serve(channel, handle=reply) as (url, _), \
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            webhook = f"{url}/webhook"
            signature = RequestValidator(TWILIO_ENV["T_TOKEN"]).compute_signature(webhook, form)
            fake.hold()
            async with http.post(webhook, data=form, headers={"X-Twilio-Signature": signature}) as answered:
                status = answered.status
            while not fake.received():  # the reply is on its way to Twilio and held there
                await asyncio.sleep(0.05)
            fake.released.set()
            await settled(channel.outbox)
            return status

    with FakeApi(status=201, reply={"sid": "SM" + "0" * 32}) as fake:
        assert asyncio.run(scenario(fake)) == 200
        [sent] = fake.received()
        assert sent.path == f"/2010-04-01/Accounts/{TWILIO_ENV['T_SID']}/Messages.json"
        assert sent.form() == {"To": ["whatsapp:+27821234567"], "From": ["whatsapp:+14155238886"],
                               "Body": ["Hi, welcome"]}


def test_twilio_bodies_longer_than_a_whatsapp_message_are_split_at_breaks():
    text = ("word " * 300 + "\n\n") * 3
    parts = split_body(text)
    assert all(len(part) <= 1600 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def signed(body: bytes, secret: str = CLOUD_ENV["W_SECRET"]) -> Dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def notification(*messages: Dict, statuses: List[Dict] = None) -> bytes:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "27210000000", "phone_number_id": CLOUD_ENV["W_PHONE"]}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Thandi"}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return json.dumps({"object": "whatsapp_business_account", "entry": [
        {"id": "WABA", "changes": [{"value": value, "field": "messages"}]}]}).encode()


def text_message(text: str, sender: str = "27821234567") -> Dict:
    return {"from": sender, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
            "type": "text", "text": {"body": text}}


def test_cloud_webhook_verification_echoes_the_challenge_only_for_the_right_token():
    async def scenario():
        async with serve(cloud_channel(CLOUD_ENV)) as (url, _), aiohttp.ClientSession() as http:
            results = []
            for mode, token in (("subscribe", "verify-me"), ("subscribe", "wrong"),
                                ("unsubscribe", "verify-me"), (None, None)):
                params = {"hub.challenge": "1158201444"}
                params.update({k: v for k, v in (("hub.mode", mode), ("hub.verify_token", token)) if v})
                async with http.get(f"{url}/webhook", params=params) as reply:
                    results.append((reply.status, await reply.text()))
            return results

    results = asyncio.run(scenario())
    assert results[0] == (200, "1158201444")
    assert [status for status, _ in results[1:]] == [403, 403, 403]


def test_cloud_notifications_are_checked_deduplicated_and_status_updates_ignored():
    first, second = text_message("my back is sore"), text_message("it started yesterday")
    button = {"from": "27821234567", "id": "wamid.button", "timestamp": str(int(time.time())),
              "type": "interactive", "interactive": {"type": "button_reply",
                                                     "button_reply": {"id": "/deny", "title": "No"}}}
    row = {"from": "27821234567", "id": "wamid.row", "timestamp": str(int(time.time())),
           "type": "interactive", "interactive": {"type": "list_reply", "list_reply": {
               "id": "upper back", "title": "Upper back / between sh…"}}}
    voice = {"from": "27821234567", "id": "wamid.voice", "timestamp": str(int(time.time())),
             "type": "audio", "audio": {"id": "media-1", "mime_type": "audio/ogg"}}
    status_update = {"id": first["id"], "status": "delivered", "timestamp": "1", "recipient_id": "27821234567"}

    async def scenario():
        async with serve(cloud_channel(CLOUD_ENV)) as (url, accepted), aiohttp.ClientSession() as http:
            statuses = []
            for body, headers in [
                (notification(first), signed(notification(first), secret="forged")),
                (notification(first), {"Content-Type": "application/json"}),
                (b"not json", signed(b"not json")),
                (notification(first), signed(notification(first))),
                (notification(first), signed(notification(first))),  # Meta's retry
                (notification(second, button, row, voice), signed(notification(second, button, row, voice))),
                (notification(statuses=[status_update]), signed(notification(statuses=[status_update]))),
            ]:
                async with http.post(f"{url}/webhook", data=body, headers=headers) as reply:
                    statuses.append(reply.status)
            for _ in range(100):  # the messages are handled after the 200
                if len(accepted) >= 5:
                    break
                await asyncio.sleep(0.05)
            return statuses, accepted

    statuses, accepted = asyncio.run(scenario())
    assert statuses == [403, 403, 400, 200, 200, 200, 200]
    assert [(m.text, m.message_id) for m in accepted] == [
        ("my back is sore", first["id"]), ("it started yesterday", second["id"]),
        ("/deny", "wamid.button"), ("upper back", "wamid.row"), ("", "wamid.voice")]
    assert {m.sender_id for m in accepted} == {"27821234567"}
    assert accepted[-1].metadata == {"whatsapp_type": "audio"}


def test_cloud_webhook_answers_before_the_message_is_handled():
    message = text_message("my back is sore")

    async def scenario():
        release = asyncio.Event()
        finished = []

        async def slow_assistant(accepted_message) -> None:
            await release.wait()
            finished.append(accepted_message.text)

        async with serve(cloud_channel(CLOUD_ENV), handle=slow_assistant) as (url, accepted), \
                aiohttp.ClientSession() as http:
            body = notification(message)
            async with http.post(f"{url}/webhook", data=body, headers=signed(body)) as reply:
                status = reply.status
            answered_before_handled = finished == []
            release.set()
            while not finished:
                await asyncio.sleep(0.05)
            return status, answered_before_handled, finished

    assert asyncio.run(scenario()) == (200, True, ["my back is sore"])


def cloud_output(fake: FakeApi, last_inbound: float = None, template: str = "follow_up"):
    env = {**CLOUD_ENV, "W_GRAPH": f"{fake.url}/v21.0"}
    if template:
        env["W_TEMPLATE"] = template
    settings = read_settings("cloud", CLOUD_NAMES, WhatsAppCloudInput.required, env)
    outbox = Outbox("whatsapp", graph_sender(settings), retry_base_s=0.01)
    return WhatsAppCloudOutput(settings, {"27821234567": last_inbound}.get, outbox)


async def settled(outbox: Outbox, timeout_s: float = 20) -> List[str]:
    """Waits until nothing is on its way in `outbox`; returns each message's status."""
    deadline = time.monotonic() + timeout_s
    while True:
        with outbox.engine.connect() as connection:
            statuses = [status for (status,) in connection.execute(
                sa.select(outbox_table.c.status).order_by(outbox_table.c.id))]
        if not {"pending", "sending"} & set(statuses) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.02)


def test_graph_sends_retry_429_and_5xx_but_not_other_refusals():
    async def send(output, text: str) -> List[str]:
        await output.send_text_message("27821234567", text)
        return await settled(output.outbox)

    with FakeApi() as fake:
        fake.fail_next(429, 503)
        output = cloud_output(fake, time.time())
        assert asyncio.run(send(output, "Hello")) == ["sent"]
        assert len(fake.received()) == 3
        sent = fake.received()[-1]
        assert sent.path == f"/v21.0/{CLOUD_ENV['W_PHONE']}/messages"
        assert sent.headers["Authorization"] == "Bearer access"
        assert sent.json() == {"messaging_product": "whatsapp", "recipient_type": "individual",
                               "to": "27821234567", "type": "text",
                               "text": {"body": "Hello", "preview_url": False}}

        fake.fail_next(400)
        assert asyncio.run(send(output, "Again")) == ["sent", "failed"]
        assert len(fake.received()) == 4  # a 400 is final: no retry
        with output.outbox.engine.connect() as connection:
            assert connection.execute(sa.select(outbox_table.c.last_error)
                                      .where(outbox_table.c.status == "failed")).scalar() == "HTTP 400"


def test_graph_buttons_up_to_three_are_reply_buttons_and_more_a_list_within_limits():
    three = [{"title": "Yes, book an assessment", "payload": "/request_booking"},
             {"title": "Not right now", "payload": "/deny"}]
    four = [{"title": "Lower back", "payload": "lower back"},
            {"title": "Middle of my back", "payload": "middle of my back"},
            {"title": "Upper back / between shoulder blades", "payload": "upper back"},
            {"title": "Neck", "payload": "neck"}]
    with FakeApi() as fake:
        output = cloud_output(fake, time.time())

        async def ask() -> None:
            await output.send_text_with_buttons("27821234567", "Book?", three)
            await output.send_text_with_buttons("27821234567", "Where is the pain?", four)
            await settled(output.outbox)

        asyncio.run(ask())
        buttons, listing = [r.json()["interactive"] for r in fake.received()]
    assert buttons["type"] == "button" and buttons["body"] == {"text": "Book?"}
    assert [b["reply"] for b in buttons["action"]["buttons"]] == [
        {"id": "/request_booking", "title": "Yes, book an…"}, {"id": "/deny", "title": "Not right now"}]
    assert listing["type"] == "list" and len(listing["action"]["button"]) <= 20
    rows = listing["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == ["lower back", "middle of my back", "upper back", "neck"]
    assert all(len(row["title"]) <= 24 for row in rows)
    assert rows[2]["description"] == "Upper back / between shoulder blades"
    eleven = [{"title": f"Option {n}", "payload": f"/choose{n}"} for n in range(11)]
    lists = interactive_messages("Pick one", eleven)
    assert [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in lists] == [10, 1]
    assert shorten("x" * 30, 20) == "x" * 19 + "…"


def test_outside_the_24_hour_window_only_the_template_is_sent():
    day_ago = time.time() - 25 * 60 * 60
    with FakeApi() as fake:
        output = cloud_output(fake, day_ago)

        async def reply():
            await output.send_text_message("27821234567", "Your results are in")
            await output.send_text_with_buttons("27821234567", "Book?", [{"title": "Yes", "payload": "/affirm"}])
            await settled(output.outbox)

        asyncio.run(reply())
        sent = [r.json() for r in fake.received()]
        assert sent == [{"messaging_product": "whatsapp", "recipient_type": "individual",
                         "to": "27821234567", "type": "template",
                         "template": {"name": "follow_up", "language": {"code": "en"}}}]

        async def without_template():
            unconfigured = cloud_output(fake, None, template=None)
            await unconfigured.send_text_message("27821234567", "No template configured")
            return await settled(unconfigured.outbox)

        assert asyncio.run(without_template()) == ["sent"]  # only the template's row
        assert len(fake.received()) == 1  # nothing at all rather than free text
