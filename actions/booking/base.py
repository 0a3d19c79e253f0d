"""The booking interface the conversation codes against, and helpers both backends share."""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, List, Optional, Tuple


@dataclass(frozen=True)
class Slot:
    slot_id: str            # opaque, stable, short (< 60 chars): used as a button payload
    start: datetime         # timezone-aware, Africa/Johannesburg
    end: datetime
    practitioner_id: str
    practitioner_name: str
    appointment_type: str   # "initial" (45 min assessment) | "follow_up" (30 min)


@dataclass(frozen=True)
class BookingRequest:
    slot_id: str
    patient_name: str
    phone_e164: str
    email: Optional[str]
    consent: bool           # POPIA consent to store details; book() refuses False
    triage_summary: str     # human-readable summary for the physio
    triage_details: dict    # JSON-serialisable slots + red-flag answers + pre-screen
    idempotency_key: str    # same key => same booking returned, never a second one
    conversation_id: str
    channel: str


@dataclass(frozen=True)
class Booking:
    reference: str          # e.g. "BK-7K3Q9X", what the patient quotes
    status: str             # "confirmed" | "cancelled"
    slot: Slot
    patient_name: str
    phone_e164: str


class BookingError(Exception):
    """Anything that stops a booking; the subclasses say what the patient should hear."""


class SlotUnavailable(BookingError):
    """The slot was taken since it was offered, or was never bookable."""


class BookingNotFound(BookingError):
    """Unknown reference, or the phone number does not match it."""


class BackendUnavailable(BookingError):
    """The backend is down, too slow, or answered with a server error."""


class BookingBackend(ABC):
    @abstractmethod
    def free_slots(self, appointment_type: str, *, after: datetime,
                   on_day: Optional[date] = None, limit: int = 3) -> List[Slot]:
        """The next free slots strictly after `after` (only on `on_day` when given)."""

    @abstractmethod
    def book(self, request: BookingRequest) -> Booking:
        """Books the slot; the same idempotency key returns the same booking."""

    @abstractmethod
    def find(self, reference: str, phone_e164: str) -> Booking:
        """The booking with this reference, if the phone number matches."""

    @abstractmethod
    def cancel(self, reference: str, phone_e164: str) -> Booking:
        """Cancels the booking (cancelling twice is harmless)."""

    @abstractmethod
    def move(self, reference: str, phone_e164: str, new_slot_id: str,
             idempotency_key: str) -> Booking:
        """Moves the booking to another slot; the old time is freed only once the new
        one is held. The same idempotency key never moves it twice."""


E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The column sizes in store.bookings: longer values are refused, never truncated.
FIELD_LENGTHS = {"patient_name": 120, "email": 254, "idempotency_key": 128,
                 "conversation_id": 255, "channel": 64}


def check_request(request: BookingRequest) -> None:
    """Refuses what must never be stored: no consent, or details that cannot be right."""
    if request.consent is not True:
        raise BookingError("the patient has not consented to us storing their details")
    if not E164.match(request.phone_e164 or ""):
        raise BookingError(f"phone number is not in E.164 form: {request.phone_e164!r}")
    if not (request.patient_name or "").strip():
        raise BookingError("the patient's name is missing")
    if not (request.idempotency_key or "").strip():
        raise BookingError("an idempotency key is required")
    for field, most in FIELD_LENGTHS.items():
        if len(getattr(request, field) or "") > most:
            raise BookingError(f"{field} is longer than {most} characters")


SLOT_ID = re.compile(r"^([a-z0-9_]{1,24}):([a-z_]{1,16}):(\d{12})$")


def slot_id_for(practitioner_id: str, appointment_type: str, local_start: datetime) -> str:
    """"hein:initial:202612011030": practitioner, type and local start, readable in logs."""
    return f"{practitioner_id}:{appointment_type}:{local_start:%Y%m%d%H%M}"


def parse_slot_id(slot_id: str) -> Tuple[str, str, datetime]:
    """(practitioner_id, appointment_type, naive local start); SlotUnavailable if malformed."""
    match = SLOT_ID.match(slot_id or "")
    if not match:
        raise SlotUnavailable(f"not a slot id: {slot_id!r}")
    try:
        start = datetime.strptime(match.group(3), "%Y%m%d%H%M")
    except ValueError:
        raise SlotUnavailable(f"not a slot id: {slot_id!r}") from None
    return match.group(1), match.group(2), start


def spread(candidates: Iterable[Slot], limit: int, gap_minutes: int = 60) -> List[Slot]:
    """Picks `limit` slots from chronologically ordered candidates, preferring choices
    that differ: not the same start time twice, and not the same practitioner within
    `gap_minutes`. Falls back to the earliest remaining ones when the day is full."""
    chosen: List[Slot] = []
    passed_over: List[Slot] = []
    for slot in candidates:
        if len(chosen) >= limit:
            break
        too_close = any(
            slot.start == other.start
            or (slot.practitioner_id == other.practitioner_id
                and abs((slot.start - other.start).total_seconds()) < gap_minutes * 60)
            for other in chosen)
        (passed_over if too_close else chosen).append(slot)
    for slot in passed_over:
        if len(chosen) >= limit:
            break
        chosen.append(slot)
    return sorted(chosen, key=lambda s: (s.start, s.practitioner_id))


def physio_notes(reference: str, summary: str, details: dict) -> str:
    """What the physio reads with the appointment: the summary, then every answer."""
    lines = [f"Booked through the chat assistant, reference {reference}.",
             "", (summary or "").strip()]
    if details:
        lines += ["", "Answers:"]
        lines += [f"- {key}: {_plain(value)}" for key, value in details.items()]
    return "\n".join(lines)


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "none"
    return "not answered" if value is None else str(value)
