"""Two Rasa servers and one action server over PostgreSQL and a Redis lock store.

The production profile (endpoints.production.yml) on real services: a throwaway PostgreSQL
cluster of our own (so a test may restart it) and the shared Redis under a unique key prefix.
Every channel is configured (WhatsApp against the local fakes of Twilio and the Graph API).
The tests run in file order: the last one kills a server.
"""

import secrets
import threading
import time
import uuid
from types import SimpleNamespace
from typing import Dict, List, Tuple

import pytest
import redis
import requests
import socketio

from scripts.stack import production_env, start_actions, start_rasa, stop, wait_until_up
from scripts.throwaway_postgres import ThrowawayPostgres
from scripts.wait_for_port import free_port
from tests.conftest import Assistant, channel_settings
from tests.whatsapp_support import (
    meta_notification, meta_post, meta_signature, new_whatsapp_number, said, text, twilio_form,
    twilio_post, twilio_signature)

pytestmark = pytest.mark.conversation

TRIAGE_ANSWERS = [
    "hi",
    "my lower back has been sore",
    "it goes down my left leg",
    "it started suddenly when I was lifting a box",
    "about 3 weeks",
    "7",
    "sitting makes it worse, walking helps",
    "about 9 hours",
    "I started running more for the Comrades",
    "no", "No", "nope", "no", "no", "no", "no",
]
KIND_WORDS = ("something went wrong", "try again", "10177")


class Stack:
    def __init__(self, tmp, token: str, channels: SimpleNamespace) -> None:
        self.tmp = tmp
        self.token = token
        self.channels = channels
        self.database = ThrowawayPostgres()
        self.prefix = "scale" + uuid.uuid4().hex[:10]
        self.action_port = free_port()
        self.env = {**production_env(self.database, "tracker", self.prefix, self.action_port,
                                     tmp), **channels.env}
        self.actions = None
        self.servers: List = []
        self.assistants: List[Assistant] = []

    def start_actions(self) -> None:
        log = self.tmp / "actions.log"
        self.actions = start_actions(self.action_port, self.env, log)
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", self.actions, log)

    def stop_actions(self) -> None:
        stop(self.actions)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_twilio, fake_graph):
    tmp = tmp_path_factory.mktemp("scale")
    stack = Stack(tmp, secrets.token_urlsafe(16), channel_settings(fake_twilio, fake_graph))
    stack.database.start()
    stack.database.create_database("tracker")
    try:
        stack.start_actions()
        for name in ("a", "b"):
            port, log = free_port(), tmp / f"rasa-{name}.log"
            stack.servers.append(
                start_rasa(port, stack.token, "endpoints.production.yml", stack.env, log))
            stack.assistants.append(Assistant(
                f"http://127.0.0.1:{port}", stack.token, stack.env["PRACTICE_DB_URL"],
                channels=stack.channels))
        for assistant, server, name in zip(stack.assistants, stack.servers, "ab"):
            wait_until_up(f"{assistant.url}/status?token={stack.token}", server,
                      tmp / f"rasa-{name}.log")
        yield stack
    finally:
        stop(*stack.servers, *([stack.actions] if stack.actions else []))
        stack.database.remove()
        lock_store = redis.StrictRedis(host="127.0.0.1", port=6379, db=1)
        for key in lock_store.scan_iter(f"{stack.prefix}:*"):
            lock_store.delete(key)


