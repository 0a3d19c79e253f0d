"""Meta's messages between its 200 and their handling. The Cloud API webhook answers at once
(Meta retries any notification it does not see answered quickly) and handles each message
after; meanwhile the message waits in the `inbox` table of the practice database, so a
server killed in between loses nothing. Every server, when it starts and then each minute,
handles the messages left waiting longer than INBOX_STALE_AFTER_S (a server that took them
has stopped), unless their conversation already holds them. A row is deleted once its
message is handled: the table keeps a patient's words only until then."""

import asyncio
import datetime
import json
import logging
import os
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa

from connectors import practice_db

logger = logging.getLogger(__name__)

metadata = sa.MetaData()
inbox = sa.Table(
    "inbox", metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("message_id", sa.String(255), primary_key=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("message", sa.Text, nullable=False),  # JSON: text, metadata, sent_at
    sa.Column("received_at", sa.DateTime, nullable=False),  # naive UTC; the order
    sa.Column("claimed_at", sa.DateTime, nullable=False),  # when a server last took it
)


def _now() -> datetime.datetime:
    return datetime.datetime.utcnow()


class Inbox:
    def __init__(self, channel: Text, url: Optional[Text] = None) -> None:
        self.channel = channel
        self.engine = practice_db.engine(url)
        metadata.create_all(self.engine)
        self.stale_after = datetime.timedelta(
            seconds=float(os.environ.get("INBOX_STALE_AFTER_S") or 120))

    def _keep(self, conversation_id: Text, message_id: Text, message: Dict[Text, Any]) -> None:
        now = _now()
        with self.engine.begin() as connection:
            connection.execute(inbox.insert().values(
                channel=self.channel, message_id=message_id, conversation_id=conversation_id,
                message=json.dumps(message), received_at=now, claimed_at=now))

    async def keep(self, conversation_id: Text, message_id: Text,
                   message: Dict[Text, Any]) -> None:
        """Before the webhook answers; a database error is logged, and the message is
        still handled (only a crash before that would lose it)."""
        try:
            await asyncio.to_thread(self._keep, conversation_id, message_id, message)
        except sa.exc.SQLAlchemyError as error:
            logger.error("%s message %s could not be kept in the inbox (%s); handling it "
                         "anyway.", self.channel, message_id, type(error).__name__)

    def _done(self, message_id: Text) -> None:
        with self.engine.begin() as connection:
            connection.execute(inbox.delete().where(inbox.c.channel == self.channel,
                                                    inbox.c.message_id == message_id))

    async def done(self, message_id: Text) -> None:
        try:
            await asyncio.to_thread(self._done, message_id)
        except sa.exc.SQLAlchemyError as error:  # handled again later, unless already stored
            logger.error("%s message %s could not be taken out of the inbox (%s).",
                         self.channel, message_id, type(error).__name__)

    def _left_behind(self) -> List[Dict[Text, Any]]:
        """Rows no server has handled within stale_after, each claimed by this server."""
        now = _now()
        with self.engine.begin() as connection:
            rows = connection.execute(sa.select(inbox).where(
                inbox.c.channel == self.channel, inbox.c.claimed_at < now - self.stale_after)
                .order_by(inbox.c.received_at)).mappings().all()
        claimed = []
        for row in rows:
            with self.engine.begin() as connection:
                taken = connection.execute(inbox.update().where(
                    inbox.c.channel == self.channel, inbox.c.message_id == row["message_id"],
                    inbox.c.claimed_at == row["claimed_at"]).values(claimed_at=now)).rowcount
            if taken:
                claimed.append({**json.loads(row["message"]), "message_id": row["message_id"],
                                "conversation_id": row["conversation_id"]})
        return claimed

    async def left_behind(self) -> List[Dict[Text, Any]]:
        return await asyncio.to_thread(self._left_behind)
