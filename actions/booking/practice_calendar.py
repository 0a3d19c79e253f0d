"""The embedded booking backend: the practice calendar in the practice database.

Double booking is prevented by the database, not by checking first: a booking inserts one
`booked_units` row per practitioner per slot_minutes unit it covers (primary key
practitioner + unit start) in the same transaction as its `bookings` row, so of two
overlapping bookings only one can commit, on SQLite and PostgreSQL alike.
"""

from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterator, List, Optional, Set, Tuple

import sqlalchemy as sa

from actions import clock as practice_clock
from actions.booking.base import (
    BackendUnavailable, Booking, BookingBackend, BookingError, BookingNotFound,
    BookingRequest, Slot, SlotUnavailable, check_request, parse_slot_id, slot_id_for, spread,
)
from actions.booking.config import AppointmentType, CalendarConfig, calendar_config
from actions.booking.store import (
    booked_units, booking_from_row, booking_moves, booking_values, bookings,
    StoredBookings, ensure_tables, now_utc_naive, utc_naive,
)
from actions.callbacks import engine, new_reference

UTC = timezone.utc
ATTEMPTS = 3  # a fresh reference, or a fresh read after a concurrent change


class _ChangedMeanwhile(Exception):
    """The booking was moved or cancelled between reading it and changing it."""


