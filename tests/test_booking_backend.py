"""The embedded practice calendar: slots, and bookings that are never lost or doubled.

Runs against real databases: a fresh SQLite file per test and, for the tests where the
database engine matters (concurrency, idempotency, moves), a fresh PostgreSQL database on
the local server too.
"""

import multiprocessing
import threading
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml
from dateutil.easter import easter
from hypothesis import given, settings
from hypothesis import strategies as st

from actions import clock
from actions.booking import (
    BookingError, BookingNotFound, BookingRequest, CalendarBackend, ClinikoConfigError,
    SlotUnavailable, booking_backend,
)
from actions.booking.config import calendar_config, parse_calendar, when_reception_calls
from actions.booking_choice import interpret_choice
from actions.booking.store import booked_units, booking_moves, bookings
from actions.practice import practice_details
from tests.databases import scratch_postgres

TZ = ZoneInfo("Africa/Johannesburg")

# Fixed hours so these tests do not change when reception edits practice.yml; the public
# holidays are the real list from practice.yml.
TEST_CALENDAR = yaml.safe_load("""
timezone: Africa/Johannesburg
slot_minutes: 15
minimum_notice_minutes: 60
booking_horizon_days: 60
opening_hours: {mon: "08:00-17:00", tue: "08:00-17:00", wed: "08:00-17:00",
                thu: "08:00-17:00", fri: "08:00-17:00", sat: "08:00-12:00"}
breaks: ["13:00-14:00"]
appointment_types:
  initial: {minutes: 45, name: Initial assessment}
  follow_up: {minutes: 30, name: Follow-up}
practitioners:
  - {id: hein, name: Hein Viljoen, days: [mon, tue, wed, thu, fri, sat]}
  - {id: anna, name: Anna Botha, days: [mon, tue, thu, fri], hours: {mon: "12:00-17:00"}}
""")
TEST_CALENDAR["public_holidays"] = practice_details()["calendar"]["public_holidays"]
CONFIG = parse_calendar(TEST_CALENDAR)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


MONDAY = date(2026, 12, 14)          # a normal week: Wed 16 Dec is Day of Reconciliation
EARLY_MONDAY = at(MONDAY, "06:00")


def request_for(slot_id: str, key: str = None, name: str = "Thandi Mokoena",
                phone: str = "+27821234567", **changes) -> BookingRequest:
    values = dict(slot_id=slot_id, patient_name=name, phone_e164=phone,
                  email="thandi@example.co.za", consent=True,
                  triage_summary="Lower back pain for 2 weeks, worse sitting; no red flags.",
                  triage_details={"pain_location": "lower_back", "severity": 5,
                                  "red_flags": [], "prescreen": {"blood_thinners": "no"}},
                  idempotency_key=key or uuid.uuid4().hex,
                  conversation_id="conv-1", channel="rest")
    values.update(changes)
    return BookingRequest(**values)


# Databases --------------------------------------------------------------------------------

def sqlite_engine(tmp_path) -> sa.engine.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'practice.db'}", future=True)


