"""Booking through the conversation, against the real model, action server and calendar.

Each test reads what a patient would see (replies and buttons), the conversation's slots,
and the rows reception and the physio would find in the practice database.
"""

import concurrent.futures
import datetime as dt
import json
import re

import uuid

import pytest
import sqlalchemy as sa

from actions import clock
from actions.booking import BookingRequest, CalendarBackend
from actions.booking.config import calendar_config
from actions.callbacks import engine
from tests.fake_cliniko import FakeCliniko

pytestmark = pytest.mark.conversation

ROUTINE_TRIAGE = [
    "my lower back has been sore", "it stays in my back", "it came on gradually",
    "about 3 weeks", "6", "sitting makes it worse", "about 8 hours",
    "I've been doing more gym", "no", "no", "no", "no", "no", "no", "no",
]
SLOT_PAYLOAD = re.compile(r'^/inform\{"booking_slot": "([^"]+)"\}$')


class Calendar:
    """The practice calendar the running assistant uses, for other patients' bookings."""

    def __init__(self, practice_db_url):
        self.backend = CalendarBackend(db=engine(practice_db_url))

    def book(self, slot_id, name, phone):
        return self.backend.book(BookingRequest(
            slot_id=slot_id, patient_name=name, phone_e164=phone, email=None, consent=True,
            triage_summary="(booked at reception)", triage_details={},
            idempotency_key=uuid.uuid4().hex, conversation_id="reception", channel="phone"))

    def book_next(self, name, phone):
        next_week = clock.now_utc() + dt.timedelta(days=7)
        return self.book(self.backend.free_slots("initial", after=next_week)[0].slot_id,
                         name, phone)


@pytest.fixture
def calendar(assistant):
    return Calendar(assistant.practice_db_url)


def complete_triage(assistant, sender):
    for text in ROUTINE_TRIAGE:
        assistant.texts(sender, text)
    assert "assessment" in assistant.texts(sender, "yes that's right")
    assert assistant.slots(sender)["booking_status"] == "offered"


def offered(messages):
    """(title, slot id) of the time buttons in the bot's reply."""
    buttons = [b for m in messages for b in m.get("buttons") or []]
    return [(b["title"], SLOT_PAYLOAD.match(b["payload"]).group(1))
            for b in buttons if SLOT_PAYLOAD.match(b["payload"])]


def button_titles(messages):
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def start_booking(assistant, sender):
    complete_triage(assistant, sender)
    messages = assistant.say(sender, "yes please")
    times = offered(messages)
    assert len(times) == 3, messages
    assert {"Other times", "A different day"} <= set(button_titles(messages))
    return times


def choose(assistant, sender, slot_id):
    return assistant.texts(sender, '/inform{"booking_slot": "%s"}' % slot_id)


def give_details(assistant, sender, prescreen=("/deny",)):
    assistant.texts(sender, "Thandi Mokoena")
    assistant.texts(sender, "082 123 4567")
    assistant.texts(sender, "skip")
    for answer in prescreen:
        assistant.texts(sender, answer)
    return assistant.texts(sender, "/affirm")  # consent


def rows(assistant, query, **params):
    engine = sa.create_engine(assistant.practice_db_url)
    with engine.connect() as connection:
        return connection.execute(sa.text(query), params).mappings().all()


