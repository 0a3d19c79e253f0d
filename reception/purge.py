"""Retention (POPIA): delete conversations whose last message is older than N days.

    python -m reception.purge --days 365           # dry run: says what would go
    python -m reception.purge --days 365 --apply   # deletes

Deletes the tracker events, reception's review state, notes and tags, and the call-back
requests of those conversations. The audit log is kept: it records who saw what. Days come
from --days or RECEPTION_RETENTION_DAYS; there is no default, deletion is always chosen.
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


def purge(engine: sa.engine.Engine, practice: sa.engine.Engine, senders: List[str]) -> None:
    callbacks = db.reflect_practice_table(practice, "callback_requests")
    for start in range(0, len(senders), 500):  # bounded IN lists
        batch = senders[start:start + 500]
        with engine.begin() as connection:
            connection.execute(db.events.delete().where(db.events.c.sender_id.in_(batch)))
            for table in (db.reviews, db.notes, db.tags):
                connection.execute(table.delete().where(table.c.conversation_id.in_(batch)))
        if callbacks is not None:
            with practice.begin() as connection:
                connection.execute(callbacks.delete().where(callbacks.c.sender_id.in_(batch)))


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
    cutoff = datetime.datetime.now() - datetime.timedelta(days=days)
    print(f"{len(senders)} conversations with no message since {cutoff:%Y-%m-%d %H:%M}")
    if not args.apply:
        for sender in senders[:50]:
            print("  would delete", sender)
        print("Dry run: nothing deleted. Add --apply to delete.")
        return
    purge(engine, db.engine(db.practice_db_url()), senders)
    auth.audit(engine, "purge", "purge", detail=f"{len(senders)} conversations older than "
                                                f"{days:g} days")
    print(f"Deleted {len(senders)} conversations.")


if __name__ == "__main__":
    main()
