"""Booking tables in the practice database, next to the call-back requests.

`bookings` holds every booking, whichever backend made it (for Cliniko it is the local
record that makes retries idempotent and lets reception see what the assistant did).
`booked_units` is what makes double booking impossible in the embedded calendar: one row
per practitioner per slot_minutes unit, so two overlapping bookings cannot both commit.
"""

import datetime
import json
import weakref
from typing import Any, Dict, Optional

import sqlalchemy as sa

from actions.booking.base import Booking, BookingNotFound, Slot
from actions.booking.config import CalendarConfig
from actions.callbacks import metadata

UTC = datetime.timezone.utc

bookings = sa.Table(
    "bookings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    # confirmed | cancelled; Cliniko bookings are "pending" while the API call runs and
    # "failed" if it did not go through (kept so reception sees the attempt).
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("practitioner_id", sa.String(32), nullable=False),
    sa.Column("practitioner_name", sa.String(120), nullable=False),
    sa.Column("appointment_type", sa.String(32), nullable=False),
    sa.Column("start_utc", sa.DateTime, nullable=False),      # naive UTC
    sa.Column("end_utc", sa.DateTime, nullable=False),
    sa.Column("patient_name", sa.String(120), nullable=False),
    sa.Column("phone_e164", sa.String(20), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("consent_at", sa.DateTime, nullable=False),
    sa.Column("triage_summary", sa.Text, nullable=False),
    sa.Column("triage_details", sa.Text, nullable=False),      # JSON
    sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(64)),                   # Cliniko appointment id
    sa.Column("external_patient_id", sa.String(64)),           # Cliniko patient id
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("cancelled_at", sa.DateTime),
)

booked_units = sa.Table(
    "booked_units", metadata,
    sa.Column("practitioner_id", sa.String(32), primary_key=True),
    sa.Column("unit_start_utc", sa.DateTime, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, index=True),
)

# One row per move: a retried "move" with the same key is recognised, and reception can
# see where a booking was before.
booking_moves = sa.Table(
    "booking_moves", metadata,
    sa.Column("idempotency_key", sa.String(128), primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, index=True),
    sa.Column("from_start_utc", sa.DateTime, nullable=False),
    sa.Column("to_start_utc", sa.DateTime, nullable=False),
    sa.Column("to_practitioner_id", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

_ready: "weakref.WeakSet[sa.engine.Engine]" = weakref.WeakSet()


def ensure_tables(engine: sa.engine.Engine) -> None:
    """Creates the practice tables once per engine (engine() does too, but only for the
    tables registered when it was first called)."""
    if engine not in _ready:
        metadata.create_all(engine)
        _ready.add(engine)


def utc_naive(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def now_utc_naive() -> datetime.datetime:
    return datetime.datetime.now(UTC).replace(tzinfo=None)


def booking_from_row(row: Any, config: CalendarConfig, slot_id: str) -> Booking:
    start = row.start_utc.replace(tzinfo=UTC).astimezone(config.timezone)
    end = row.end_utc.replace(tzinfo=UTC).astimezone(config.timezone)
    return Booking(
        reference=row.reference,
        status=row.status,
        slot=Slot(slot_id=slot_id, start=start, end=end,
                  practitioner_id=row.practitioner_id,
                  practitioner_name=row.practitioner_name,
                  appointment_type=row.appointment_type),
        patient_name=row.patient_name,
        phone_e164=row.phone_e164,
    )


def booking_values(request: Any, reference: str, status: str, backend: str, slot: Slot,
                   external: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    now = now_utc_naive()
    return dict(
        reference=reference, status=status, backend=backend,
        practitioner_id=slot.practitioner_id, practitioner_name=slot.practitioner_name,
        appointment_type=slot.appointment_type,
        start_utc=utc_naive(slot.start), end_utc=utc_naive(slot.end),
        patient_name=request.patient_name, phone_e164=request.phone_e164,
        email=request.email or None, consent_at=now,
        triage_summary=request.triage_summary or "",
        triage_details=json.dumps(request.triage_details or {}, ensure_ascii=False,
                                  sort_keys=True, default=str),
        idempotency_key=request.idempotency_key,
        conversation_id=request.conversation_id, channel=request.channel,
        created_at=now, updated_at=now, **(external or {}),
    )


def normalise_reference(reference: str) -> str:
    return (reference or "").strip().upper()


class StoredBookings:
    """A backend's own rows of the `bookings` table (the backend sets `db` and `name`)."""

    db: sa.engine.Engine
    name: str

    def _row(self, reference: str, phone_e164: str):
        query = bookings.select().where(
            bookings.c.reference == normalise_reference(reference),
            bookings.c.backend == self.name,
            bookings.c.status.in_(["confirmed", "cancelled"]))
        with self.db.connect() as connection:
            row = connection.execute(query).first()
        # The same answer for an unknown reference and a wrong phone: nothing is revealed.
        if row is None or row.phone_e164 != (phone_e164 or "").strip():
            raise BookingNotFound(f"no booking {reference!r} for that phone number")
        return row

    def _row_by_key(self, idempotency_key: str):
        query = bookings.select().where(bookings.c.idempotency_key == idempotency_key,
                                        bookings.c.backend == self.name)
        with self.db.connect() as connection:
            return connection.execute(query).first()
