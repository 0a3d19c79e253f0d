"""How "which time suits you?" answers are read against the times actually offered."""

import datetime as dt

import pytest

from actions.booking_choice import find_reference, interpret_choice, manage_choice, slot_label

TZ = dt.timezone(dt.timedelta(hours=2))
TODAY = dt.date(2026, 11, 25)  # a Wednesday


def offered_at(*starts):
    return [{"id": f"slot-{i}", "label": slot_label(start, "Hein Viljoen", TODAY),
             "start": start.isoformat()} for i, start in enumerate(starts)]


OFFERED = offered_at(
    dt.datetime(2026, 11, 26, 9, 0, tzinfo=TZ),    # Thursday (tomorrow) 09:00
    dt.datetime(2026, 11, 26, 14, 30, tzinfo=TZ),  # Thursday 14:30
    dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ),   # Friday 10:00
)


@pytest.mark.parametrize("text, slot", [
    ("slot-1", "slot-1"),
    ("the first one", "slot-0"),
    ("2", "slot-1"),
    ("second please", "slot-1"),
    ("option 3", "slot-2"),
    ("the last one", "slot-2"),
    ("Friday works", "slot-2"),
    ("fri", "slot-2"),
    ("friday at 10 please", "slot-2"),
    ("10am", "slot-2"),
    ("14h30", "slot-1"),
    ("half past two", "slot-1"),
    ("2:30pm thursday", "slot-1"),
    ("tomorrow morning", "slot-0"),
    ("thursday afternoon", "slot-1"),
    ("Tomorrow at 9:00 with Hein Viljoen", "slot-0"),
])
def test_a_clear_answer_picks_the_offered_time(text, slot):
    assert interpret_choice(text, OFFERED, TODAY)[:3] == ("slot", slot, None)


def test_a_day_with_two_offered_times_asks_for_that_day():
    choice = interpret_choice("thursday", OFFERED, TODAY)
    assert choice.kind == "day" and choice.value == dt.date(2026, 11, 26)


@pytest.mark.parametrize("text, day", [
    ("what about monday", dt.date(2026, 11, 30)),
    ("next tuesday", dt.date(2026, 12, 1)),
    ("on the 3rd", dt.date(2026, 12, 3)),
    ("3 December", dt.date(2026, 12, 3)),
    ("Monday next week", dt.date(2026, 11, 30)),
    ("mnoday morning", dt.date(2026, 11, 30)),      # slips in a day's name
    ("tuesady pls", dt.date(2026, 12, 1)),
])
def test_another_day_asks_for_that_days_times(text, day):
    choice = interpret_choice(text, OFFERED, TODAY)
    assert (choice.kind, choice.value) == ("day", day)


@pytest.mark.parametrize("text", [
    "other times please", "none of those suit me", "anything later?", "more options",
    "I can't make any of those"])
def test_asking_for_other_times(text):
    assert interpret_choice(text, OFFERED, TODAY).kind == "more"


def test_a_different_day_without_a_day_asks_which():
    assert interpret_choice("a different day", OFFERED, TODAY).kind == "different_day"


def test_a_part_of_the_day_filters():
    assert interpret_choice("do you have anything in the evening", OFFERED, TODAY)[:3] == \
        ("part", (16, 24), None)


def test_a_day_and_time_not_offered_asks_for_that_time_on_that_day():
    choice = interpret_choice("Thursday at 2pm please", OFFERED, TODAY)
    assert choice == ("day", dt.date(2026, 11, 26), None, (14, 0))


@pytest.mark.parametrize("text", ["14:00", "at 2pm", "2 pm please"])
def test_a_time_not_offered_asks_for_that_time_on_any_day(text):
    assert interpret_choice(text, OFFERED, TODAY) == ("time", (14, 0), None, None)


@pytest.mark.parametrize("text", ["hmm", "what is dry needling", "", "🙂", "<b>yes</b>"])
def test_anything_else_is_unclear(text):
    assert interpret_choice(text, OFFERED, TODAY).kind == "unclear"


def test_labels_say_today_and_tomorrow():
    start = dt.datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
    assert slot_label(start, "Hein", TODAY) == "Today at 15:00 with Hein"
    assert slot_label(start + dt.timedelta(days=6), "Hein", TODAY) == "Tue 1 Dec at 15:00 with Hein"


@pytest.mark.parametrize("text, reference", [
    ("my ref is BK-7K3Q9X", "BK-7K3Q9X"),
    ("bk 7k3q9x", "BK-7K3Q9X"),
    ("BK7K3Q9X please", "BK-7K3Q9X"),
    ("I don't have it", None),
    ("CB-7K3Q9X", None),
])
def test_booking_references_are_found_in_text(text, reference):
    assert find_reference(text) == reference


@pytest.mark.parametrize("text, choice", [
    ("cancel it", "cancel"), ("I can't make it anymore", "cancel"), ("cancle", "cancel"),
    ("move it", "move"), ("can we reschedule", "move"), ("change to another time", "move"),
    ("hmm", None),
])
def test_cancel_or_move(text, choice):
    assert manage_choice(text) == choice


def test_a_weekday_with_a_date_and_a_time_is_that_date():
    choice = interpret_choice("Tuesday 8 December at 2pm please", OFFERED, TODAY)
    assert choice == ("day", dt.date(2026, 12, 8), None, (14, 0))
