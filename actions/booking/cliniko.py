"""Booking through Cliniko's REST API (https://docs.api.cliniko.com).

Cliniko holds the diary; the practice database keeps a `bookings` row per booking (our
reference, the Cliniko ids, the triage summary) so that a retried confirmation returns the
same appointment, patients can quote our reference, and reception can see every attempt.

Every request has a timeout; a connection error, a timeout, a 5xx or a refused API key
becomes BackendUnavailable, so the conversation can store a call-back request instead.
"""

import json
import os
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import requests
import sqlalchemy as sa

from actions import clock as practice_clock
from actions.booking.base import (
    BackendUnavailable, Booking, BookingBackend, BookingError, BookingNotFound,
    BookingRequest, Slot, SlotUnavailable, check_request, parse_slot_id, physio_notes,
    slot_id_for, spread,
)
from actions.booking.config import CalendarConfig, calendar_config
from actions.booking.store import (
    booking_from_row, booking_moves, booking_values, bookings, ensure_tables,
    StoredBookings, now_utc_naive, utc_naive,
)
from actions.callbacks import engine, new_reference, normalise_phone
from actions.practice import practice_details

UTC = timezone.utc
CANCELLED_BY_PATIENT = 50  # Cliniko's cancellation reason code "Other"
WINDOW_DAYS = 7            # available_times allows at most 7 days per request
SEARCH_WEEKS = 4           # how far ahead free_slots looks before giving up
MAX_PAGES = 10


class ClinikoConfigError(ValueError):
    """A Cliniko setting is missing: the message names the environment variable."""


