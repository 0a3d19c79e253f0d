"""The lock store the production profile uses, against the real local Redis.

Several servers take tickets for one conversation at the same moment: each ticket must be
issued once, or two servers handle the same conversation at once and one message is lost.
"""

import asyncio
import threading
import uuid

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from serving.lock_store import AtomicRedisLockStore

SERVERS, TICKETS_EACH = 4, 50


@pytest.fixture
def prefix():
    prefix = "scaletest" + uuid.uuid4().hex[:10]
    yield prefix
    client = redis.StrictRedis(host="127.0.0.1", port=6379, db=1)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def atomic_store(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(
        url="127.0.0.1", type="serving.lock_store.AtomicRedisLockStore", port="6379",
        db="1", password="", key_prefix=prefix))


def tickets_taken_at_once(stores) -> list:
    tickets = []

    def take(store):
        for _ in range(TICKETS_EACH):
            tickets.append(store.issue_ticket("patient"))

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tickets


def test_every_ticket_is_issued_once_across_servers(prefix):
    tickets = tickets_taken_at_once([atomic_store(prefix) for _ in range(SERVERS)])
    assert sorted(tickets) == list(range(SERVERS * TICKETS_EACH))


def test_rasas_own_redis_lock_store_issues_duplicates_which_is_why_we_replace_it(prefix):
    stores = [RedisLockStore(host="127.0.0.1", port=6379, db=1, key_prefix=prefix)
              for _ in range(SERVERS)]
    tickets = tickets_taken_at_once(stores)
    assert len(set(tickets)) < len(tickets)


def test_the_lock_goes_only_when_nobody_waits(prefix):
    first, second = atomic_store(prefix), atomic_store(prefix)
    mine, theirs = first.issue_ticket("patient"), second.issue_ticket("patient")
    first.cleanup("patient", mine)
    lock = second.get_lock("patient")
    assert lock is not None and not lock.is_locked(theirs)
    second.cleanup("patient", theirs)
    assert second.get_lock("patient") is None


def test_a_waiter_behind_a_dead_server_gets_the_lock_when_its_ticket_expires(prefix):
    dead_server, survivor = atomic_store(prefix), atomic_store(prefix)
    dead_server.issue_ticket("patient", lock_lifetime=1)  # taken, never released
    waiting = survivor.issue_ticket("patient", lock_lifetime=1)  # expires as soon
    # The guard only stops a hang; with Rasa's own store this wait never ends.
    lock = asyncio.run(asyncio.wait_for(
        survivor._acquire_lock("patient", waiting, wait_time_in_seconds=0.2), timeout=60))
    assert lock.now_serving == waiting
