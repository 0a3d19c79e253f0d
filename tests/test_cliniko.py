"""The Cliniko backend against a local fake Cliniko server (tests/fake_cliniko.py) that
follows the documented API: what the physio finds in Cliniko, and what the patient gets
when Cliniko is down, slow or double-booked."""

import secrets
import time as clock_time
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from actions.booking import (
    BackendUnavailable, BookingNotFound, BookingRequest, ClinikoBackend, SlotUnavailable,
    booking_backend,
)
from actions.booking.config import calendar_config
from actions.booking.store import bookings
from tests.fake_cliniko import FakeCliniko
from tests.test_booking_backend import run_together

TZ = ZoneInfo("Africa/Johannesburg")
MONDAY = date(2026, 12, 14)
NOW = datetime.combine(MONDAY, time(6), tzinfo=TZ)
IDS = dict(business_id="1001", practitioner_ids={"hein": "2001", "physio2": "2002"},
           appointment_type_ids={"initial": "3001", "follow_up": "3002"})
PHONE = "+27821234567"


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


@pytest.fixture
def fake():
    server = FakeCliniko(api_key=secrets.token_hex(12), clock=lambda: NOW)
    server.base_url = server.start()
    yield server
    server.stop()


@pytest.fixture
def db(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'practice.db'}", future=True)
    yield engine
    engine.dispose()


def backend_for(fake, db, timeout_s=5.0, api_key=None) -> ClinikoBackend:
    return ClinikoBackend(base_url=fake.base_url, api_key=api_key or fake.api_key,
                          contact_email="reception@example.co.za", config=calendar_config(),
                          db=db, clock=lambda: NOW, timeout_s=timeout_s, **IDS)


@pytest.fixture
def cliniko(fake, db):
    return backend_for(fake, db)


def request_for(slot_id, key=None, name="Thandi Mokoena", phone=PHONE, **changes):
    values = dict(slot_id=slot_id, patient_name=name, phone_e164=phone,
                  email="thandi@example.co.za", consent=True,
                  triage_summary="Lower back pain for 2 weeks after starting CrossFit; "
                                 "no red flags.",
                  triage_details={"severity": 6, "red_flags": [],
                                  "prescreen": {"blood_thinners": "no", "fear_of_needles": "yes"}},
                  idempotency_key=key or uuid.uuid4().hex, conversation_id="conv-9",
                  channel="whatsapp")
    values.update(changes)
    return BookingRequest(**values)


def local_rows(db):
    with db.connect() as connection:
        return connection.execute(bookings.select()).fetchall()


# Slots ---------------------------------------------------------------------------------------

def test_free_slots_come_from_cliniko_available_times(cliniko, fake):
    slots = cliniko.free_slots("initial", after=NOW)
    assert [s.start for s in slots] == [at(MONDAY, t) for t in ("08:00", "08:15", "09:00")]
    assert [s.practitioner_name for s in slots] == ["Hein Viljoen", "Anna Botha", "Hein Viljoen"]
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)
    assert ("GET", "/v1/businesses/1001/practitioners/2001/appointment_types/3001"
                   "/available_times") in fake.requests
    later = cliniko.free_slots("initial", after=slots[-1].start)
    assert min(s.start for s in later) > slots[-1].start


def test_a_different_day_and_a_closed_day(cliniko):
    thursday = cliniko.free_slots("follow_up", after=NOW, on_day=date(2026, 12, 17))
    assert thursday and all(s.start.date() == date(2026, 12, 17) for s in thursday)
    assert cliniko.free_slots("follow_up", after=NOW, on_day=date(2026, 12, 19)) == []


# Booking ------------------------------------------------------------------------------------