def _id_map(text: str) -> Dict[str, str]:
    """"hein=123,physio2=456" -> {"hein": "123", "physio2": "456"}."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {key.strip(): value.strip() for key, value in pairs}


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def split_name(full_name: str) -> Tuple[str, str]:
    """Cliniko wants a first and a last name; one-word names keep the word as first name."""
    words = full_name.split()
    if len(words) == 1:
        return words[0], "(surname not given)"
    return " ".join(words[:-1]), words[-1]


class ClinikoBackend(StoredBookings, BookingBackend):
    name = "cliniko"

    def __init__(self, base_url: str, api_key: str, business_id: str,
                 practitioner_ids: Dict[str, str], appointment_type_ids: Dict[str, str],
                 contact_email: str, config: Optional[CalendarConfig] = None,
                 db: Optional[sa.engine.Engine] = None,
                 clock: Optional[Callable[[], datetime]] = None,
                 timeout_s: float = 5.0) -> None:
        self.config = config or calendar_config()
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.business_id = business_id
        self.practitioner_ids = {k: v for k, v in practitioner_ids.items()
                                 if v and k in self.config.practitioners}
        self.appointment_type_ids = {k: v for k, v in appointment_type_ids.items()
                                     if v and k in self.config.appointment_types}
        if not self.practitioner_ids or not self.appointment_type_ids:
            raise ClinikoConfigError(
                "no Cliniko practitioner or appointment type ids: set CLINIKO_PRACTITIONER_IDS "
                "and CLINIKO_APPOINTMENT_TYPE_IDS, or calendar.cliniko in practice.yml")
        # Cliniko asks every client to name itself and give a contact email.
        self.user_agent = f"{practice_details()['name']} chat assistant ({contact_email})"
        self.db = db or engine()
        self.clock = clock or practice_clock.now_utc
        self.timeout_s = timeout_s
        ensure_tables(self.db)

    @classmethod
    def from_env(cls, config: Optional[CalendarConfig] = None,
                 db: Optional[sa.engine.Engine] = None) -> "ClinikoBackend":
        config = config or calendar_config()
        settings = config.cliniko

        def setting(variable: str, key: str) -> str:
            value = os.environ.get(variable) or str(settings.get(key) or "")
            if not value:
                raise ClinikoConfigError(f"BOOKING_BACKEND=cliniko needs {variable}")
            return value

        api_key = os.environ.get("CLINIKO_API_KEY")
        if not api_key:
            raise ClinikoConfigError("BOOKING_BACKEND=cliniko needs CLINIKO_API_KEY")
        practitioners = {k: str(v or "") for k, v in
                         (settings.get("practitioner_ids") or {}).items()}
        practitioners.update(_id_map(os.environ.get("CLINIKO_PRACTITIONER_IDS", "")))
        types = {k: str(v or "") for k, v in (settings.get("appointment_type_ids") or {}).items()}
        types.update(_id_map(os.environ.get("CLINIKO_APPOINTMENT_TYPE_IDS", "")))
        return cls(
            base_url=setting("CLINIKO_BASE_URL", "base_url"),
            api_key=api_key,
            business_id=setting("CLINIKO_BUSINESS_ID", "business_id"),
            practitioner_ids=practitioners,
            appointment_type_ids=types,
            contact_email=setting("CLINIKO_CONTACT_EMAIL", "contact_email"),
            config=config, db=db,
            timeout_s=float(os.environ.get("CLINIKO_TIMEOUT_SECONDS", "5")),
        )

    # HTTP ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, params: Any = None,
              body: Optional[Dict[str, Any]] = None) -> requests.Response:
        try:
            response = requests.request(
                method, self.base_url + path, params=params, json=body,
                auth=(self.api_key, ""), timeout=self.timeout_s,
                headers={"Accept": "application/json", "User-Agent": self.user_agent})
        except requests.Timeout:
            raise BackendUnavailable(
                f"Cliniko did not answer {method} {path} within {self.timeout_s:g} s") from None
        except requests.RequestException as error:
            raise BackendUnavailable(f"Cliniko is unreachable: {error}") from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise BackendUnavailable(
                f"Cliniko answered {method} {path} with {response.status_code}")
        return response

    def _json(self, method: str, path: str, expected: Tuple[int, ...] = (200,),
              **kwargs: Any) -> Dict[str, Any]:
        response = self._call(method, path, **kwargs)
        if response.status_code not in expected:
            raise BackendUnavailable(
                f"Cliniko answered {method} {path} with {response.status_code}: "
                f"{response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise BackendUnavailable(f"Cliniko's answer to {path} is not JSON") from None

    # Slots -----------------------------------------------------------------------------

    def _available_starts(self, practitioner_id: str, type_key: str,
                          first: date, last: date) -> List[datetime]:
        path = (f"/businesses/{self.business_id}/practitioners/"
                f"{self.practitioner_ids[practitioner_id]}/appointment_types/"
                f"{self.appointment_type_ids[type_key]}/available_times")
        starts: List[datetime] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._json("GET", path, params={
                "from": first.isoformat(), "to": last.isoformat(),
                "page": page, "per_page": 100})
            times = data.get("available_times") or []
            starts += [_parse_time(item["appointment_start"]) for item in times]
            if not times or len(starts) >= int(data.get("total_entries") or 0):
                break
        return starts

    def _slot(self, practitioner_id: str, type_key: str, start: datetime) -> Slot:
        local = start.astimezone(self.config.timezone)
        minutes = self.config.appointment_types[type_key].minutes
        return Slot(slot_id=slot_id_for(practitioner_id, type_key, local), start=local,
                    end=local + timedelta(minutes=minutes), practitioner_id=practitioner_id,
                    practitioner_name=self.config.practitioners[practitioner_id].name,
                    appointment_type=type_key)

    def free_slots(self, appointment_type: str, *, after: datetime,
                   on_day: Optional[date] = None, limit: int = 3) -> List[Slot]:
        if appointment_type not in self.appointment_type_ids:
            raise BookingError(f"unknown appointment type {appointment_type!r}")
        if limit <= 0:
            return []
        now = self.config.local(self.clock())
        after = self.config.local(after)
        earliest = now + self.config.minimum_notice
        candidates: List[Slot] = []
        for first, last in self._windows(max(after.date(), now.date()), on_day):
            for practitioner_id in self.practitioner_ids:
                candidates += [
                    slot for slot in (self._slot(practitioner_id, appointment_type, start)
                                      for start in self._available_starts(
                                          practitioner_id, appointment_type, first, last))
                    if slot.start > after and slot.start >= earliest]
            if len(candidates) >= limit:
                break
        candidates.sort(key=lambda s: (s.start, s.practitioner_id))
        return spread(candidates, limit)

    def _windows(self, first_day: date, on_day: Optional[date]) -> Iterator[Tuple[date, date]]:
        if on_day is not None:
            if on_day >= first_day:
                yield on_day, on_day
            return
        for week in range(SEARCH_WEEKS):
            start = first_day + timedelta(days=week * WINDOW_DAYS)
            yield start, start + timedelta(days=WINDOW_DAYS - 1)

    def requested_slot(self, slot_id: str) -> Slot:
        """The slot a slot id names (without asking Cliniko whether it is free)."""
        practitioner_id, type_key, naive_start = parse_slot_id(slot_id)
        if (practitioner_id not in self.practitioner_ids
                or type_key not in self.appointment_type_ids):
            raise SlotUnavailable(f"{slot_id}: unknown practitioner or appointment type")
        return self._slot(practitioner_id, type_key,
                          naive_start.replace(tzinfo=self.config.timezone))

    def resolve(self, slot_id: str) -> Slot:
        """The slot a slot id names, if Cliniko still lists it as available."""
        slot = self.requested_slot(slot_id)
        if slot.start <= self.config.local(self.clock()):
            raise SlotUnavailable(f"{slot_id}: that time has passed")
        available = self._available_starts(slot.practitioner_id, slot.appointment_type,
                                           slot.start.date(), slot.start.date())
        if slot.start not in available:
            raise SlotUnavailable(f"{slot_id}: Cliniko no longer lists that time")
        return slot

    # Patients and appointments ---------------------------------------------------------

    def _patient_id(self, name: str, phone_e164: str, email: Optional[str]) -> str:
        """The Cliniko patient with this name and phone number, created if there is none."""
        first_name, last_name = split_name(name)
        found = self._json("GET", "/patients", params={
            "q[]": [f"first_name:={first_name}", f"last_name:={last_name}"], "per_page": 100})
        for patient in found.get("patients") or []:
            for phone in patient.get("patient_phone_numbers") or []:
                number = str(phone.get("number") or "")
                digits = "".join(ch for ch in number if ch.isdigit())
                if phone_e164 in (normalise_phone(number), normalise_phone("+" + digits)):
                    return str(patient["id"])
        body = {"first_name": first_name, "last_name": last_name,
                "patient_phone_numbers": [{"phone_type": "Mobile", "number": phone_e164}],
                # The patient agreed to us storing their details (POPIA) before booking.
                "accepted_privacy_policy": True}
        if email:
            body["email"] = email
        return str(self._json("POST", "/patients", expected=(200, 201), body=body)["id"])

    def _earlier_attempt(self, slot: Slot, reference: str) -> Optional[Tuple[str, str]]:
        """(appointment id, patient id) of an appointment an earlier attempt made for this
        booking at this time although its answer never arrived (a timeout): adopted,
        not made twice. Our reference in the notes tells it apart."""
        found = self._json("GET", "/individual_appointments", params={"q[]": [
            f"practitioner_id:={self.practitioner_ids[slot.practitioner_id]}",
            f"starts_at:={_utc_text(slot.start)}"]})
        for appointment in found.get("individual_appointments") or []:
            if (not appointment.get("cancelled_at") and not appointment.get("deleted_at")
                    and reference in (appointment.get("notes") or "")):
                patient_link = appointment["patient"]["links"]["self"]
                return str(appointment["id"]), patient_link.rstrip("/").rsplit("/", 1)[-1]
        return None

    def _create_appointment(self, patient_id: str, slot: Slot, notes: str) -> str:
        response = self._call("POST", "/individual_appointments", body={
            "starts_at": _utc_text(slot.start),
            "business_id": self.business_id,
            "patient_id": patient_id,
            "practitioner_id": self.practitioner_ids[slot.practitioner_id],
            "appointment_type_id": self.appointment_type_ids[slot.appointment_type],
            "notes": notes,
        })
        if response.status_code in (409, 422):
            raise SlotUnavailable(f"Cliniko refused {slot.slot_id}: {response.text[:200]}")
        if response.status_code not in (200, 201):
            raise BackendUnavailable(
                f"Cliniko answered {response.status_code} creating an appointment")
        appointment_id = str(response.json()["id"])
        # Cliniko lets staff double-book; the assistant never does.
        conflicts = self._json("GET", f"/individual_appointments/{appointment_id}/conflicts")
        if (conflicts.get("conflicts") or {}).get("exist"):
            self._call("DELETE", f"/individual_appointments/{appointment_id}")
            raise SlotUnavailable(f"{slot.slot_id} clashes with another appointment")
        return appointment_id

    def _cancel_appointment(self, appointment_id: str, note: str) -> None:
        response = self._call("PATCH", f"/individual_appointments/{appointment_id}/cancel",
                              body={"cancellation_reason": CANCELLED_BY_PATIENT,
                                    "cancellation_note": note})
        if response.status_code not in (200, 204):
            raise BackendUnavailable(f"Cliniko answered {response.status_code} cancelling")

    # Bookings --------------------------------------------------------------------------

    def book(self, request: BookingRequest) -> Booking:
        check_request(request)
        requested = self.requested_slot(request.slot_id)
        try:
            claimed = self._claim(request, requested)
        except sa.exc.OperationalError as error:
            raise BackendUnavailable(f"practice database: {error}") from error
        if isinstance(claimed, Booking):
            return claimed
        reference = claimed
        try:
            earlier = self._earlier_attempt(requested, reference)
            if earlier:
                appointment_id, patient_id = earlier
            else:
                slot = self.resolve(request.slot_id)
                patient_id = self._patient_id(request.patient_name, request.phone_e164,
                                              request.email)
                appointment_id = self._create_appointment(
                    patient_id, slot,
                    physio_notes(reference, request.triage_summary, request.triage_details))
        except Exception as error:
            # Kept as "failed" for reception; a retry with the same key may claim it again.
            self._set_status(reference, "failed")
            if isinstance(error, BookingError):
                raise
            raise BackendUnavailable(f"unexpected answer from Cliniko: {error!r}") from error
        self._set_status(reference, "confirmed", external_id=appointment_id,
                         external_patient_id=patient_id)
        return self.find(reference, request.phone_e164)

    def _claim(self, request: BookingRequest, slot: Slot):
        """Our reference for this request, with a "pending" row that stops a concurrent
        duplicate; or the booking an earlier call with the same key already made."""
        deadline = time.monotonic() + 3 * self.timeout_s
        while True:
            row = self._row_by_key(request.idempotency_key)
            if row is None:
                reference = new_reference("BK")
                try:
                    with self.db.begin() as connection:
                        connection.execute(bookings.insert().values(booking_values(
                            request, reference, "pending", self.name, slot)))
                    return reference
                except sa.exc.IntegrityError:
                    continue  # a concurrent call with the same key won: look again
            if row.status in ("confirmed", "cancelled"):
                return self._booking(row)
            if row.status == "failed":
                with self.db.begin() as connection:
                    claimed = connection.execute(bookings.update().where(
                        bookings.c.reference == row.reference, bookings.c.status == "failed",
                    ).values(status="pending", **self._slot_columns(slot))).rowcount
                if claimed:
                    return row.reference
                continue
            if time.monotonic() > deadline:  # pending: another call is still working on it
                raise BackendUnavailable(f"booking {row.reference} is still being made")
            time.sleep(0.2)

    def _slot_columns(self, slot: Slot) -> Dict[str, Any]:
        return dict(practitioner_id=slot.practitioner_id,
                    practitioner_name=slot.practitioner_name,
                    appointment_type=slot.appointment_type,
                    start_utc=utc_naive(slot.start), end_utc=utc_naive(slot.end),
                    updated_at=now_utc_naive())

    def _set_status(self, reference: str, status: str, **values: Any) -> None:
        now = now_utc_naive()
        if status == "cancelled":
            values["cancelled_at"] = now
        with self.db.begin() as connection:
            connection.execute(bookings.update().where(bookings.c.reference == reference)
                               .values(status=status, updated_at=now, **values))

    def find(self, reference: str, phone_e164: str) -> Booking:
        """The booking as Cliniko has it now (reception may have moved or cancelled it)."""
        row = self._row(reference, phone_e164)
        appointment = self._json("GET", f"/individual_appointments/{row.external_id}",
                                 expected=(200, 404))
        gone = "id" not in appointment  # a 404: deleted in Cliniko
        if gone or appointment.get("cancelled_at") or appointment.get("deleted_at"):
            if row.status != "cancelled":
                self._set_status(row.reference, "cancelled")
        elif _parse_time(appointment["starts_at"]) != row.start_utc.replace(tzinfo=UTC):
            start = _parse_time(appointment["starts_at"])
            end = _parse_time(appointment.get("ends_at") or appointment["starts_at"])
            with self.db.begin() as connection:
                connection.execute(bookings.update().where(bookings.c.reference == row.reference)
                                   .values(start_utc=utc_naive(start), end_utc=utc_naive(end),
                                           updated_at=now_utc_naive()))
        return self._booking(self._row(reference, phone_e164))

    def cancel(self, reference: str, phone_e164: str) -> Booking:
        booking = self.find(reference, phone_e164)
        if booking.status == "cancelled":
            return booking
        row = self._row(reference, phone_e164)
        self._cancel_appointment(row.external_id,
                                 "Cancelled by the patient through the chat assistant")
        self._set_status(row.reference, "cancelled")
        return self._booking(self._row(reference, phone_e164))

    def move(self, reference: str, phone_e164: str, new_slot_id: str,
             idempotency_key: str) -> Booking:
        if not (idempotency_key or "").strip():
            raise BookingError("an idempotency key is required")
        row = self._row(reference, phone_e164)
        done_for = self._move_reference(idempotency_key)
        if done_for is not None:
            if done_for != row.reference:
                raise BookingError("that idempotency key was used to move another booking")
            return self._booking(row)
        booking = self.find(reference, phone_e164)
        if booking.status != "confirmed":
            raise BookingNotFound(f"{row.reference} is cancelled; book a new time")
        new = self.requested_slot(new_slot_id)
        try:  # claim the key first, so a concurrent retry cannot move it a second time
            with self.db.begin() as connection:
                connection.execute(booking_moves.insert().values(
                    idempotency_key=idempotency_key, reference=row.reference,
                    from_start_utc=row.start_utc, to_start_utc=utc_naive(new.start),
                    to_practitioner_id=new.practitioner_id, created_at=now_utc_naive()))
        except sa.exc.IntegrityError:
            raise BackendUnavailable("this move is already in progress") from None
        try:
            earlier = self._earlier_attempt(new, row.reference)
            if earlier:
                new_id = earlier[0]
            else:
                new = self.resolve(new_slot_id)
                new_id = self._create_appointment(
                    row.external_patient_id, new,
                    physio_notes(row.reference, row.triage_summary, self._details(row)))
            try:
                self._cancel_appointment(
                    row.external_id, f"Moved by the patient to {new.start:%d %b %H:%M}")
            except BookingError:
                self._call("DELETE", f"/individual_appointments/{new_id}")
                raise
        except BookingError:
            with self.db.begin() as connection:
                connection.execute(booking_moves.delete().where(
                    booking_moves.c.idempotency_key == idempotency_key))
            raise
        with self.db.begin() as connection:
            connection.execute(bookings.update().where(bookings.c.reference == row.reference)
                               .values(external_id=new_id, **self._slot_columns(new)))
        return self._booking(self._row(reference, phone_e164))

    # Reading ---------------------------------------------------------------------------

    @staticmethod
    def _details(row) -> Dict[str, Any]:
        return json.loads(row.triage_details or "{}")

    def _move_reference(self, idempotency_key: str) -> Optional[str]:
        query = sa.select(booking_moves.c.reference).where(
            booking_moves.c.idempotency_key == idempotency_key)
        with self.db.connect() as connection:
            return connection.execute(query).scalar()

    def _booking(self, row) -> Booking:
        start = row.start_utc.replace(tzinfo=UTC).astimezone(self.config.timezone)
        return booking_from_row(
            row, self.config, slot_id_for(row.practitioner_id, row.appointment_type, start))