def user_texts(tracker: Dict) -> List[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def turns(tracker: Dict) -> List[List[Dict]]:
    """The events from each user message up to the next one."""
    result: List[List[Dict]] = []
    for event in tracker["events"]:
        if event["event"] == "user":
            result.append([event])
        elif result:
            result[-1].append(event)
    return result


def test_a_conversation_alternating_between_servers_keeps_its_state(stack):
    first, second = stack.assistants
    sender = first.new_sender()
    replies = [(first if i % 2 == 0 else second).texts(sender, text)
               for i, text in enumerate(TRIAGE_ANSWERS)]
    assert "Here's what I've noted" in replies[-1]
    assert "lower back" in replies[-1] and "7/10" in replies[-1]
    slots = second.slots(sender)
    assert first.slots(sender) == slots
    assert slots["pain_location"] == "lower_back"
    assert slots["pain_radiates"] == "leg" and slots["pain_side"] == "left"
    assert slots["onset"] == "sudden"
    assert slots["duration_weeks"] == pytest.approx(3.0)
    assert slots["severity"] == 7 and slots["desk_hours"] == 9
    assert slots["training_change"] == "increased"
    assert slots["triage_level"] == "routine"
    assert user_texts(first.tracker(sender)) == TRIAGE_ANSWERS


def test_concurrent_messages_to_one_conversation_are_serialised(stack):
    sender = stack.assistants[0].new_sender()
    texts = [f"hello, message {i}" for i in range(10)]
    statuses: Dict[str, int] = {}

    def send(index: int) -> None:
        assistant = stack.assistants[index % 2]
        response = requests.post(f"{assistant.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": texts[index]}, timeout=120)
        statuses[texts[index]] = response.status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses.values()) == {200}
    tracker = stack.assistants[1].tracker(sender)
    assert sorted(user_texts(tracker)) == sorted(texts)
    # Serialised: each message's own events follow it, ending with the bot listening again,
    # before the next message starts; the events are stored in time order.
    for turn in turns(tracker):
        assert turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", turn
        assert sum(e["event"] == "user" for e in turn) == 1
    stamps = [e["timestamp"] for e in tracker["events"]]
    assert stamps == sorted(stamps)


def test_action_server_down_gets_a_kind_reply_and_the_conversation_continues(stack):
    assistant = stack.assistants[0]
    sender = assistant.new_sender()
    assistant.texts(sender, "hi")
    stack.stop_actions()
    try:
        reply = assistant.texts(sender, "my lower back has been sore")
        assert all(word in reply for word in KIND_WORDS), reply
        assert "my lower back has been sore" in user_texts(assistant.tracker(sender))
    finally:
        stack.start_actions()
    reply = stack.assistants[1].texts(sender, "my lower back has been sore")
    assert "Does the pain spread" in reply
    assert stack.assistants[1].slots(sender)["pain_location"] == "lower_back"


def test_database_restart_gets_a_kind_reply_and_the_conversation_continues(stack):
    assistant = stack.assistants[0]
    sender = assistant.new_sender()
    assistant.texts(sender, "hi")
    assistant.texts(sender, "my lower back has been sore")
    stack.database.stop()
    try:
        response = requests.post(f"{assistant.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": "it goes down my left leg"},
                                 timeout=120)
        assert response.status_code == 503
        reply = " ".join(m["text"] for m in response.json())
        assert all(word in reply for word in KIND_WORDS), reply
    finally:
        stack.database.start()
    # The other server saw no failure: its pooled connections died unnoticed with the restart.
    other = stack.assistants[1]
    reply = other.texts(sender, "it goes down my left leg")
    assert "How did it start" in reply
    slots = other.slots(sender)
    assert slots["pain_location"] == "lower_back" and slots["pain_radiates"] == "leg"


class WebsitePatient:
    """The chat widget on the practice's website: one socket.io session."""

    def __init__(self, url: str) -> None:
        self.sender = uuid.uuid4().hex
        self._heard: List[str] = []
        self._client = socketio.Client(reconnection=False)
        self._client.on("bot_uttered", lambda data: self._heard.append(data.get("text") or ""))
        confirmed = threading.Event()
        self._client.on("session_confirm", lambda _: confirmed.set())
        self._client.connect(url, socketio_path="/socket.io", transports=["polling"])
        self._client.emit("session_request", {"session_id": self.sender})
        assert confirmed.wait(timeout=30), "no socket.io session"

    def __enter__(self) -> "WebsitePatient":
        return self

    def __exit__(self, *exc) -> None:
        # abort: a graceful disconnect waits out the pending long poll (about 30 s).
        self._client.eio.disconnect(abort=True)

    def send(self, words: str) -> None:
        self._client.emit("user_uttered", {"session_id": self.sender, "message": words})

    def heard(self) -> List[str]:
        return list(self._heard)


class TwilioPatient:
    """A patient on WhatsApp, through Twilio."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.sender = f"whatsapp:{new_whatsapp_number()}"

    def send(self, words: str) -> None:
        form = twilio_form(self.assistant, self.sender, words)
        response = twilio_post(self.assistant, form, twilio_signature(self.assistant, form))
        assert response.status_code == 200, response.text

    def heard(self) -> List[str]:
        fake = self.assistant.channels.fake_twilio
        sent = fake.received(lambda r: r.form().get("To") == [self.sender])
        return [r.form()["Body"][0] for r in sent]


class MetaPatient:
    """A patient on WhatsApp, through Meta's Cloud API."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.sender = new_whatsapp_number()[1:]

    def send(self, words: str) -> None:
        body = meta_notification(self.assistant, [text(self.sender, words)])
        secret = self.assistant.channels.env["WHATSAPP_APP_SECRET"]
        response = meta_post(self.assistant, body, meta_signature(body, secret))
        assert response.status_code == 200, response.text

    def heard(self) -> List[str]:
        fake = self.assistant.channels.fake_graph
        sent = fake.received(lambda r: r.json().get("to") == self.sender)
        return [said([r.json()]) for r in sent]


