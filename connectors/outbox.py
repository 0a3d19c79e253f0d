"""Every WhatsApp reply goes through a durable outbox, so a patient's message never waits on
Twilio's or Meta's API and no reply is lost when they are down or a server restarts.

The output channels only `put` a message: a row in the practice database
(connectors/practice_db.py; PostgreSQL in the production profile), written before the
patient's message is saved. A sender task in each Rasa server delivers due rows: in order
per patient (a message waits while an earlier one to the same patient is undelivered), at
most once (a row is claimed by one server before its request is made), retrying network
errors, 429 and 5xx with exponential back-off for up to a day; other refusals are final.
Rows still undelivered or refused are what reception shows under "Messages not delivered".

A server killed during a request leaves its row "sending": nobody can tell whether it
arrived, so it is not sent again (at most once) but marked failed for reception to check.
"""

import asyncio
import datetime
import json
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import sqlalchemy as sa

from connectors import practice_db
from serving.log_privacy import conversation_ref

logger = logging.getLogger(__name__)

GIVE_UP_AFTER = datetime.timedelta(hours=24)  # WhatsApp's window for free text
LONGEST_WAIT_S = 300.0
POLL_S = 1.0  # other servers' rows, and retries coming due
# A request takes at most about 60 s (Twilio: 15 s x 4 tries); a row claimed longer ago
# than this belongs to a server that died mid-request.
ABANDONED_AFTER = datetime.timedelta(minutes=5)

metadata = sa.MetaData()
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the order
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("request", sa.Text, nullable=False),  # JSON: what the channel's API is sent
    sa.Column("status", sa.String(16), nullable=False, index=True),  # pending|sending|sent|failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.String(200)),  # a status code or an error type, no content
    sa.Column("created_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("sent_at", sa.DateTime),
)


class TryAgain(Exception):
    """The API could not take the message now (network error, 429, 5xx)."""


class Refused(Exception):
    """The API refused the message for good (4xx other than 429)."""


def _now() -> datetime.datetime:
    return datetime.datetime.utcnow()


