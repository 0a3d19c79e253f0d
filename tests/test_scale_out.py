"""Two Rasa servers and one action server over PostgreSQL and a Redis lock store.

The production profile (endpoints.production.yml) on real services: a throwaway PostgreSQL
cluster of our own (so a test may restart it) and the shared Redis under a unique key prefix.
The tests run in file order: the last one kills a server.
"""

import secrets
import threading
import uuid
from typing import Dict, List, Tuple

import pytest
import redis
import requests

from scripts.stack import production_env, start_actions, start_rasa, stop, wait_until_up
from scripts.throwaway_postgres import ThrowawayPostgres
from scripts.wait_for_port import free_port
from tests.conftest import Assistant

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
    def __init__(self, tmp, token: str) -> None:
        self.tmp = tmp
        self.token = token
        self.database = ThrowawayPostgres()
        self.prefix = "scale" + uuid.uuid4().hex[:10]
        self.action_port = free_port()
        self.env = production_env(self.database, "tracker", self.prefix, self.action_port, tmp)
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
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    stack = Stack(tmp, secrets.token_urlsafe(16))
    stack.database.start()
    stack.database.create_database("tracker")
    try:
        stack.start_actions()
        for name in ("a", "b"):
            port, log = free_port(), tmp / f"rasa-{name}.log"
            stack.servers.append(
                start_rasa(port, stack.token, "endpoints.production.yml", stack.env, log))
            stack.assistants.append(
                Assistant(f"http://127.0.0.1:{port}", stack.token, stack.env["PRACTICE_DB_URL"]))
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
