"""Bad input to the public endpoints gets a 4xx and a clear error, never a 500 or a crash.

Runs against the real Rasa server from conftest (REST channel `serving.rest.RestInput`,
socket.io). Property-based bodies come from hypothesis; each is checked over HTTP.
"""

import asyncio
import json

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.conversation

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def webhook(assistant) -> str:
    return f"{assistant.url}/webhooks/rest/webhook"


def is_valid_message(body) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("sender"), str)
            and body["sender"].strip() != "" and isinstance(body.get("message"), str))


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
    ({"sender": "someone"}, 400, "message"),
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
        for bad in ["just a string", ["a", "list"], 42, {"message": "no session"},
                    {"session_id": session_id, "message": {"not": "text"}},
                    {"session_id": {"nested": 1}, "message": "hi"},
                    {"session_id": session_id, "message": "x" * 100_000},
                    {"session_id": session_id, "metadata": "{not json"}]:
            await client.emit("user_uttered", bad)
        await client.emit("session_request", {"session_id": session_id})
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
