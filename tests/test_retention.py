"""Retention: after `python -m reception.purge --apply`, nothing of a purged conversation is
left in the database files, not even in SQLite's free pages or write-ahead log."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from actions.booking.store import booked_units, booking_moves, bookings
from actions.callbacks import callback_requests, metadata as practice_metadata, \
    unanswered_questions
from connectors.inbox import inbox, metadata as inbox_metadata
from connectors.outbox import metadata as outbox_metadata, outbox
from reception import auth, db
from tests.reception_support import ROOT, sample_conversations, save_conversation, \
    tracker_store, user

# What the old patient told us: none of it may be in any file after the purge.
OLD_WORDS = "my sciatica flared after the Comrades marathon"
OLD_NAME, OLD_PHONE, OLD_EMAIL = "Zanele Khumalo-Botha", "+27847771234", "zanele.kb@example.org"


def test_a_purged_conversation_leaves_no_bytes_in_the_database_files(tmp_path):
    tracker_url, practice_url = (f"sqlite:///{tmp_path / 'tracker.db'}",
                                 f"sqlite:///{tmp_path / 'practice.db'}")
    store = tracker_store(tracker_url)
    ids = sample_conversations(store)
    old, kept = ids["old"], ids["routine"]
    long_ago = datetime.datetime.now().timestamp() - 500 * 86400
    save_conversation(store, old, [user(OLD_WORDS, long_ago), user(OLD_EMAIL, long_ago + 1)])
    store.engine.dispose()
    practice = sa.create_engine(practice_url, future=True)
    practice_metadata.create_all(practice)
    outbox_metadata.create_all(practice)
    inbox_metadata.create_all(practice)
    start = datetime.datetime(2025, 6, 2, 8, 0)
    with practice.begin() as connection:
        connection.execute(callback_requests.insert().values(
            reference="CB-OLD234", sender_id=old, name=OLD_NAME, phone=OLD_PHONE,
            reason="call back", triage_summary=OLD_WORDS, created_at=start, status="open"))
        for conversation, reference, name in ((old, "BK-OLD234", OLD_NAME),
                                              (kept, "BK-KEPT23", "Sipho Dlamini")):
            connection.execute(bookings.insert().values(
                reference=reference, status="confirmed", backend="calendar",
                practitioner_id="hein", practitioner_name="Hein Viljoen",
                appointment_type="initial", start_utc=start,
                end_utc=start + datetime.timedelta(minutes=45), patient_name=name,
                phone_e164=OLD_PHONE if conversation == old else "+27831234567",
                email=OLD_EMAIL if conversation == old else None, consent_at=start,
                triage_summary=OLD_WORDS if conversation == old else "lower back",
                triage_details="{}", idempotency_key=reference, conversation_id=conversation,
                channel="twilio", created_at=start, updated_at=start))
            connection.execute(booked_units.insert().values(
                practitioner_id="hein", reference=reference,
                unit_start_utc=start + datetime.timedelta(hours=conversation == kept)))
        connection.execute(outbox.insert().values(
            idempotency_key="old-reply", channel="twilio", conversation_id=old,
            request=json.dumps({"to": old, "body": f"Thanks {OLD_NAME}, about {OLD_WORDS}"}),
            status="sent", attempts=1, created_at=start, next_attempt_at=start))
        connection.execute(inbox.insert().values(
            channel="whatsapp", message_id="wamid.old", conversation_id=old,
            message=json.dumps({"text": OLD_WORDS, "type": "text", "sent_at": 0}),
            received_at=start, claimed_at=start))
        connection.execute(unanswered_questions.insert().values(
            asked_at=start, question=f"can {OLD_NAME} run the Comrades again?",
            outcome="not_covered", closest_topics="exercise"))
        connection.execute(booking_moves.insert().values(
            idempotency_key="move-old", reference="BK-OLD234", from_start_utc=start,
            to_start_utc=start, to_practitioner_id="hein", created_at=start))
    practice.dispose()
    reception = db.reception_engine(tracker_url)
    auth.audit(reception, "sipho", "view", old)
    auth.audit(reception, "sipho", "list", detail="q=" + OLD_NAME.split()[0])
    with reception.begin() as connection:  # the search was made long ago
        connection.execute(db.audit_log.update().where(db.audit_log.c.action == "list")
                           .values(at=datetime.datetime(2025, 1, 1)))
    reception.dispose()

    result = subprocess.run(
        [sys.executable, "-m", "reception.purge", "--days", "365", "--apply"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TRACKER_DB_URL": tracker_url,
             "PRACTICE_DB_URL": practice_url},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 conversations" in result.stdout

    for path in sorted(tmp_path.glob("*.db*")):
        content = Path(path).read_bytes()
        for secret in (OLD_WORDS, OLD_NAME, OLD_PHONE, OLD_EMAIL, old, "Zanele"):
            assert secret.encode() not in content, f"{secret!r} is still in {path.name}"
    practice = sa.create_engine(practice_url, future=True)
    with practice.connect() as connection:
        assert [r.reference for r in connection.execute(sa.select(bookings))] == ["BK-KEPT23"]
        assert [r.reference for r in connection.execute(sa.select(booked_units))] == ["BK-KEPT23"]
        assert connection.execute(sa.select(booking_moves)).first() is None
    with sa.create_engine(tracker_url, future=True).connect() as connection:
        audit = {(r.action, r.conversation_id, r.detail)
                 for r in connection.execute(sa.select(db.audit_log))}
        senders = {r.sender_id for r in connection.execute(sa.select(db.events.c.sender_id))}
    assert ("view", "purged", None) in audit and ("list", None, None) in audit
    assert kept in senders and old not in senders
