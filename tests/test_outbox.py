"""Nothing lost when WhatsApp's APIs are down: the patient's message is stored at once, every
reply waits in the outbox (connectors/outbox.py) and reaches the patient exactly once and in
order when the API is back, even across a server killed in between; a reply refused for good
is shown to reception. Against the real Rasa server, with the local fakes of Twilio's REST API
and the Graph API answering as told."""

import contextlib
import json
import secrets
import time
from typing import Dict, Iterator, List

import pytest
import sqlalchemy as sa

from connectors import practice_db
from connectors.outbox import outbox
from reception import db
from reception.conversations import ConversationStore
from scripts.stack import local_env, start_rasa, stop, wait_until_up
from scripts.wait_for_port import free_port
from tests.conftest import ActionServer, Assistant, channel_settings
from tests.fakes import FakeApi
from tests.whatsapp_support import (
    meta_notification, meta_post, meta_signature, new_whatsapp_number, text, twilio_form,
    twilio_post, twilio_signature, twilio_say, wait_until_delivered, wait_until_handled)

pytestmark = pytest.mark.conversation

TWILIO_CREATED = {"sid": "SM" + "0" * 32, "status": "queued"}


@contextlib.contextmanager
def answering(fake: FakeApi, status: int) -> Iterator[None]:
    before, fake.status = fake.status, status
    try:
        yield
    finally:
        fake.status = before


def outbox_rows(assistant, conversation_id: str) -> List:
    with practice_db.engine(assistant.practice_db_url).connect() as connection:
        return connection.execute(sa.select(outbox).where(
            outbox.c.conversation_id == conversation_id).order_by(outbox.c.id)).all()


def user_words(assistant, sender: str) -> List[str]:
    return [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def twilio_send(assistant, sender: str, words: str) -> None:
    form = twilio_form(assistant, sender, words)
    response = twilio_post(assistant, form, twilio_signature(assistant, form))
    assert response.status_code == 200, response.text


def test_twilio_down_the_messages_are_kept_and_every_reply_arrives_once_in_order(assistant):
    fake = assistant.channels.fake_twilio
    sender = f"whatsapp:{new_whatsapp_number()}"
    to_sender = lambda r: r.form().get("To") == [sender]  # noqa: E731
    words = ["hi", "my lower back has been sore for two weeks"]
    with answering(fake, 503):
        for message in words:
            twilio_send(assistant, sender, message)
        assert user_words(assistant, sender) == words  # stored, though no reply went out
        fake.wait_for(lambda r: to_sender(r) and r.status == 503, count=3)
    wait_until_delivered(assistant, sender)

    rows = outbox_rows(assistant, sender)
    assert len(rows) >= 2 and {row.status for row in rows} == {"sent"}
    delivered = [r.form()["Body"][0] for r in fake.received(to_sender) if r.status == 201]
    assert delivered == [json.loads(row.request)["body"] for row in rows]
    assert "Hein Viljoen Physiotherapy" in delivered[0]


def test_graph_api_down_the_messages_are_kept_and_every_reply_arrives_once_in_order(assistant):
    fake = assistant.channels.fake_graph
    wa_id = new_whatsapp_number()[1:]
    to_patient = lambda r: r.json().get("to") == wa_id  # noqa: E731
    messages = [text(wa_id, "hi"), text(wa_id, "my neck has been stiff since Monday")]
    secret = assistant.channels.env["WHATSAPP_APP_SECRET"]
    with answering(fake, 503):
        for message in messages:
            body = meta_notification(assistant, [message])
            assert meta_post(assistant, body, meta_signature(body, secret)).status_code == 200
        wait_until_handled(assistant, wa_id, messages[-1]["id"], timeout_s=30)
        assert user_words(assistant, wa_id) == [m["text"]["body"] for m in messages]
        fake.wait_for(lambda r: to_patient(r) and r.status == 503, count=3)
    wait_until_delivered(assistant, wa_id)

    rows = outbox_rows(assistant, wa_id)
    assert len(rows) >= 2 and {row.status for row in rows} == {"sent"}
    delivered = [r.json() for r in fake.received(to_patient) if r.status < 300]
    assert delivered == [json.loads(row.request) for row in rows]


def test_a_reply_twilio_refuses_for_good_is_shown_to_reception(assistant):
    fake = assistant.channels.fake_twilio
    sender = f"whatsapp:{new_whatsapp_number()}"
    fake.fail_next(400)
    twilio_say(assistant, sender, "my back went while lifting a box")
    [refused, *_] = outbox_rows(assistant, sender)
    assert refused.status == "failed" and refused.last_error.startswith("HTTP 400")

    store = ConversationStore(db.reception_engine(assistant.tracker_db_url),
                              practice_db.engine(assistant.practice_db_url))
    shown = [m for m in store.undelivered_messages() if m["conversation_id"] == sender]
    assert [m["state"] for m in shown] == ["not delivered: refused or given up"]
    assert shown[0]["text"] == json.loads(refused.request)["body"]


class OwnStack:
    """A Rasa server and action server of the test's own, to kill and start again, with
    the WhatsApp channels sending to the given fakes."""

    def __init__(self, tmp_path, twilio: FakeApi, graph: FakeApi, **extra_env: str) -> None:
        self.channels = channel_settings(twilio, graph)
        action_port, self.port, self.token = free_port(), free_port(), secrets.token_hex(16)
        self.env = {**local_env(action_port, tmp_path), **self.channels.env, **extra_env}
        self.actions = ActionServer(action_port, self.env, tmp_path / "actions.log")
        self.log = tmp_path / "rasa.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.assistant = Assistant(self.url, self.token, self.env["PRACTICE_DB_URL"],
                                   self.actions, self.channels,
                                   f"sqlite:///{self.env['TRACKER_DB']}")
        self.rasa = None

    def start_rasa(self, **other_env: str) -> None:
        self.rasa = start_rasa(self.port, self.token, "endpoints.yml",
                               {**self.env, **other_env}, self.log)
        wait_until_up(f"{self.url}/status?token={self.token}", self.rasa, self.log)

    def kill_rasa(self) -> None:
        self.rasa.kill()
        self.rasa.wait()

    def meta_send(self, message: Dict) -> None:
        body = meta_notification(self.assistant, [message])
        secret = self.channels.env["WHATSAPP_APP_SECRET"]
        assert meta_post(self.assistant, body, meta_signature(body, secret)).status_code == 200

    def stop(self) -> None:
        if self.rasa is not None:
            stop(self.rasa)
        self.actions.stop()