class Outbox:
    """One channel's outbox. `deliver(conversation_id, request)` makes the API call and
    raises TryAgain or Refused when it does not succeed."""

    def __init__(self, channel: Text,
                 deliver: Callable[[Text, Dict[Text, Any]], Awaitable[None]],
                 url: Optional[Text] = None, retry_base_s: Optional[float] = None) -> None:
        self.channel = channel
        self.deliver = deliver
        self.engine = practice_db.engine(url)
        metadata.create_all(self.engine)
        self.retry_base_s = float(retry_base_s if retry_base_s is not None
                                  else os.environ.get("OUTBOX_RETRY_BASE_S") or 2.0)
        self._wake: Optional[asyncio.Event] = None
        self._task: Optional[asyncio.Task] = None

    # --- putting -------------------------------------------------------------------------

    def _insert(self, conversation_id: Text, request: Dict[Text, Any]) -> None:
        now = _now()
        with self.engine.begin() as connection:
            connection.execute(outbox.insert().values(
                idempotency_key=uuid.uuid4().hex, channel=self.channel,
                conversation_id=conversation_id, request=json.dumps(request),
                status="pending", attempts=0, created_at=now, next_attempt_at=now))

    async def put(self, conversation_id: Text, request: Dict[Text, Any]) -> None:
        """Stores the message for delivery; returns without waiting for the API. With the
        practice database unreachable it is sent at once instead, with one try: the patient's
        message must still be stored, and the reply may still arrive."""
        try:
            await asyncio.to_thread(self._insert, conversation_id, request)
        except sa.exc.SQLAlchemyError as error:
            logger.error("The %s outbox could not store a reply to %s (%s); sending it at once.",
                         self.channel, conversation_ref(conversation_id), type(error).__name__)
            try:
                await self.deliver(conversation_id, request)
            except Exception as failure:
                logger.error("The %s reply to %s was not delivered either: %s", self.channel,
                             conversation_ref(conversation_id), failure)
            return
        self.start()
        assert self._wake is not None
        self._wake.set()

    def _waiting(self, conversation_id: Text) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(outbox.c.id).where(
                outbox.c.channel == self.channel, outbox.c.conversation_id == conversation_id,
                outbox.c.status.in_(("pending", "sending"))).limit(1)).first() is not None

    async def holds_messages_for(self, conversation_id: Text) -> bool:
        """Whether a message to this patient is still on its way (a new one goes behind it)."""
        try:
            return await asyncio.to_thread(self._waiting, conversation_id)
        except sa.exc.SQLAlchemyError:
            return False

    def _due_now(self, conversation_id: Text) -> None:
        with self.engine.begin() as connection:
            connection.execute(outbox.update().where(
                outbox.c.channel == self.channel, outbox.c.conversation_id == conversation_id,
                outbox.c.status == "pending").values(next_attempt_at=_now()))

    async def deliver_now(self, conversation_id: Text) -> None:
        """The patient can be reached again (a chat page came back): their waiting
        messages are tried now rather than after the back-off."""
        await asyncio.to_thread(self._due_now, conversation_id)
        self.start()
        assert self._wake is not None
        self._wake.set()

    # --- delivering ----------------------------------------------------------------------

    def start(self) -> None:
        """Starts this process's sender (idempotent); it also delivers rows left by a
        server that stopped, and by the other servers."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await self.deliver_due()
                pause = await asyncio.to_thread(self._pause)
            except Exception:  # the database down, say: the rows wait, the sender goes on
                logger.exception("The %s outbox could not be read; trying again.", self.channel)
                pause = POLL_S
            try:
                await asyncio.wait_for(self._wake.wait(), pause)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    def _pause(self) -> float:
        """Until the next retry comes due, or POLL_S for rows other servers put."""
        with self.engine.connect() as connection:
            soonest = connection.execute(sa.select(sa.func.min(outbox.c.next_attempt_at))
                                         .where(self._next_in_line())).scalar()
        if soonest is None:
            return POLL_S
        return min(POLL_S, max((soonest - _now()).total_seconds(), 0.0))

    def _next_in_line(self) -> sa.sql.ColumnElement:
        """This channel's pending rows whose patient has no earlier message on its way."""
        earlier = outbox.alias("earlier")
        waiting_behind = sa.exists().where(
            earlier.c.channel == outbox.c.channel,
            earlier.c.conversation_id == outbox.c.conversation_id,
            earlier.c.id < outbox.c.id,
            earlier.c.status.in_(("pending", "sending")))
        return sa.and_(outbox.c.channel == self.channel, outbox.c.status == "pending",
                       ~waiting_behind)

    def _due(self) -> List[sa.engine.Row]:
        now = _now()
        with self.engine.begin() as connection:
            connection.execute(outbox.update().where(
                outbox.c.channel == self.channel, outbox.c.status == "sending",
                outbox.c.claimed_at < now - ABANDONED_AFTER).values(
                status="failed", last_error="server stopped while sending: may not have arrived"))
            return connection.execute(
                sa.select(outbox.c.id, outbox.c.conversation_id, outbox.c.request,
                          outbox.c.attempts, outbox.c.created_at)
                .where(self._next_in_line(), outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.id).limit(100)).all()

    def _claim(self, row_id: int) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(outbox.update().where(
                outbox.c.id == row_id, outbox.c.status == "pending").values(
                status="sending", claimed_at=_now())).rowcount == 1

    def _record(self, row_id: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(outbox.update().where(outbox.c.id == row_id).values(**values))

    async def deliver_due(self) -> None:
        """Delivers every due row once (one try each)."""
        for row in await asyncio.to_thread(self._due):
            if not await asyncio.to_thread(self._claim, row.id):
                continue  # another server took it
            attempts = row.attempts + 1
            try:
                await self.deliver(row.conversation_id, json.loads(row.request))
            except TryAgain as error:
                if _now() - row.created_at > GIVE_UP_AFTER:
                    status, wait = "failed", 0.0
                else:
                    status, wait = "pending", min(self.retry_base_s * 2 ** (attempts - 1),
                                                  LONGEST_WAIT_S)
                logger.warning("%s message %s to %s not delivered (%s, attempt %d)%s",
                               self.channel, row.id, conversation_ref(row.conversation_id),
                               error, attempts, "; giving up" if status == "failed" else "")
                await asyncio.to_thread(
                    self._record, row.id, status=status, attempts=attempts,
                    last_error=str(error)[:200],
                    next_attempt_at=_now() + datetime.timedelta(seconds=wait))
                continue
            except Exception as error:  # Refused, or a bug: never retried blindly
                logger.error("%s message %s to %s refused: %s", self.channel, row.id,
                             conversation_ref(row.conversation_id), error)
                await asyncio.to_thread(self._record, row.id, status="failed",
                                        attempts=attempts, last_error=str(error)[:200])
                continue
            await asyncio.to_thread(self._record, row.id, status="sent", attempts=attempts,
                                    sent_at=_now(), last_error=None)