class CalendarBackend(StoredBookings, BookingBackend):
    name = "calendar"

    def __init__(self, config: Optional[CalendarConfig] = None,
                 db: Optional[sa.engine.Engine] = None,
                 clock: Optional[Callable[[], datetime]] = None) -> None:
        self.config = config or calendar_config()
        self.db = db or engine()
        self.clock = clock or practice_clock.now_utc
        ensure_tables(self.db)

    # Slots -----------------------------------------------------------------------------

    def free_slots(self, appointment_type: str, *, after: datetime,
                   on_day: Optional[date] = None, limit: int = 3) -> List[Slot]:
        kind = self._appointment_type(appointment_type)
        if limit <= 0:
            return []
        try:
            return spread(self._candidates(kind, after, on_day), limit)
        except sa.exc.OperationalError as error:
            raise BackendUnavailable(f"practice database: {error}") from error

    def _candidates(self, kind: AppointmentType, after: datetime,
                    on_day: Optional[date]) -> Iterator[Slot]:
        config = self.config
        now = config.local(self.clock())
        after = config.local(after)
        earliest = now + config.minimum_notice
        last_day = now.date() + timedelta(days=config.horizon_days)
        day = max(after.date(), earliest.date())
        if on_day is not None:
            if on_day < day or on_day > last_day:
                return
            day = last_day = on_day
        while day <= last_day:
            taken = self._taken_units(day)
            day_slots = [
                slot for practitioner in config.practitioners.values()
                for slot in self._day_slots(practitioner.id, kind, day)
                if slot.start > after and slot.start >= earliest
                and not taken & set(self._units(slot))
            ]
            yield from sorted(day_slots, key=lambda s: s.start)
            day += timedelta(days=1)

    def _day_slots(self, practitioner_id: str, kind: AppointmentType,
                   day: date) -> Iterator[Slot]:
        config = self.config
        step, length = timedelta(minutes=config.slot_minutes), timedelta(minutes=kind.minutes)
        practitioner = config.practitioners[practitioner_id]
        for window_start, window_end in config.working_windows(practitioner, day):
            start = datetime.combine(day, window_start, tzinfo=config.timezone)
            close = datetime.combine(day, window_end, tzinfo=config.timezone)
            while start + length <= close:
                yield self._slot(practitioner_id, kind, start)
                start += step

    def _slot(self, practitioner_id: str, kind: AppointmentType, start: datetime) -> Slot:
        return Slot(
            slot_id=slot_id_for(practitioner_id, kind.key, start),
            start=start, end=start + timedelta(minutes=kind.minutes),
            practitioner_id=practitioner_id,
            practitioner_name=self.config.practitioners[practitioner_id].name,
            appointment_type=kind.key,
        )

    def _units(self, slot: Slot) -> List[Tuple[str, datetime]]:
        step = timedelta(minutes=self.config.slot_minutes)
        count = int((slot.end - slot.start) / step)
        return [(slot.practitioner_id, utc_naive(slot.start + i * step)) for i in range(count)]

    def _taken_units(self, day: date) -> Set[Tuple[str, datetime]]:
        tz = self.config.timezone
        start = utc_naive(datetime.combine(day, datetime.min.time(), tzinfo=tz))
        query = sa.select(booked_units.c.practitioner_id, booked_units.c.unit_start_utc).where(
            booked_units.c.unit_start_utc >= start,
            booked_units.c.unit_start_utc < start + timedelta(days=1))
        with self.db.connect() as connection:
            return {(row[0], row[1]) for row in connection.execute(query)}

    def _appointment_type(self, key: str) -> AppointmentType:
        try:
            return self.config.appointment_types[key]
        except KeyError:
            raise BookingError(f"unknown appointment type {key!r}; known: "
                               f"{', '.join(self.config.appointment_types)}") from None

    def resolve(self, slot_id: str) -> Slot:
        """The slot a slot id names, if it is a bookable time in the calendar (it may be
        taken: only the database insert can tell that for certain)."""
        practitioner_id, type_key, naive_start = parse_slot_id(slot_id)
        config = self.config
        kind = config.appointment_types.get(type_key)
        practitioner = config.practitioners.get(practitioner_id)
        if kind is None or practitioner is None:
            raise SlotUnavailable(f"{slot_id}: unknown practitioner or appointment type")
        start = naive_start.replace(tzinfo=config.timezone)
        slot = self._slot(practitioner_id, kind, start)
        if slot not in self._day_slots(practitioner_id, kind, start.date()):
            raise SlotUnavailable(f"{slot_id}: not within {practitioner.name}'s working hours")
        if slot.start <= config.local(self.clock()):
            raise SlotUnavailable(f"{slot_id}: that time has passed")
        return slot

    # Bookings --------------------------------------------------------------------------

    def book(self, request: BookingRequest) -> Booking:
        check_request(request)
        try:
            existing = self._row_by_key(request.idempotency_key)
            if existing is not None:
                return self._booking(existing)
            slot = self.resolve(request.slot_id)
            units = sorted(self._units(slot))  # one order everywhere: no deadlocks
            for _ in range(ATTEMPTS):
                reference = new_reference("BK")
                try:
                    with self.db.begin() as connection:
                        connection.execute(bookings.insert().values(
                            booking_values(request, reference, "confirmed", self.name, slot)))
                        connection.execute(booked_units.insert(), [
                            {"practitioner_id": p, "unit_start_utc": u, "reference": reference}
                            for p, u in units])
                    return self.find(reference, request.phone_e164)
                except sa.exc.IntegrityError:
                    existing = self._row_by_key(request.idempotency_key)
                    if existing is not None:
                        return self._booking(existing)
                    if self._any_taken(units):
                        raise SlotUnavailable(f"{slot.slot_id} was taken meanwhile") from None
                    # Otherwise the random reference collided: try another.
            raise BookingError("could not allocate a booking reference")
        except sa.exc.OperationalError as error:
            raise BackendUnavailable(f"practice database: {error}") from error

    def find(self, reference: str, phone_e164: str) -> Booking:
        return self._booking(self._row(reference, phone_e164))

    def cancel(self, reference: str, phone_e164: str) -> Booking:
        row = self._row(reference, phone_e164)
        if row.status == "cancelled":
            return self._booking(row)
        now = now_utc_naive()
        try:
            with self.db.begin() as connection:
                connection.execute(bookings.update().where(
                    bookings.c.reference == row.reference, bookings.c.status == "confirmed",
                ).values(status="cancelled", cancelled_at=now, updated_at=now))
                connection.execute(booked_units.delete().where(
                    booked_units.c.reference == row.reference))
        except sa.exc.OperationalError as error:
            raise BackendUnavailable(f"practice database: {error}") from error
        return self.find(row.reference, phone_e164)

    def move(self, reference: str, phone_e164: str, new_slot_id: str,
             idempotency_key: str) -> Booking:
        if not (idempotency_key or "").strip():
            raise BookingError("an idempotency key is required")
        try:
            for _ in range(ATTEMPTS):
                row = self._row(reference, phone_e164)
                if self._move_done(idempotency_key, row.reference):
                    return self._booking(row)
                if row.status != "confirmed":
                    raise BookingNotFound(f"{row.reference} is cancelled; book a new time")
                new = self.resolve(new_slot_id)
                try:
                    self._apply_move(row, new, idempotency_key)
                    return self.find(row.reference, phone_e164)
                except _ChangedMeanwhile:
                    continue
                except sa.exc.IntegrityError:
                    if self._move_done(idempotency_key, row.reference):
                        return self.find(row.reference, phone_e164)
                    raise SlotUnavailable(f"{new.slot_id} was taken meanwhile") from None
            raise BookingError(f"{reference} kept changing while it was being moved")
        except sa.exc.OperationalError as error:
            raise BackendUnavailable(f"practice database: {error}") from error

    def _apply_move(self, row, new: Slot, idempotency_key: str) -> None:
        """In one transaction: hold the new units, then free the old ones (units both
        times share are kept), then point the booking at the new time."""
        old = self._booking(row).slot
        old_units, new_units = set(self._units(old)), set(self._units(new))
        now = now_utc_naive()
        with self.db.begin() as connection:
            connection.execute(booking_moves.insert().values(
                idempotency_key=idempotency_key, reference=row.reference,
                from_start_utc=row.start_utc, to_start_utc=utc_naive(new.start),
                to_practitioner_id=new.practitioner_id, created_at=now))
            to_hold = sorted(new_units - old_units)
            if to_hold:
                connection.execute(booked_units.insert(), [
                    {"practitioner_id": p, "unit_start_utc": u, "reference": row.reference}
                    for p, u in to_hold])
            for practitioner_id, unit_start in sorted(old_units - new_units):
                connection.execute(booked_units.delete().where(
                    booked_units.c.practitioner_id == practitioner_id,
                    booked_units.c.unit_start_utc == unit_start,
                    booked_units.c.reference == row.reference))
            changed = connection.execute(bookings.update().where(
                bookings.c.reference == row.reference,
                bookings.c.status == "confirmed",
                bookings.c.start_utc == row.start_utc,
                bookings.c.practitioner_id == row.practitioner_id,
            ).values(
                start_utc=utc_naive(new.start), end_utc=utc_naive(new.end),
                practitioner_id=new.practitioner_id,
                practitioner_name=new.practitioner_name,
                appointment_type=new.appointment_type, updated_at=now))
            if changed.rowcount != 1:
                raise _ChangedMeanwhile()  # leaving the block rolls everything back

    # Reading ---------------------------------------------------------------------------

    def _move_done(self, idempotency_key: str, reference: str) -> bool:
        query = sa.select(booking_moves.c.reference).where(
            booking_moves.c.idempotency_key == idempotency_key)
        with self.db.connect() as connection:
            done_for = connection.execute(query).scalar()
        if done_for is not None and done_for != reference:
            raise BookingError("that idempotency key was used to move another booking")
        return done_for is not None

    def _any_taken(self, units: List[Tuple[str, datetime]]) -> bool:
        query = sa.select(sa.func.count()).select_from(booked_units).where(sa.or_(*(
            sa.and_(booked_units.c.practitioner_id == p, booked_units.c.unit_start_utc == u)
            for p, u in units)))
        with self.db.connect() as connection:
            return bool(connection.execute(query).scalar())

    def _booking(self, row) -> Booking:
        start = row.start_utc.replace(tzinfo=UTC).astimezone(self.config.timezone)
        return booking_from_row(
            row, self.config, slot_id_for(row.practitioner_id, row.appointment_type, start))