def test_booking_creates_the_patient_and_the_appointment_with_the_triage_notes(cliniko, fake, db):
    booking = cliniko.book(request_for("hein:initial:202612141000"))
    assert booking.status == "confirmed" and booking.slot.start == at(MONDAY, "10:00")
    [patient] = fake.patients.values()
    assert (patient["first_name"], patient["last_name"]) == ("Thandi", "Mokoena")
    assert patient["patient_phone_numbers"] == [{"phone_type": "Mobile", "number": PHONE}]
    assert patient["accepted_privacy_policy"] is True
    [appointment] = fake.live_appointments()
    assert appointment["starts_at"] == "2026-12-14T08:00:00Z"
    assert appointment["_practitioner_id"] == "2001"
    assert appointment["_appointment_type_id"] == "3001"
    assert booking.reference in appointment["notes"]
    assert "after starting CrossFit; no red flags" in appointment["notes"]
    assert "fear_of_needles: yes" in appointment["notes"]
    [row] = local_rows(db)
    assert (row.status, row.external_id, row.backend) == ("confirmed", appointment["id"], "cliniko")


def test_a_returning_patient_is_found_not_created_again(cliniko, fake):
    cliniko.book(request_for("hein:initial:202612141000"))
    fake.patients[next(iter(fake.patients))]["patient_phone_numbers"] = [
        {"phone_type": "Mobile", "number": "082 123 4567"}]  # as reception might type it
    cliniko.book(request_for("hein:follow_up:202612151000"))
    assert len(fake.patients) == 1 and len(fake.live_appointments()) == 2


def test_a_double_clicked_confirmation_makes_one_appointment(cliniko, fake, db):
    request = request_for("hein:initial:202612141000", key="conv-9:confirm")
    results = run_together(5, lambda i: cliniko.book(request))
    assert len({r.reference for r in results}) == 1, results
    assert cliniko.book(request).reference == results[0].reference
    assert len(fake.live_appointments()) == 1 and len(local_rows(db)) == 1


def test_two_patients_racing_for_one_slot_one_wins(cliniko, fake):
    results = run_together(6, lambda i: cliniko.book(request_for(
        "hein:initial:202612141000", name=f"Patient {chr(65 + i)}", phone=f"+2782123450{i}")))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, SlotUnavailable) for r in results if r not in winners)
    assert len(fake.live_appointments()) == 1


def test_a_clash_cliniko_allows_is_undone_and_reported(cliniko, fake, db):
    """Real Cliniko lets staff double-book; if reception books the same time while the
    patient confirms, the assistant's appointment is removed, not left clashing."""
    fake.refuse_double_booking = False
    fake.before_create = lambda f: (setattr(f, "before_create", None),
                                    f.add_appointment("2001", "3002", at(MONDAY, "10:00")))
    with pytest.raises(SlotUnavailable):
        cliniko.book(request_for("hein:initial:202612141000"))
    assert [a["_patient_id"] for a in fake.live_appointments()] == ["staff"]
    assert [r.status for r in local_rows(db)] == ["failed"]


def test_a_slot_taken_since_it_was_offered_is_unavailable(cliniko, fake):
    offered = cliniko.free_slots("initial", after=NOW)[0]
    fake.add_appointment("2001", "3001", offered.start)
    with pytest.raises(SlotUnavailable):
        cliniko.book(request_for(offered.slot_id))


# When Cliniko is down or slow ---------------------------------------------------------------

def test_cliniko_stopped_mid_conversation(cliniko, fake, db):
    offered = cliniko.free_slots("initial", after=NOW)
    fake.stop()
    with pytest.raises(BackendUnavailable):
        cliniko.book(request_for(offered[0].slot_id, key="conv-9:confirm"))
    [row] = local_rows(db)  # reception can see the attempt, with what the physio needs
    assert row.status == "failed" and "CrossFit" in row.triage_summary
    with pytest.raises(BackendUnavailable):
        cliniko.free_slots("initial", after=NOW)


def test_cliniko_too_slow_is_unavailable(fake, db):
    cliniko = backend_for(fake, db, timeout_s=0.3)
    fake.delay_seconds = 30
    with pytest.raises(BackendUnavailable, match="did not answer"):
        cliniko.free_slots("initial", after=NOW)
    with pytest.raises(BackendUnavailable):
        cliniko.book(request_for("hein:initial:202612141000"))