def test_replies_waiting_when_the_server_is_killed_are_delivered_after_its_restart(tmp_path):
    with FakeApi(status=503, reply=TWILIO_CREATED) as twilio, FakeApi(status=503) as graph:
        # A long first wait: the kill below comes while the replies wait, never mid-request.
        stack = OwnStack(tmp_path, twilio, graph, OUTBOX_RETRY_BASE_S="10")
        assistant = stack.assistant
        twilio_patient, meta_patient = f"whatsapp:{new_whatsapp_number()}", new_whatsapp_number()[1:]
        words = "hi, my lower back is sore"
        try:
            stack.actions.start()
            stack.start_rasa()
            twilio_send(assistant, twilio_patient, words)
            message = text(meta_patient, words)
            stack.meta_send(message)
            wait_until_handled(assistant, meta_patient, message["id"], timeout_s=30)
            deadline = time.monotonic() + 30
            while not all(outbox_rows(assistant, patient) and outbox_rows(assistant, patient)[0].attempts
                          for patient in (twilio_patient, meta_patient)):
                assert time.monotonic() < deadline, "the APIs were never tried"
                time.sleep(0.05)  # until each first try's 503 is recorded
            stack.kill_rasa()
            for patient in (twilio_patient, meta_patient):
                waiting = outbox_rows(assistant, patient)
                assert waiting and {row.status for row in waiting} == {"pending"}

            twilio.status, graph.status = 201, 200
            stack.start_rasa()
            for patient in (twilio_patient, meta_patient):
                wait_until_delivered(assistant, patient, timeout_s=90)
                assert user_words(assistant, patient) == [words]
                assert {row.status for row in outbox_rows(assistant, patient)} == {"sent"}
            assert [r.form()["Body"][0] for r in twilio.received() if r.status == 201] == \
                [json.loads(row.request)["body"] for row in outbox_rows(assistant, twilio_patient)]
            assert [r.json() for r in graph.received() if r.status == 200] == \
                [json.loads(row.request) for row in outbox_rows(assistant, meta_patient)]
        finally:
            stack.stop()


def test_a_meta_message_a_killed_server_never_handled_is_handled_after_the_restart(tmp_path):
    """Meta was answered 200 at once, and the server was killed while the assistant was
    still on the message (its action server not answering): the message waits in the inbox
    and the next server handles it, once."""
    with FakeApi(reply=TWILIO_CREATED) as twilio, FakeApi() as graph, \
            FakeApi(reply={"events": [], "responses": []}) as stuck_actions:
        stuck_actions.hold()
        stack = OwnStack(tmp_path, twilio, graph, INBOX_STALE_AFTER_S="1")
        assistant = stack.assistant
        patient = new_whatsapp_number()[1:]
        message = text(patient, "hi, my neck has been stiff for a week")
        try:
            stack.start_rasa(ACTION_PORT=str(stuck_actions.port))
            stack.meta_send(message)
            stuck_actions.wait_for(lambda r: True, timeout_s=30)  # the assistant is on it
            stack.kill_rasa()

            stack.actions.start()
            stack.start_rasa()
            wait_until_handled(assistant, patient, message["id"], timeout_s=90)
            wait_until_delivered(assistant, patient)
            assert user_words(assistant, patient) == [message["text"]["body"]]
            assert f"WhatsApp message {message['id']} to conversation" in stack.log.read_text()
            replies = [r.json() for r in graph.received() if r.json().get("to") == patient]
            assert replies == [json.loads(row.request) for row in outbox_rows(assistant, patient)]
            assert replies and all(reply["type"] != "template" for reply in replies)
        finally:
            stuck_actions.released.set()
            stack.stop()
