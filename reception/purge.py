"""Retention (POPIA): delete conversations whose last message is older than N days.

    python -m reception.purge --days 365           # dry run: says what would go
    python -m reception.purge --days 365 --apply   # deletes

Deletes the tracker events, reception's review state, notes and tags, the call-back requests,
the replies in the outbox, the messages still in the inbox and the bookings (with their
calendar units and moves) of those conversations, and the unanswered questions asked before
the cutoff. The audit log is kept, as it records who saw what, without its personal data: a
purged conversation's id is replaced by "purged", and the list searches older than the
cutoff (they may hold a name) lose their terms. On SQLite deleted rows are overwritten
(secure_delete) and the write-ahead log emptied, so the file keeps none of it. Days come from --days or RECEPTION_RETENTION_DAYS;
there is no default, deletion is always chosen.
"""

import argparse
import datetime
import os
import sys
import time
from typing import List

import sqlalchemy as sa

from reception import auth, db


def expired_conversations(engine: sa.engine.Engine, days: float) -> List[str]:
    if not sa.inspect(engine).has_table("events"):
        return []
    cutoff = time.time() - days * 86400
    e = db.events
    with engine.connect() as connection:
        return [sender for (sender,) in connection.execute(
            sa.select(e.c.sender_id).group_by(e.c.sender_id)
            .having(sa.func.max(e.c.timestamp) < cutoff).order_by(e.c.sender_id))]


PURGED = "purged"


def purge(engine: sa.engine.Engine, practice: sa.engine.Engine, senders: List[str],
          cutoff: datetime.datetime) -> None:
    """`cutoff`: naive UTC, as the audit log keeps its times."""
    callbacks = db.reflect_practice_table(practice, "callback_requests")
    bookings = db.reflect_practice_table(practice, "bookings")
    booked_units = db.reflect_practice_table(practice, "booked_units")
    booking_moves = db.reflect_practice_table(practice, "booking_moves")
    outbox = db.reflect_practice_table(practice, "outbox")
    inbox = db.reflect_practice_table(practice, "inbox")
    audit = db.audit_log
    for start in range(0, len(senders), 500):  # bounded IN lists
        batch = senders[start:start + 500]
        with engine.begin() as connection:
            connection.execute(db.events.delete().where(db.events.c.sender_id.in_(batch)))
            for table in (db.reviews, db.notes, db.tags):
                connection.execute(table.delete().where(table.c.conversation_id.in_(batch)))
            connection.execute(audit.update().where(audit.c.conversation_id.in_(batch))
                               .values(conversation_id=PURGED))
        with practice.begin() as connection:
            if callbacks is not None:
                connection.execute(callbacks.delete().where(callbacks.c.sender_id.in_(batch)))
            for table in (outbox, inbox):
                if table is not None:
                    connection.execute(table.delete().where(table.c.conversation_id.in_(batch)))
            if bookings is not None:
                references = sa.select(bookings.c.reference).where(
                    bookings.c.conversation_id.in_(batch)).scalar_subquery()
                for table in (booked_units, booking_moves):
                    if table is not None:
                        connection.execute(table.delete().where(table.c.reference.in_(references)))
                connection.execute(bookings.delete().where(bookings.c.conversation_id.in_(batch)))
    with engine.begin() as connection:
        connection.execute(audit.update().where(audit.c.action == "list", audit.c.at < cutoff,
                                                audit.c.detail.isnot(None)).values(detail=None))
    unanswered = db.reflect_practice_table(practice, "unanswered_questions")
    if unanswered is not None:  # no sender is kept, so they go by age: their words may name someone
        with practice.begin() as connection:
            connection.execute(unanswered.delete().where(unanswered.c.asked_at < cutoff))
    for database in {engine.url: engine, practice.url: practice}.values():
        db.empty_write_ahead_log(database)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reception.purge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=os.environ.get("RECEPTION_RETENTION_DAYS"))
    parser.add_argument("--apply", action="store_true", help="delete (without it: dry run)")
    args = parser.parse_args(argv)
    if args.days is None or float(args.days) < 1:
        sys.exit("give --days N (at least 1) or set RECEPTION_RETENTION_DAYS")
    days = float(args.days)
    engine = db.reception_engine()
    senders = expired_conversations(engine, days)
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    print(f"{len(senders)} conversations with no message since {cutoff.astimezone():%Y-%m-%d %H:%M}")
    if not args.apply:
        for sender in senders[:50]:
            print("  would delete", sender)
        print("Dry run: nothing deleted. Add --apply to delete.")
        return
    purge(engine, db.engine(db.practice_db_url()), senders, cutoff.replace(tzinfo=None))
    auth.audit(engine, "purge", "purge", detail=f"{len(senders)} conversations older than "
                                                f"{days:g} days")
    print(f"Deleted {len(senders)} conversations.")


if __name__ == "__main__":
    main()