def test_a_create_that_timed_out_but_happened_is_adopted_on_retry(fake, db):
    cliniko = backend_for(fake, db, timeout_s=0.3)
    fake.delay_seconds, fake.delay_only_on = 1.0, "POST /v1/individual_appointments"
    request = request_for("hein:initial:202612141000", key="conv-9:confirm")
    with pytest.raises(BackendUnavailable):
        cliniko.book(request)
    for _ in range(50):  # the fake finishes the slow request on its own
        if fake.live_appointments():
            break
        clock_time.sleep(0.1)
    fake.delay_seconds = 0
    booking = cliniko.book(request)
    assert booking.status == "confirmed"
    assert [a["id"] for a in fake.live_appointments()] == [local_rows(db)[0].external_id]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_unavailable(cliniko, fake, status):
    fake.fail_status = status
    with pytest.raises(BackendUnavailable):
        cliniko.free_slots("initial", after=NOW)


def test_a_wrong_api_key_is_unavailable_not_a_crash(fake, db):
    with pytest.raises(BackendUnavailable, match="401"):
        backend_for(fake, db, api_key="not-the-key").free_slots("initial", after=NOW)


# Cancel, move, find -------------------------------------------------------------------------

def test_cancel_by_reference_needs_the_phone_and_cancels_in_cliniko(cliniko, fake):
    booking = cliniko.book(request_for("hein:initial:202612141000"))
    with pytest.raises(BookingNotFound):
        cliniko.cancel(booking.reference, "+27829999999")
    assert cliniko.cancel(booking.reference, PHONE).status == "cancelled"
    [appointment] = fake.appointments.values()
    assert appointment["cancelled_at"] and appointment["cancellation_reason"] == 50
    assert cliniko.cancel(booking.reference, PHONE).status == "cancelled"


def test_find_shows_what_reception_changed_in_cliniko(cliniko, fake):
    booking = cliniko.book(request_for("hein:initial:202612141000"))
    [appointment] = fake.live_appointments()
    appointment.update(starts_at="2026-12-14T09:00:00Z", ends_at="2026-12-14T09:45:00Z")
    assert cliniko.find(booking.reference, PHONE).slot.start == at(MONDAY, "11:00")
    appointment["cancelled_at"] = "2026-12-14T05:00:00Z"
    assert cliniko.find(booking.reference, PHONE).status == "cancelled"


def test_move_books_the_new_time_then_cancels_the_old(cliniko, fake):
    booking = cliniko.book(request_for("hein:initial:202612141000"))
    moved = cliniko.move(booking.reference, PHONE, "physio2:initial:202612151100", "move-1")
    assert moved.reference == booking.reference and moved.slot.practitioner_name == "Anna Botha"
    [new] = fake.live_appointments()
    assert new["starts_at"] == "2026-12-15T09:00:00Z" and "CrossFit" in new["notes"]
    again = cliniko.move(booking.reference, PHONE, "hein:initial:202612171100", "move-1")
    assert again.slot == moved.slot and len(fake.live_appointments()) == 1


def test_booking_backend_from_the_environment(monkeypatch, fake, tmp_path):
    monkeypatch.setenv("PRACTICE_DB_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("BOOKING_BACKEND", "cliniko")
    monkeypatch.setenv("CLINIKO_BASE_URL", fake.base_url)
    monkeypatch.setenv("CLINIKO_API_KEY", fake.api_key)
    monkeypatch.setenv("CLINIKO_CONTACT_EMAIL", "reception@example.co.za")
    monkeypatch.setenv("CLINIKO_BUSINESS_ID", "1001")
    monkeypatch.setenv("CLINIKO_PRACTITIONER_IDS", "hein=2001,physio2=2002")
    monkeypatch.setenv("CLINIKO_APPOINTMENT_TYPE_IDS", "initial=3001,follow_up=3002")
    backend = booking_backend()
    assert isinstance(backend, ClinikoBackend)
    assert backend.free_slots("follow_up", after=NOW)
