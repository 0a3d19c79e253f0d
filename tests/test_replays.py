"""The ids of WhatsApp messages already handled are shared by every Rasa server and outlive
a restart: in the practice database by default, in Redis in the production profile."""

import asyncio
import subprocess
import time

import pytest

from connectors.replays import SeenInDatabase, SeenInRedis
from scripts.wait_for_port import free_port


def first_times(stores, channel, message_id):
    return [asyncio.run(store.first_time(channel, message_id)) for store in stores]


def test_servers_sharing_the_practice_database_handle_a_message_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'practice.db'}"
    server_a, server_b = SeenInDatabase(url), SeenInDatabase(url)
    assert first_times([server_a, server_b, server_a], "whatsapp", "wamid.1") == [
        True, False, False]
    assert first_times([server_b], "twilio", "wamid.1") == [True]  # another channel's id
    restarted = SeenInDatabase(url)
    assert first_times([restarted], "whatsapp", "wamid.1") == [False]


@pytest.fixture
def throwaway_redis(monkeypatch):
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                         text=True).stdout.strip() != "PONG":
        assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
        time.sleep(0.1)
    for name, value in (("REDIS_HOST", "127.0.0.1"), ("REDIS_PORT", str(port)),
                        ("REDIS_PASSWORD", ""), ("REDIS_DB", "0"), ("REDIS_KEY_PREFIX", "t")):
        monkeypatch.setenv(name, value)
    yield port
    server.terminate()
    server.wait(timeout=10)


def test_servers_sharing_redis_handle_a_message_once(throwaway_redis):
    def first_time(message_id):
        # A client per call: each asyncio.run has its own event loop, as each server has.
        return asyncio.run(SeenInRedis().first_time("whatsapp", message_id))

    assert [first_time("wamid.2"), first_time("wamid.2")] == [True, False]
    ttl = subprocess.run(["redis-cli", "-p", str(throwaway_redis), "ttl", "t:seen:whatsapp:wamid.2"],
                         capture_output=True, text=True).stdout.strip()
    assert 7 * 86400 < int(ttl) <= 8 * 86400  # forgotten only after Meta stops retrying
