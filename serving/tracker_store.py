"""Rasa's SQL tracker store, reading back only the rows it has not seen.

Profiled under load (README "Benchmark"), Rasa 3.6's `SQLTrackerStore` took about 30% of
the Rasa server's CPU: on every message it reads the whole conversation back through an ORM
query with a subquery (SQLAlchemy's cache-key walk of that query alone was 9%), turns every
row into an event again, and on saving counts the rows once more to find the new events.

This store keeps the stored rows of recently active conversations in memory and asks the
database only for rows from the last one it holds onwards; a save writes its new rows in one
statement, and the next read brings them in with anything another server added. The database
stays the only
truth, so several servers over one database still see each other's events (the lock store
serialises the messages of one conversation); a failing query fails as it did before; and
when the last row held is gone (a purge) or a new session started elsewhere, the
conversation is read afresh exactly as Rasa reads it. SQLite conversations are written with
a write-ahead log, so reception can read while the assistant writes.
"""

import itertools
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY


@dataclass
class _StoredSession:
    """The JSON of a conversation's stored rows since its latest session started."""

    rows: List[Text]
    last_id: int
    # False after a save, until the next read brings the saved rows in.
    complete: bool = True


class IncrementalSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that remembers the rows of `cached_conversations` conversations."""

    def __init__(self, *args: Any, cached_conversations: int = 500, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._keep_sqlite_open_with_write_ahead_log()
        self._sessions: "OrderedDict[Text, _StoredSession]" = OrderedDict()
        self._capacity = int(cached_conversations)
        # Plain SQL: SQLAlchemy walks a built query on every execution to find its cached
        # compiled form, which cost more than running this one.
        self._rows_from_last_known = sa.text(
            f"SELECT id, type_name, data FROM {self.SQLEvent.__tablename__} "
            f"WHERE sender_id = :sender_id AND id >= :last_id ORDER BY id"
        )
        self._insert_rows = self.SQLEvent.__table__.insert()

    def _keep_sqlite_open_with_write_ahead_log(self) -> None:
        # SQLAlchemy 1.4 opens a SQLite file afresh for every session, and closing the last
        # connection checkpoints the log: one pooled connection, used by one task at a time.
        # Commits still wait for the disk (synchronous=FULL, SQLite's default).
        self.engine.dispose()
        self.engine = sa.create_engine(
            self.engine.url, poolclass=sa.pool.QueuePool, pool_size=1, hide_parameters=True,
            connect_args={"check_same_thread": False},
        )
        with self.engine.connect() as connection:  # the log mode is kept in the file
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        stored = self._sessions.get(sender_id)
        if stored is not None:
            with self.session_scope() as session:
                rows = session.execute(
                    self._rows_from_last_known,
                    {"sender_id": sender_id, "last_id": stored.last_id},
                ).all()
            new_rows = rows[1:]
            still_there = bool(rows) and rows[0].id == stored.last_id
            if still_there and all(r.type_name != SessionStarted.type_name for r in new_rows):
                stored.rows.extend(row.data for row in new_rows)
                if new_rows:
                    stored.last_id = new_rows[-1].id
                stored.complete = True
                self._sessions.move_to_end(sender_id)
                return self._tracker(sender_id, stored.rows)
            del self._sessions[sender_id]
        return self._read_latest_session(sender_id)

    def _read_latest_session(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).all()
        if not rows:
            return None
        stored = _StoredSession([row.data for row in rows], rows[-1].id)
        self._remember(sender_id, stored)
        return self._tracker(sender_id, stored.rows)

    def _tracker(self, sender_id: Text, rows: List[Text]) -> DialogueStateTracker:
        return DialogueStateTracker.from_dict(
            sender_id, [json.loads(row) for row in rows], self.domain.slots
        )

    def _remember(self, sender_id: Text, stored: _StoredSession) -> None:
        self._sessions[sender_id] = stored  # a new key goes last: the most recent
        while len(self._sessions) > self._capacity:
            self._sessions.popitem(last=False)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = self._sessions.get(tracker.sender_id)
        with self.session_scope() as session:
            if stored is not None and stored.complete:
                already_stored = len(stored.rows)
            else:
                already_stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
            rows = [self._row(tracker.sender_id, event)
                    for event in itertools.islice(tracker.events, already_stored, None)]
            if rows:  # one statement for all, with no ids to fetch back
                session.execute(self._insert_rows, rows)
                session.commit()
        if stored is not None and rows:
            stored.complete = False

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
        """One `events` row, with the columns Rasa's own store fills."""
        data: Dict[Text, Any] = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
