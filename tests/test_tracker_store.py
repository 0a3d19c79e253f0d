"""serving.tracker_store reads back exactly what Rasa's own SQL store reads, with two servers.

Two `IncrementalSQLTrackerStore`s over one database act as two Rasa servers taking turns on
one conversation (as the lock store lets them), with new sessions, purges and restarts in
between; after every step each must see the conversation as Rasa's `SQLTrackerStore` reads
it from the database, and no saved message may be missing.
"""

import asyncio
import itertools
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from serving.tracker_store import IncrementalSQLTrackerStore
from tests.databases import sqlite_or_postgres

DOMAIN = Domain.from_dict({"slots": {"pain_location": {
    "type": "text", "mappings": [{"type": "from_text"}]}}})
SENDER = "patient-1"
STEPS = st.lists(
    st.tuples(st.sampled_from([0, 1]),
              st.sampled_from(["message"] * 4 + ["two_saves", "new_session", "purge", "restart"])),
    min_size=1, max_size=10,
)


def store_kwargs(url: str) -> dict:
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "sqlite":
        return {"dialect": "sqlite", "db": parsed.database}
    return {"dialect": "postgresql", "host": parsed.host, "port": parsed.port,
            "db": parsed.database, "username": parsed.username}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    with sqlite_or_postgres(request.param, tmp_path_factory.mktemp("store"),
                            "tracker_store_test") as url:
        yield url


def dialogue(tracker):
    return [event.as_dict() for event in tracker.events] if tracker else None


class Conversation:
    """Runs the steps and remembers every message text saved since the last purge."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sender = f"{SENDER}-{uuid.uuid4().hex[:8]}"
        self.servers = [self.server(), self.server()]
        self.oracle = SQLTrackerStore(domain=DOMAIN, **store_kwargs(url))
        self.clock = itertools.count(1_700_000_000)
        self.sent = []

    def server(self) -> IncrementalSQLTrackerStore:
        return IncrementalSQLTrackerStore(domain=DOMAIN, **store_kwargs(self.url))

    async def step(self, server: int, what: str) -> None:
        store = self.servers[server]
        if what == "restart":
            store.engine.dispose()
            self.servers[server] = self.server()
            return
        if what == "purge":
            with self.oracle.engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM events WHERE sender_id = :s"),
                                   {"s": self.sender})
            self.sent = []
            return
        tracker = await store.get_or_create_tracker(self.sender)
        await self.add(store, tracker, server, what)
        if what == "two_saves":  # a second save with no read between (Rasa's API can)
            await self.add(store, tracker, server, what)

    async def add(self, store, tracker, server: int, what: str) -> None:
        at = float(next(self.clock))
        if what == "new_session":
            new = [ActionExecuted("action_session_start", timestamp=at),
                   SessionStarted(timestamp=at + 0.1), ActionExecuted("action_listen", timestamp=at + 0.2)]
        else:
            text = f"message {at:.0f} via server {server}"
            self.sent.append(text)
            new = [UserUttered(text, timestamp=at), SlotSet("pain_location", text, timestamp=at),
                   BotUttered(f"reply to {text}", timestamp=at + 0.1),
                   ActionExecuted("action_listen", timestamp=at + 0.2)]
        for event in new:
            tracker.update(event)
        await store.save(tracker)

    async def check(self) -> None:
        expected = dialogue(await self.oracle.retrieve(self.sender))
        for server in self.servers:
            assert dialogue(await server.retrieve(self.sender)) == expected
        everything = await self.oracle.retrieve_full_tracker(self.sender)
        stored = [e.text for e in everything.events if isinstance(e, UserUttered)] if everything else []
        assert stored == self.sent  # in order, none lost, none doubled

    def close(self) -> None:
        for store in (*self.servers, self.oracle):
            store.engine.dispose()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[*settings.default.suppress_health_check,
                                 HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_two_servers_see_what_rasa_reads(database_url, steps):
    conversation = Conversation(database_url)
    try:
        for server, what in steps:
            asyncio.run(conversation.step(server, what))
            asyncio.run(conversation.check())
    finally:
        conversation.close()


def test_the_slot_values_come_back_from_the_other_server(database_url):
    conversation = Conversation(database_url)
    try:
        asyncio.run(conversation.step(0, "message"))
        asyncio.run(conversation.step(1, "message"))
        tracker = asyncio.run(conversation.servers[0].retrieve(conversation.sender))
        assert tracker.get_slot("pain_location") == conversation.sent[-1]
        assert tracker.latest_message.text == conversation.sent[-1]
    finally:
        conversation.close()


def test_sqlite_conversations_are_written_with_a_write_ahead_log(tmp_path):
    store = IncrementalSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.engine.dispose()