@pytest.fixture
def postgres_url():
    """A database of its own on the local PostgreSQL, dropped afterwards."""
    with scratch_postgres("booking_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        created = sqlite_engine(tmp_path)
    else:
        created = sa.create_engine(request.getfixturevalue("postgres_url"), future=True,
                                   pool_size=20, max_overflow=0)
    yield created
    created.dispose()


def calendar(engine, now=EARLY_MONDAY) -> CalendarBackend:
    return CalendarBackend(config=CONFIG, db=engine, clock=lambda: now)


@pytest.fixture
def cal(tmp_path):
    return calendar(sqlite_engine(tmp_path))


def rows(engine, table=bookings):
    with engine.connect() as connection:
        return connection.execute(table.select()).fetchall()


def run_together(count, work):
    """Runs work(i) in `count` threads released at the same moment; returns the results
    (or the exceptions raised) in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # collected for the assertions
            results[i] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# practice.yml -------------------------------------------------------------------------------

def statutory_holidays(year):
    fixed = [date(year, m, d) for m, d in [(1, 1), (3, 21), (4, 27), (5, 1), (6, 16), (8, 9),
                                            (9, 24), (12, 16), (12, 25), (12, 26)]]
    return fixed + [easter(year) - timedelta(days=2), easter(year) + timedelta(days=1)]


@pytest.mark.parametrize("year", [2026, 2027])
def test_practice_yml_lists_every_public_holiday_with_monday_for_sunday(year):
    holidays = calendar_config().public_holidays
    for day in statutory_holidays(year):
        assert day in holidays, f"{day} is a public holiday"
        if day.weekday() == 6:
            assert day + timedelta(days=1) in holidays, f"{day} is a Sunday: the Monday is off"
    listed = {d for d in holidays if d.year == year}
    observed = {d + timedelta(days=1) for d in statutory_holidays(year) if d.weekday() == 6}
    assert listed == set(statutory_holidays(year)) | observed


def test_practice_yml_calendar_has_both_appointment_types_and_the_owner():
    config = calendar_config()
    assert config.appointment_types["initial"].minutes == 45
    assert config.appointment_types["follow_up"].minutes == 30
    assert config.practitioners["hein"].name == "Hein Viljoen"
    assert str(config.timezone) == "Africa/Johannesburg"


# Slots ---------------------------------------------------------------------------------------

def test_first_offer_is_the_next_three_free_slots_spread_out(cal):
    slots = cal.free_slots("initial", after=EARLY_MONDAY)
    assert len(slots) == 3
    assert slots[0].start == at(MONDAY, "08:00") and slots[0].practitioner_name == "Hein Viljoen"
    assert all(s.start.utcoffset() == timedelta(hours=2) for s in slots)  # aware, SAST
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)
    assert len({s.start for s in slots}) == 3
    assert len({s.slot_id for s in slots}) == 3 and all(len(s.slot_id) < 60 for s in slots)


def test_other_times_pages_strictly_after_the_last_offered_slot(cal):
    first = cal.free_slots("follow_up", after=EARLY_MONDAY)
    second = cal.free_slots("follow_up", after=first[-1].start)
    assert second and min(s.start for s in second) > first[-1].start
    assert not {s.slot_id for s in first} & {s.slot_id for s in second}


def every_slot(cal, kind, day):
    return cal.free_slots(kind, after=at(day, "00:00"), on_day=day, limit=500)


def test_slots_respect_opening_hours_lunch_and_each_practitioners_days(cal):
    monday = every_slot(cal, "initial", MONDAY)
    assert monday
    for slot in monday:
        assert slot.start.date() == MONDAY
        assert at(MONDAY, "08:00") <= slot.start and slot.end <= at(MONDAY, "17:00")
        assert slot.end <= at(MONDAY, "13:00") or slot.start >= at(MONDAY, "14:00"), "lunch"
    # Anna starts at noon on Mondays (two assessment starts before lunch); no Wednesdays.
    anna = sorted(s.start for s in monday if s.practitioner_id == "anna")
    assert anna[:3] == [at(MONDAY, "12:00"), at(MONDAY, "12:15"), at(MONDAY, "14:00")]
    wednesday = every_slot(cal, "initial", date(2026, 12, 23))
    assert wednesday and {s.practitioner_id for s in wednesday} == {"hein"}


def test_a_45_minute_assessment_fits_before_lunch_and_closing_later_than_a_30_minute_one(cal):
    tuesday = MONDAY + timedelta(days=1)
    initial = {s.start for s in every_slot(cal, "initial", tuesday)}
    follow_up = {s.start for s in every_slot(cal, "follow_up", tuesday)}
    assert at(tuesday, "16:15") in initial and at(tuesday, "16:30") not in initial
    assert at(tuesday, "16:30") in follow_up and at(tuesday, "16:45") not in follow_up
    assert at(tuesday, "12:15") in initial and at(tuesday, "12:30") not in initial
    assert at(tuesday, "12:30") in follow_up and at(tuesday, "13:00") not in follow_up


@pytest.mark.parametrize("day", [
    date(2026, 12, 16),   # Day of Reconciliation
    date(2026, 12, 25),   # Christmas Day
    date(2027, 3, 26),    # Good Friday
    date(2027, 3, 29),    # Family Day (Easter Monday)
    date(2027, 3, 22),    # Human Rights Day falls on a Sunday: the Monday is off
    date(2026, 12, 20),   # a Sunday
])
def test_no_slots_on_public_holidays_or_sundays(tmp_path, day):
    cal = calendar(sqlite_engine(tmp_path), now=at(date(2026, 12, 1), "06:00"))
    assert every_slot(cal, "follow_up", day) == []


def test_saturday_mornings_only_and_the_day_after_a_holiday_follows_it(cal):
    saturday = every_slot(cal, "follow_up", date(2026, 12, 19))
    assert saturday and all(s.end <= at(date(2026, 12, 19), "12:00") for s in saturday)
    after_tuesday_close = cal.free_slots("initial", after=at(date(2026, 12, 15), "16:59"))
    assert after_tuesday_close[0].start == at(date(2026, 12, 17), "08:00")


def test_no_past_slots_and_an_hour_of_notice(tmp_path):
    now = at(MONDAY, "10:20")
    cal = calendar(sqlite_engine(tmp_path), now=now)
    slots = cal.free_slots("follow_up", after=at(MONDAY, "06:00"))
    assert slots[0].start == at(MONDAY, "11:30")
    assert cal.free_slots("follow_up", after=now, on_day=MONDAY - timedelta(days=1)) == []
    with pytest.raises(SlotUnavailable):
        cal.book(request_for("hein:follow_up:202612140900"))


def test_booked_time_is_not_offered_again_for_any_overlapping_start(cal):
    booked = cal.book(request_for("hein:initial:202612141000"))
    hein = [s for s in every_slot(cal, "follow_up", MONDAY) if s.practitioner_id == "hein"]
    assert all(s.end <= booked.slot.start or s.start >= booked.slot.end for s in hein)
    assert at(MONDAY, "09:30") in {s.start for s in hein}      # ends as it starts
    assert at(MONDAY, "10:45") in {s.start for s in hein}      # starts as it ends
    anna_monday = {s.start for s in every_slot(cal, "follow_up", MONDAY)
                   if s.practitioner_id == "anna"}
    assert at(MONDAY, "14:00") in anna_monday                  # other physio unaffected


def test_bad_slot_ids_are_unavailable_not_crashes(cal):
    for slot_id in ["", "nonsense", "hein:initial:202612141007", "hein:initial:202612140700",
                    "nobody:initial:202612141000", "hein:massage:202612141000",
                    "hein:initial:202612161000", "hein:initial:202613451000",
                    "anna:initial:202612141000"]:
        with pytest.raises(SlotUnavailable):
            cal.book(request_for(slot_id))
    assert rows(cal.db) == []


def test_unknown_appointment_type_is_a_clear_error(cal):
    with pytest.raises(BookingError, match="unknown appointment type"):
        cal.free_slots("massage", after=EARLY_MONDAY)


# Booking ------------------------------------------------------------------------------------

def test_a_booking_row_keeps_the_patient_consent_and_triage_summary(cal):
    booking = cal.book(request_for("hein:initial:202612141000"))
    assert booking.status == "confirmed" and booking.reference.startswith("BK-")
    assert booking.slot.start == at(MONDAY, "10:00") and booking.slot.end == at(MONDAY, "10:45")
    assert booking.slot.practitioner_name == "Hein Viljoen"
    [row] = rows(cal.db)
    assert row.reference == booking.reference and row.status == "confirmed"
    assert row.phone_e164 == "+27821234567" and row.email == "thandi@example.co.za"
    assert row.consent_at is not None and row.channel == "rest"
    assert "no red flags" in row.triage_summary
    assert '"prescreen": {"blood_thinners": "no"}' in row.triage_details
    assert len(rows(cal.db, booked_units)) == 3


def test_no_consent_or_a_bad_phone_number_stores_nothing(cal):
    with pytest.raises(BookingError, match="consent"):
        cal.book(request_for("hein:initial:202612141000", consent=False))
    with pytest.raises(BookingError, match="E.164"):
        cal.book(request_for("hein:initial:202612141000", phone="082 123 4567"))
    assert rows(cal.db) == [] and rows(cal.db, booked_units) == []


@pytest.mark.parametrize("field, value", [
    ("patient_name", "A" * 121), ("email", "a" * 250 + "@x.co"), ("idempotency_key", "k" * 129),
    ("channel", "c" * 65), ("patient_name", "   ")])
def test_oversized_or_empty_details_are_refused_clearly(db, field, value):
    cal = calendar(db)
    with pytest.raises(BookingError, match=field.replace("_", ".") if value.strip() else "name"):
        cal.book(request_for("hein:initial:202612141000", **{field: value}))
    assert rows(db) == []


def test_many_patients_at_once_for_one_slot_exactly_one_gets_it(db):
    cal = calendar(db)
    results = run_together(12, lambda i: cal.book(request_for(
        "hein:initial:202612141000", name=f"Patient {chr(65 + i)}", phone=f"+2782123450{i % 10}")))
    booked = [r for r in results if not isinstance(r, Exception)]
    assert len(booked) == 1, results
    assert all(isinstance(r, SlotUnavailable) for r in results if r not in booked)
    assert [r.reference for r in rows(db)] == [booked[0].reference]


def test_overlapping_45_and_30_minute_bookings_collide(db):
    cal = calendar(db)
    results = run_together(2, lambda i: cal.book(request_for(
        ["hein:initial:202612141000", "hein:follow_up:202612141030"][i],
        name=f"Patient {'AB'[i]}")))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert sum(isinstance(r, SlotUnavailable) for r in results) == 1
    # One after the other too (10:15-10:45 overlaps either winner); 11:00 is still free.
    with pytest.raises(SlotUnavailable):
        cal.book(request_for("hein:follow_up:202612141015"))
    assert cal.book(request_for("hein:follow_up:202612141100")).status == "confirmed"
    assert cal.book(request_for("anna:initial:202612141400")).status == "confirmed"


def _book_in_another_process(args):
    db_url, slot_id, i = args
    cal = CalendarBackend(config=CONFIG, db=sa.create_engine(db_url, future=True),
                          clock=lambda: EARLY_MONDAY)
    try:
        return cal.book(request_for(slot_id, name=f"Patient {chr(65 + i)}")).reference
    except SlotUnavailable:
        return "unavailable"


def test_separate_processes_on_one_sqlite_file_cannot_double_book(tmp_path):
    url = f"sqlite:///{tmp_path / 'practice.db'}"
    calendar(sa.create_engine(url, future=True))  # creates the tables
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_book_in_another_process,
                           [(url, "hein:initial:202612141000", i) for i in range(4)])
    assert sorted(results).count("unavailable") == 3, results
    assert len(rows(sa.create_engine(url, future=True))) == 1


def test_the_same_confirmation_twice_gives_one_booking(db):
    cal = calendar(db)
    request = request_for("hein:initial:202612141000", key="conv-1:confirm:1")
    first, again = cal.book(request), cal.book(request)
    assert first == again
    concurrent = run_together(8, lambda i: cal.book(request_for(
        "hein:follow_up:202612151000", key="conv-2:confirm:1")))
    assert len({b.reference for b in concurrent}) == 1, concurrent
    assert len(rows(db)) == 2


# Cancel and move ----------------------------------------------------------------------------

def test_cancel_needs_the_right_phone_and_frees_the_slot(cal):
    booking = cal.book(request_for("hein:initial:202612141000"))
    for reference, phone in [(booking.reference, "+27829999999"), ("BK-XXXXXX", "+27821234567")]:
        with pytest.raises(BookingNotFound):
            cal.cancel(reference, phone)
    assert cal.find(booking.reference.lower(), "+27821234567").status == "confirmed"
    cancelled = cal.cancel(booking.reference, "+27821234567")
    assert cancelled.status == "cancelled"
    assert cal.cancel(booking.reference, "+27821234567").status == "cancelled"
    assert rows(cal.db, booked_units) == []
    sipho = request_for("hein:initial:202612141000", name="Sipho Dlamini")
    assert cal.book(sipho).status == "confirmed"


def test_move_takes_the_new_time_and_frees_the_old_one(db):
    cal = calendar(db)
    booking = cal.book(request_for("hein:initial:202612141000"))
    moved = cal.move(booking.reference, "+27821234567", "anna:initial:202612151100", "move-1")
    assert moved.reference == booking.reference and moved.status == "confirmed"
    assert moved.slot.start == at(date(2026, 12, 15), "11:00")
    assert moved.slot.practitioner_name == "Anna Botha"
    sipho = request_for("hein:initial:202612141000", name="Sipho Dlamini")
    assert cal.book(sipho).status == "confirmed"
    # Retried with the same key (even pointing elsewhere): not moved a second time.
    again = cal.move(booking.reference, "+27821234567", "hein:initial:202612171100", "move-1")
    assert again.slot == moved.slot
    assert len(rows(db, booking_moves)) == 1


def test_move_onto_a_taken_time_changes_nothing(db):
    cal = calendar(db)
    mine = cal.book(request_for("hein:initial:202612141000"))
    cal.book(request_for("hein:initial:202612141400", name="Sipho Dlamini", phone="+27831234567"))
    with pytest.raises(SlotUnavailable):
        cal.move(mine.reference, "+27821234567", "hein:follow_up:202612141415", "move-2")
    assert cal.find(mine.reference, "+27821234567").slot == mine.slot
    assert len(rows(db, booked_units)) == 6 and rows(db, booking_moves) == []


def test_move_by_a_quarter_hour_overlapping_itself(db):
    cal = calendar(db)
    booking = cal.book(request_for("hein:initial:202612141000"))
    moved = cal.move(booking.reference, "+27821234567", "hein:initial:202612141015", "move-3")
    assert moved.slot.start == at(MONDAY, "10:15")
    with db.connect() as connection:
        units = sorted(r.unit_start_utc for r in connection.execute(booked_units.select()))
    assert [u.strftime("%H:%M") for u in units] == ["08:15", "08:30", "08:45"]  # UTC


def test_a_cancelled_booking_cannot_be_moved_and_wrong_phone_cannot_move(cal):
    booking = cal.book(request_for("hein:initial:202612141000"))
    with pytest.raises(BookingNotFound):
        cal.move(booking.reference, "+27820000000", "hein:initial:202612151000", "m")
    cal.cancel(booking.reference, "+27821234567")
    with pytest.raises(BookingNotFound):
        cal.move(booking.reference, "+27821234567", "hein:initial:202612151000", "m")


# Any sequence of operations ----------------------------------------------------------------

OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["book", "book", "cancel", "move"]), st.sampled_from(["hein", "anna"]),
    st.sampled_from(["initial", "follow_up"]), st.integers(0, 11)), min_size=1, max_size=14)


@settings(max_examples=25, deadline=None)
@given(operations=OPERATIONS)
def test_no_sequence_of_bookings_cancels_and_moves_double_books(tmp_path_factory, operations):
    engine = sqlite_engine(tmp_path_factory.mktemp("sequence"))
    cal = calendar(engine)
    tuesday = date(2026, 12, 15)
    made = []
    for number, (action, practitioner, kind, quarter) in enumerate(operations):
        start = at(tuesday, "10:00") + timedelta(minutes=15 * quarter)
        slot_id = f"{practitioner}:{kind}:{start:%Y%m%d%H%M}"
        try:
            if action == "book" or not made:
                made.append(cal.book(request_for(slot_id, phone=f"+2782555{number:04d}")))
            elif action == "cancel":
                booking = made[quarter % len(made)]
                cal.cancel(booking.reference, booking.phone_e164)
            else:
                booking = made[quarter % len(made)]
                cal.move(booking.reference, booking.phone_e164, slot_id, f"move-{number}")
        except (SlotUnavailable, BookingNotFound):
            pass  # a taken or impossible time, or moving a cancelled booking
        confirmed = [r for r in rows(engine) if r.status == "confirmed"]
        for a in confirmed:
            for b in confirmed:
                if a.reference < b.reference and a.practitioner_id == b.practitioner_id:
                    assert a.end_utc <= b.start_utc or b.end_utc <= a.start_utc, (a, b)
        units = rows(engine, booked_units)
        by_reference = {r.reference: r for r in confirmed}
        assert sum(int((r.end_utc - r.start_utc) / timedelta(minutes=15)) for r in confirmed) \
            == len(units)
        for unit in units:
            owner = by_reference[unit.reference]
            assert owner.start_utc <= unit.unit_start_utc < owner.end_utc
            assert owner.practitioner_id == unit.practitioner_id
    engine.dispose()


# Choosing the backend -----------------------------------------------------------------------

def test_booking_backend_is_chosen_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRACTICE_DB_URL", f"sqlite:///{tmp_path / 'practice.db'}")
    monkeypatch.delenv("BOOKING_BACKEND", raising=False)
    assert isinstance(booking_backend(), CalendarBackend)
    monkeypatch.setenv("BOOKING_BACKEND", "cliniko")
    for variable in ("CLINIKO_API_KEY", "CLINIKO_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ClinikoConfigError, match="CLINIKO_API_KEY"):
        booking_backend()
    monkeypatch.setenv("BOOKING_BACKEND", "paper diary")
    with pytest.raises(ValueError, match="calendar' or 'cliniko"):
        booking_backend()


# The practice clock ---------------------------------------------------------------------------

def test_two_weeks_on_a_wednesday_is_offered_whatever_todays_date(tmp_path, monkeypatch):
    """The booking conversation's "a different day" on every day of a year: the day a patient
    names two weeks on is read against the practice clock and offered on that day."""
    backend = CalendarBackend(config=CONFIG, db=sqlite_engine(tmp_path))  # the practice clock
    for offset in range(365):
        monkeypatch.setenv("PRACTICE_NOW", f"{date(2027, 1, 1) + timedelta(days=offset)}T08:30")
        today = clock.today()
        wanted = today + timedelta(days=14)
        while wanted.weekday() != 2 or wanted in CONFIG.public_holidays:
            wanted += timedelta(days=1)
        choice = interpret_choice(f"{wanted.day} {wanted:%B}", [], today)
        assert (choice.kind, choice.value) == ("day", wanted), today
        slots = backend.free_slots("initial", after=clock.now(), on_day=wanted)
        assert slots and {slot.start.date() for slot in slots} == {wanted}, today


def test_the_practice_clock_is_the_real_time_unless_set(monkeypatch):
    monkeypatch.delenv("PRACTICE_NOW", raising=False)
    assert abs((clock.now() - datetime.now(TZ)).total_seconds()) < 5
    monkeypatch.setenv("PRACTICE_NOW", "2027-06-16T09:15")
    assert clock.now() == at(date(2027, 6, 16), "09:15")
    monkeypatch.setenv("PRACTICE_NOW", "2027-06-16T07:15+00:00")
    assert clock.now() == at(date(2027, 6, 16), "09:15") and clock.now().tzinfo == TZ


@pytest.mark.parametrize("now, expected", [
    ("2027-03-01T07:15", "today from 08:00"),
    ("2027-03-01T16:59", "today before 17:00"),
    ("2027-03-05T18:30", "tomorrow from 08:00"),  # Friday evening: Saturday's hours
    ("2027-03-06T12:30", "on Monday 8 March from 08:00"),  # after Saturday's, a closed Sunday
    ("2027-12-15T17:30", "on Friday 17 December from 08:00"),  # Day of Reconciliation
])
def test_a_call_back_is_promised_for_the_practices_next_open_hours(now, expected):
    moment = datetime.fromisoformat(now).replace(tzinfo=calendar_config().timezone)
    assert when_reception_calls(moment, calendar_config()) == expected