def test_routine_triage_ends_in_a_confirmed_booking_with_the_summary(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    title, slot_id = times[1]
    assert "Lovely" in choose(assistant, sender, slot_id)
    assert "cell number" in assistant.texts(sender, "Thandi Mokoena")
    assert "email" in assistant.texts(sender, "082 123 4567")
    assert "doesn't look quite right" in assistant.texts(sender, "thandi@example")
    assert "dry needling" in assistant.texts(sender, "thandi.mokoena@example.com")
    assert "blood thinners" in assistant.texts(sender, "/affirm")
    assert "pregnant" in assistant.texts(sender, "no")
    assert "needles" in assistant.texts(sender, "/dont_know")
    assert "under 16" in assistant.texts(sender, "yes quite nervous actually")
    assert "POPIA" in assistant.texts(sender, "/deny")
    check = assistant.texts(sender, "/affirm")
    assert title in check and "Thandi Mokoena" in check and "+27821234567" in check

    confirmed = assistant.texts(sender, "/affirm")
    slots = assistant.slots(sender)
    assert slots["booking_status"] == "confirmed"
    reference = slots["booking_reference"]
    assert re.fullmatch(r"BK-[A-Z0-9]{6}", reference)
    assert reference in confirmed and "You're booked" in confirmed

    booking = rows(assistant, "select * from bookings where reference = :r", r=reference)[0]
    assert booking["status"] == "confirmed"
    assert booking["patient_name"] == "Thandi Mokoena"
    assert booking["phone_e164"] == "+27821234567"
    assert booking["email"] == "thandi.mokoena@example.com"
    assert booking["conversation_id"] == sender
    assert "lower back" in booking["triage_summary"]
    assert "Red flags: none reported" in booking["triage_summary"]
    assert "Nervous of needles: yes quite nervous actually" in booking["triage_summary"]
    details = json.loads(booking["triage_details"])
    assert details["pain_location"] == "lower_back"
    assert details["check_bladder_bowel"] is False
    assert details["prescreen_blood_thinners"] == "no"


def open_wednesday_in_two_weeks():
    """A Wednesday the practice is open: not a public holiday (16 December is one)."""
    holidays = calendar_config().public_holidays
    day = clock.today() + dt.timedelta(days=14)
    while day.weekday() != 2 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def test_other_times_and_a_different_day(assistant):
    sender = assistant.new_sender()
    first = start_booking(assistant, sender)
    later = offered(assistant.say(sender, "other times please"))
    assert len(later) == 3
    first_ids, later_ids = [i for _, i in first], [i for _, i in later]
    assert not set(first_ids) & set(later_ids)

    assert "Which day" in assistant.texts(sender, "a different day")
    in_two_weeks = open_wednesday_in_two_weeks()
    messages = assistant.say(sender, f"{in_two_weeks.day} {in_two_weeks:%B}")
    that_day = offered(messages)
    assert that_day and all(f"{in_two_weeks.day} {in_two_weeks:%b}" in title
                            for title, _ in that_day)
    assert "Lovely" in choose(assistant, sender, that_day[0][1])


def test_a_day_with_nothing_free_offers_the_nearest_free_times_after_it(assistant):
    sender = assistant.new_sender()
    start_booking(assistant, sender)
    assert "Which day" in assistant.texts(sender, "a different day")
    sunday = clock.today() + dt.timedelta(days=(6 - clock.today().weekday()) % 7 or 7)
    messages = assistant.say(sender, f"{sunday.day} {sunday:%B}")  # the practice is closed
    text = " ".join(m.get("text") or "" for m in messages)
    assert "nearest free times after it" in text
    times = offered(messages)
    assert times and all(f"{sunday.day} {sunday:%b}" not in title for title, _ in times)
    assert "Lovely" in choose(assistant, sender, times[0][1])


def test_a_bad_phone_number_is_asked_again(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    assistant.texts(sender, "Sipho")
    assert "doesn't look like a phone number" in assistant.texts(sender, "12345")
    assert assistant.slots(sender)["callback_phone"] is None
    assert "email" in assistant.texts(sender, "+27 82 555 0123")
    assert assistant.slots(sender)["callback_phone"] == "+27825550123"


def test_no_name_after_two_asks_books_without_it_for_reception_to_ask(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    assert "didn't catch a name" in assistant.texts(sender, "lol")
    reply = assistant.texts(sender, "hmm")
    assert "without a name for now" in reply and "cell number" in reply
    assert assistant.slots(sender)["callback_name"] == "(name not given)"


def test_typed_answers_to_the_name_and_the_needling_questions_keep_the_booking(assistant):
    """A surname that sounds like a place is still the name; "skip for now" at "Shall I ask
    them now?" skips the needling questions, not the booking."""
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    assert "cell number" in assistant.texts(sender, "Willem Pretorius")
    assert assistant.slots(sender)["callback_name"] == "Willem Pretorius"
    assistant.texts(sender, "082 123 4567")
    assert "dry needling" in assistant.texts(sender, "no thanks")
    assert "POPIA" in assistant.texts(sender, "skip for now")
    slots = assistant.slots(sender)
    assert slots["prescreen_wanted"] is False and assistant.tracker(sender)["active_loop"]
    assert "Willem Pretorius" in assistant.texts(sender, "/affirm")


def test_a_double_clicked_confirmation_books_once(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    give_details(assistant, sender)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: assistant.say(sender, "/affirm"), range(2)))
    booked = rows(assistant, "select reference from bookings where conversation_id = :c",
                  c=sender)
    assert len(booked) == 1
    assert assistant.slots(sender)["booking_reference"] == booked[0]["reference"]


def test_a_time_taken_meanwhile_is_offered_again(assistant, calendar):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    give_details(assistant, sender)
    calendar.book(times[0][1], "Someone Else", "+27831112222")  # another patient was quicker

    messages = assistant.say(sender, "/affirm")
    reply = "\n".join(m.get("text") or "" for m in messages)
    assert "someone has just taken that time" in reply
    new_times = offered(messages)
    assert new_times and times[0][1] not in [i for _, i in new_times]
    choose(assistant, sender, new_times[0][1])
    assert "You're booked" in assistant.texts(sender, "/affirm")
    assert assistant.slots(sender)["booking_status"] == "confirmed"


def test_a_time_taken_meanwhile_is_replaced_by_one_on_the_day_asked_for(assistant, calendar):
    sender = assistant.new_sender()
    start_booking(assistant, sender)
    assert "Which day" in assistant.texts(sender, "a different day")
    day = open_wednesday_in_two_weeks()
    that_day = offered(assistant.say(sender, f"{day.day} {day:%B}"))
    choose(assistant, sender, that_day[0][1])
    give_details(assistant, sender)
    calendar.book(that_day[0][1], "Someone Else", "+27831112222")

    messages = assistant.say(sender, "/affirm")
    assert "someone has just taken that time" in messages[0]["text"]
    again = offered(messages)
    assert again and that_day[0][1] not in [i for _, i in again]
    assert all(f"{day.day} {day:%b}" in title for title, _ in again), again


def test_saying_no_at_the_check_books_nothing(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    give_details(assistant, sender)
    assert "haven't booked anything" in assistant.texts(sender, "/deny")
    assert assistant.slots(sender)["booking_status"] == "declined"
    assert not rows(assistant, "select id from bookings where conversation_id = :c", c=sender)


def test_booking_before_the_questions_asks_them_first(assistant):
    sender = assistant.new_sender()
    reply = assistant.texts(sender, "hi, can I book an appointment?")
    assert "quick safety questions" in reply and "bladder" in reply  # safety first, only that
    assert assistant.tracker(sender)["active_loop"]["name"] == "triage_form"
    for _ in range(6):
        assistant.texts(sender, "no")
    messages = assistant.say(sender, "no")
    assert len(offered(messages)) == 3
    summary = assistant.slots(sender)["triage_summary"]
    assert "Not asked: where it hurts" in summary


def test_no_booking_after_urgent_advice_but_a_call_back(assistant):
    sender = assistant.new_sender()
    assistant.texts(sender, "I fell off a ladder yesterday and my back is very sore")
    assert assistant.slots(sender)["triage_level"] in ("urgent", "emergency")
    reply = assistant.texts(sender, "can I book an appointment")
    assert "doctor" in reply or "emergency" in reply
    assert assistant.tracker(sender)["active_loop"].get("name") is None
    assert not rows(assistant, "select id from bookings where conversation_id = :c", c=sender)


def test_cancel_by_reference(assistant, calendar):
    booking = calendar.book_next("Lerato Dlamini", "+27824445555")
    sender = assistant.new_sender()
    reply = assistant.texts(sender, f"I need to cancel my booking {booking.reference}")
    assert "cell number you booked with" in reply
    assert "couldn't find a booking" in assistant.texts(sender, "082 999 0000")
    assistant.texts(sender, booking.reference)
    assert "Cancel your appointment" in assistant.texts(sender, "082 444 5555")
    assert "is cancelled" in assistant.texts(sender, "yes")
    status = rows(assistant, "select status from bookings where reference = :r",
                  r=booking.reference)[0]["status"]
    assert status == "cancelled"


def test_move_by_reference(assistant, calendar):
    booking = calendar.book_next("Pieter van Wyk", "+27836667777")
    sender = assistant.new_sender()
    assert "reference" in assistant.texts(sender, "can I move my appointment?")
    assistant.texts(sender, booking.reference.lower().replace("-", " "))
    messages = assistant.say(sender, "0836667777")
    times = offered(messages)
    assert times, messages
    assert "Move your appointment" in choose(assistant, sender, times[-1][1])
    moved = assistant.texts(sender, "yes please")
    assert "now" in moved and booking.reference in moved
    row = rows(assistant, "select * from bookings where reference = :r", r=booking.reference)[0]
    assert row["status"] == "confirmed"
    moved_to = calendar.backend.find(booking.reference, "+27836667777").slot
    assert moved_to.slot_id == times[-1][1] != booking.slot.slot_id


@pytest.fixture
def cliniko(assistant):
    """A fake Cliniko, and the action server switched to it for one test."""
    fake = FakeCliniko(api_key="test-" + uuid.uuid4().hex)
    base_url = fake.start()
    with assistant.actions.running_with(
            BOOKING_BACKEND="cliniko", CLINIKO_BASE_URL=base_url, CLINIKO_API_KEY=fake.api_key,
            CLINIKO_CONTACT_EMAIL="reception@example.co.za", CLINIKO_BUSINESS_ID="1001",
            CLINIKO_PRACTITIONER_IDS="hein=2001,physio2=2002",
            CLINIKO_APPOINTMENT_TYPE_IDS="initial=3001,follow_up=3002",
            CLINIKO_TIMEOUT_SECONDS="2"):
        yield fake
    fake.stop()


def test_a_booking_reaches_cliniko_with_the_summary_in_its_notes(assistant, cliniko):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    give_details(assistant, sender)
    confirmed = assistant.texts(sender, "/affirm")
    assert "You're booked" in confirmed
    reference = assistant.slots(sender)["booking_reference"]

    [appointment] = cliniko.live_appointments()
    assert reference in appointment["notes"]
    assert "lower back" in appointment["notes"] and "Red flags: none reported" in appointment["notes"]
    [patient] = cliniko.patients.values()
    assert patient["first_name"] == "Thandi" and patient["last_name"] == "Mokoena"


def test_cliniko_stopping_mid_conversation_leaves_a_call_back_request(assistant, cliniko):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    title, slot_id = times[0]
    choose(assistant, sender, slot_id)
    give_details(assistant, sender)
    cliniko.stop()  # the practice's system goes down before the patient confirms

    reply = assistant.texts(sender, "/affirm")
    assert "booking system isn't answering" in reply and "Nothing is lost" in reply
    slots = assistant.slots(sender)
    assert slots["booking_status"] == "failed"
    request = rows(assistant, "select * from callback_requests where reference = :r",
                   r=slots["callback_reference"])[0]
    assert slots["callback_reference"] in reply
    assert request["phone"] == "+27821234567" and request["sender_id"] == sender
    assert request["reason"] == "booking: backend down"
    assert "lower back" in request["triage_summary"] and title in request["triage_summary"]


def test_cliniko_down_from_the_start_takes_a_preference_for_reception(assistant, cliniko):
    cliniko.stop()
    sender = assistant.new_sender()
    complete_triage(assistant, sender)
    assert "can't see our diary" in assistant.texts(sender, "yes please")
    assert "Who is the appointment for" in assistant.texts(sender, "weekday mornings")
    give_details(assistant, sender)
    reply = assistant.texts(sender, "/affirm")
    assert "reception" in reply and assistant.slots(sender)["booking_status"] == "failed"
    request = rows(assistant, "select * from callback_requests where sender_id = :s",
                   s=sender)[0]
    assert "weekday mornings" in request["triage_summary"]


def test_a_red_flag_while_booking_stops_the_booking(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    reply = assistant.texts(sender, "sorry, since this morning I can't control my bladder")
    assert "10177" in reply
    slots = assistant.slots(sender)
    assert slots["triage_level"] == "emergency"
    assert assistant.tracker(sender)["active_loop"].get("name") is None
    assert "emergency" in assistant.texts(sender, "/request_booking")
    assert not rows(assistant, "select id from bookings where conversation_id = :c", c=sender)


def test_a_question_while_booking_is_answered_and_the_booking_goes_on(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    reply = assistant.texts(sender, "does dry needling hurt?")
    assert "Who is the appointment for" in reply
    assert assistant.tracker(sender)["active_loop"]["name"] == "booking_form"
    assert "cell number" in assistant.texts(sender, "Thandi Mokoena")


def an_open_weekday_in_three_weeks():
    holidays = calendar_config().public_holidays
    day = clock.today() + dt.timedelta(days=21)
    while day.weekday() > 3 or day in holidays:  # Monday to Thursday, the practice is open
        day += dt.timedelta(days=1)
    return day


@pytest.mark.parametrize("email_message", [
    "thandi.m@example.co.za",
    "yes please, send it to thandi.m@example.co.za",
    "can you email me at thandi.m@example.co.za, I'd rather talk to a person later",
])
def test_an_email_address_is_the_answer_whatever_the_classifier_thinks(assistant, email_message):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    assistant.texts(sender, "Thandi Mokoena")
    assert "email" in assistant.texts(sender, "082 123 4567")
    reply = assistant.texts(sender, email_message)
    slots = assistant.slots(sender)
    assert slots["booking_email"] == "thandi.m@example.co.za", reply
    assert assistant.tracker(sender)["active_loop"]["name"] == "booking_form"
    assert slots["callback_status"] is None  # no call-back instead of the booking


def test_a_day_and_time_asked_for_is_offered_or_the_nearest_free_one(assistant):
    sender = assistant.new_sender()
    start_booking(assistant, sender)
    day = an_open_weekday_in_three_weeks()
    messages = assistant.say(sender, f"{day:%A} {day.day} {day:%B} at 2pm please")
    times = offered(messages)
    assert times and all(f"{day.day} {day:%b}" in title for title, _ in times), messages
    assert any(" at 14:00 " in title for title, _ in times), times
    assert "Lovely" in choose(assistant, sender, times[0][1])


def test_a_time_alone_is_offered_on_the_next_days_it_is_free(assistant, calendar):
    sender = assistant.new_sender()
    first = [title for title, _ in start_booking(assistant, sender)]
    free = calendar.backend.free_slots("initial", after=clock.now(), limit=2000)

    def free_days_at(hhmm):
        return {slot.start.date() for slot in free if f"{slot.start:%H:%M}" == hhmm}

    # A time not offered yet (one that is would simply be chosen), free on three days at
    # least (other tests book times on the same days: the practice clock is fixed).
    wanted = next(hhmm for hhmm in ("14:00", "15:30", "10:15", "11:45", "16:15", "12:15")
                  if not any(f" at {hhmm} " in title for title in first)
                  and len(free_days_at(hhmm)) >= 3)
    messages = assistant.say(sender, wanted)
    times = offered(messages)
    assert times and all(f" at {wanted} " in title for title, _ in times), messages


def test_am_i_booked_is_answered_from_the_booking(assistant):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    reply = assistant.texts(sender, "wait... am I booked?")
    assert "Not yet" in reply and "name" in reply
    assert assistant.slots(sender)["booking_reference"] is None


def test_a_relative_books_for_the_patient_as_the_contact(assistant):
    sender = assistant.new_sender()
    assistant.texts(sender, "Hi, I'm writing for my mum, she's 74")
    reply = assistant.texts(sender, "her lower back has been sore for 3 weeks, can I book her in?")
    assert "safety questions" in reply and "has she had" in reply
    for _ in range(6):
        assistant.texts(sender, "no")
    messages = assistant.say(sender, "no")
    reply = "\n".join(m.get("text", "") for m in messages)
    assert "pass on to the physio" in reply and "the writer's mum, aged 74" in reply
    times = offered(messages)
    assert len(times) == 3
    assert "her name and surname" in choose(assistant, sender, times[0][1])
    assert "as the contact person" in assistant.texts(sender, "Grace Dlamini")


@pytest.mark.parametrize("yes", ["yes book me in", "please book it"])
def test_yes_book_me_in_at_the_confirmation_books_the_chosen_time(assistant, yes):
    sender = assistant.new_sender()
    times = start_booking(assistant, sender)
    choose(assistant, sender, times[0][1])
    give_details(assistant, sender)
    confirmed = assistant.texts(sender, yes)
    assert "You're booked" in confirmed, confirmed
    booked = rows(assistant, "select status from bookings where conversation_id = :c", c=sender)
    assert [row["status"] for row in booked] == ["confirmed"]
    assert assistant.slots(sender)["booking_slot"] == times[0][1]


def test_a_reference_not_found_twice_goes_to_reception_not_round_again(assistant):
    sender = assistant.new_sender()
    assistant.texts(sender, "I need to cancel my booking")
    replies = [assistant.texts(sender, "it was 4471 I think") for _ in range(3)]
    assert "BK-7K3Q9X" in replies[0] and "phone them" in replies[1]
    assert sum("BK-7K3Q9X" in reply for reply in replies) <= 2