def say(patient, words: str, expected: Tuple[str, ...], timeout_s: float = 60) -> None:
    """Sends `words` and waits until the replies to it hold every expected phrase."""
    before = len(patient.heard())
    patient.send(words)
    deadline, replies = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        replies = "\n".join(patient.heard()[before:])
        if all(phrase in replies for phrase in expected):
            return
        time.sleep(0.1)
    raise AssertionError(f"{type(patient).__name__} {patient.sender} got {replies!r} "
                         f"to {words!r}, not {expected}")


def test_database_down_the_website_and_whatsapp_give_the_kind_reply_and_carry_on(stack):
    """These channels have no status code to give: the channel itself sends the kind reply."""
    assistant = stack.assistants[0]
    with WebsitePatient(assistant.url) as website:
        patients = [website, TwilioPatient(assistant), MetaPatient(assistant)]
        for patient in patients:
            say(patient, "hi", ("Hein Viljoen Physiotherapy",))
            say(patient, "my lower back has been sore", ("Does the pain spread",))
        stack.database.stop()
        try:
            for patient in patients:
                say(patient, "it goes down my left leg", KIND_WORDS)
        finally:
            stack.database.start()
        for patient in patients:
            say(patient, "it goes down my left leg", ("How did it start",))
            slots = assistant.slots(patient.sender)
            assert slots["pain_location"] == "lower_back" and slots["pain_radiates"] == "leg"
    log = (stack.tmp / "rasa-a.log").read_text()
    # Each failure is on record, naming the conversation by a reference: without the
    # patient's words or number.
    assert log.count("(24 characters) could not be handled") >= len(patients)
    assert "it goes down my left leg" not in log
    for patient in patients[1:]:
        assert patient.sender.split(":")[-1].lstrip("+") not in log


def test_killing_a_server_during_load_loses_no_acknowledged_message(stack):
    """Clients send to alternating servers and retry the other one on a connection error."""
    survivor = stack.assistants[0]
    conversations = [survivor.new_sender() for _ in range(6)]
    script = TRIAGE_ANSWERS[:7]
    acknowledged: List[Tuple[str, str]] = []
    refused: List[Tuple[str, str, str]] = []
    sent = threading.Semaphore(0)
    lock = threading.Lock()

    def converse(sender: str, offset: int) -> None:
        for turn, text in enumerate(script):
            order = [stack.assistants[(turn + offset) % 2],
                     stack.assistants[(turn + offset + 1) % 2]]
            outcome = "no server reachable"
            for assistant in order:
                try:
                    response = requests.post(f"{assistant.url}/webhooks/rest/webhook",
                                             json={"sender": sender, "message": text},
                                             timeout=120)
                except requests.RequestException as error:
                    outcome = repr(error)
                    continue  # the server went away: send it to the other one
                outcome = f"{response.status_code} {response.text[:200]}"
                break
            with lock:
                if outcome.startswith("200 "):
                    acknowledged.append((sender, text))
                else:
                    refused.append((sender, text, outcome))
            sent.release()

    threads = [threading.Thread(target=converse, args=(sender, i))
               for i, sender in enumerate(conversations)]
    for thread in threads:
        thread.start()
    for _ in range(10):  # some messages in, then the victim dies mid-run
        sent.acquire(timeout=120)
    stack.servers[1].kill()
    for thread in threads:
        thread.join()

    assert stack.servers[1].poll() is not None
    assert refused == []
    assert len(acknowledged) == len(conversations) * len(script)
    for sender in conversations:
        stored = user_texts(survivor.tracker(sender))
        for acked_sender, text in acknowledged:
            if acked_sender == sender:
                assert text in stored, (sender, text)
        # A message the victim stored but could not answer is stored again by the retry.
        without_retries = [t for i, t in enumerate(stored) if i == 0 or stored[i - 1] != t]
        assert without_retries == script, (sender, stored)
