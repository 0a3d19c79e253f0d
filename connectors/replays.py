"""Each WhatsApp message is handled once, whichever Rasa server it reaches and however often
it arrives: Meta retries a notification it thinks failed, and a captured signed request can
be sent again (the signatures carry no time).

The ids seen are kept where every server sees them: in Redis when REDIS_HOST is set (the
production profile), else in the practice database (PRACTICE_DB_URL, by default
var/practice.db). Only the channel's message id is kept, nothing of the patient. A Meta
message older than Meta's retry period is refused outright, so an id forgotten after
REMEMBERED_FOR can never be replayed."""

import asyncio
import datetime
import os
import time
from typing import Optional, Text

import sqlalchemy as sa

from connectors import practice_db

# Meta retries a notification that was not answered 200 for up to seven days.
OLDEST_ACCEPTED_S = 7 * 86400
REMEMBERED_FOR = datetime.timedelta(days=8)
FORGET_EVERY_S = 3600

metadata = sa.MetaData()
seen_messages = sa.Table(
    "seen_channel_messages", metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("message_id", sa.String(255), primary_key=True),
    sa.Column("seen_at", sa.DateTime, nullable=False, index=True),  # naive UTC
)


def too_old(sent_at: Optional[float], now: Optional[float] = None) -> bool:
    """A message sent before Meta's retry period: a replay, whatever its id."""
    return sent_at is not None and (now or time.time()) - sent_at > OLDEST_ACCEPTED_S


class SeenInDatabase:
    def __init__(self, url: Optional[Text] = None) -> None:
        self.engine = practice_db.engine(url)
        metadata.create_all(self.engine)
        self._forgotten_at = 0.0

    def _first_time(self, channel: Text, message_id: Text) -> bool:
        now = datetime.datetime.utcnow()
        try:
            with self.engine.begin() as connection:
                connection.execute(seen_messages.insert().values(
                    channel=channel, message_id=message_id, seen_at=now))
        except sa.exc.IntegrityError:  # the primary key: another server or an earlier run
            return False
        if time.monotonic() - self._forgotten_at > FORGET_EVERY_S:
            self._forgotten_at = time.monotonic()
            with self.engine.begin() as connection:
                connection.execute(seen_messages.delete().where(
                    seen_messages.c.seen_at < now - REMEMBERED_FOR))
        return True

    async def first_time(self, channel: Text, message_id: Text) -> bool:
        return await asyncio.to_thread(self._first_time, channel, message_id)


class SeenInRedis:
    def __init__(self) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis(
            host=os.environ["REDIS_HOST"], port=int(os.environ.get("REDIS_PORT") or 6379),
            password=os.environ.get("REDIS_PASSWORD") or None,
            db=int(os.environ.get("REDIS_DB") or 0))
        self.prefix = os.environ.get("REDIS_KEY_PREFIX") or "rasa"

    async def first_time(self, channel: Text, message_id: Text) -> bool:
        key = f"{self.prefix}:seen:{channel}:{message_id}"
        return bool(await self.client.set(key, 1, nx=True,
                                          ex=int(REMEMBERED_FOR.total_seconds())))


def seen_store() -> "SeenInDatabase | SeenInRedis":
    if os.environ.get("REDIS_HOST"):
        return SeenInRedis()
    return SeenInDatabase()
