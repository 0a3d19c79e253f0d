"""What a patient means when answering "which time suits you?", in plain functions.

The offered times are kept in the conversation as small dicts ({"id", "label", "start"}), so
"the first one", "Tuesday", "10am", "14h00", "later please" or "next Friday" can be matched
against what was actually shown.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Dict, List, NamedTuple, Optional

import dateparser
from word2number import w2n

from actions.parsing import normalise

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_PATTERN = re.compile(
    r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b|\b(" + "|".join(WEEKDAYS) + r")\b")
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2,
            "one": 0, "two": 1, "three": 2, "1": 0, "2": 1, "3": 2}
ORDINAL_PATTERN = re.compile(
    r"^(?:the\s+|option\s+|number\s+|no\.?\s*|#)?(first|second|third|1st|2nd|3rd|one|two|three|[123])"
    r"(?:\s+(?:one|option|time|slot))?(?:\s+(?:please|pls|thanks|works|is fine|is good))?$")
LAST_PATTERN = re.compile(r"\b(?:the\s+)?last\s+(?:one|option|time|slot)\b")
MORE_PATTERN = re.compile(
    r"\b(other|another|more|different|else|later|none of (?:these|those|them)|"
    r"next (?:times|ones|slots)|doesn'?t suit|don'?t suit|not suitable|can'?t make)\b")
DIFFERENT_DAY_PATTERN = re.compile(r"\b(?:different|another|other)\s+day\b")
PART_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "arvo": (12, 17),
               "evening": (16, 24), "after work": (16, 24), "lunch": (11, 14)}
TIME_PATTERN = re.compile(
    r"\b(?:at\s+)?(\d{1,2})(?:\s?[:h.]\s?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d/])")
CLOCK_TIME = re.compile(r"\b(?:at\s+)?\d{1,2}\s?[:h.]\s?\d{2}\b|\b\d{1,2}\s*(?:am|pm)\b|\bat\s+\d{1,2}\b")
HALF_PAST = re.compile(r"\bhalf\s+past\s+([a-z]+|\d{1,2})\b")


class Choice(NamedTuple):
    """kind: "slot" (value = id), "more", "day" (value = date), "time" (value = (hour,
    minute) on any day), "part" (value = (from, to) hours), "different_day" (ask which day)
    or "unclear". `at`: the time asked for on that day, when none offered matched it."""
    kind: str
    value: object = None
    part_of_day: Optional[tuple] = None
    at: Optional[tuple] = None


def slot_label(start: dt.datetime, practitioner_name: str, today: dt.date) -> str:
    """"Tue 1 Dec at 10:00 with Hein Viljoen" ("tomorrow" and "today" where true)."""
    day = start.date()
    if day == today:
        when = "Today"
    elif day == today + dt.timedelta(days=1):
        when = "Tomorrow"
    else:
        when = f"{start:%a} {day.day} {start:%b}"
    return f"{when} at {start:%H:%M} with {practitioner_name}"


def _time_of_day(text: str) -> Optional[tuple]:
    """(hour, minute) named in the text, 24-hour; afternoon hours assumed for 1 to 6."""
    half = HALF_PAST.search(text)
    if half:
        word = half.group(1)
        try:
            hour = int(word) if word.isdigit() else w2n.word_to_num(word)
        except ValueError:
            hour = None
        if hour is not None and 1 <= hour <= 12:
            return (hour + 12 if hour <= 6 else hour, 30)
    for match in TIME_PATTERN.finditer(text):
        hour, minute, meridiem = int(match.group(1)), match.group(2), match.group(3)
        explicit = minute is not None or meridiem is not None or "at" in match.group(0)
        if not explicit or hour > 23:
            continue
        if meridiem and meridiem.startswith("p") and hour < 12:
            hour += 12
        elif not meridiem and 1 <= hour <= 6:
            hour += 12  # nobody books physio at 3 in the morning
        return (hour, int(minute or 0))
    return None


def _part_of_day(text: str) -> Optional[tuple]:
    for words, hours in PART_OF_DAY.items():
        if words in text:
            return hours
    return None


def _day_named(text: str, today: dt.date) -> Optional[dt.date]:
    if re.search(r"\btoday\b", text):
        return today
    if re.search(r"\b(?:tomorrow|tmrw|tmr|tomoz)\b", text):
        return today + dt.timedelta(days=1)
    weekday = WEEKDAY_PATTERN.search(text)
    dated = re.search(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
                      r"nov|dec)|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+\d{1,2}\b",
                      text)
    if weekday and not dated:  # "Tuesday 22 December": the date says which Tuesday
        index = next(i for i, name in enumerate(WEEKDAYS)
                     if name.startswith(weekday.group(1) or weekday.group(2)))
        if re.search(r"\bnext\s+week\b", text):
            return today + dt.timedelta(days=7 - today.weekday() + index)
        ahead = (index - today.weekday()) % 7 or 7
        if re.search(r"\bnext\s+" + WEEKDAYS[index][:3], text) and ahead < 3:
            ahead += 7  # "next Friday" said on a Wednesday means the week after
        return today + dt.timedelta(days=ahead)
    day_of_month = re.fullmatch(r"(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?:\s+please)?",
                                text.strip())
    if day_of_month and 1 <= int(day_of_month.group(1)) <= 31:
        return _next_day_of_month(int(day_of_month.group(1)), today)
    text = CLOCK_TIME.sub(" ", text)  # "14h30" and "at 10" are times, not days
    text = re.sub(r"\b(?:am|pm)\b", " ", text)  # left over from "at 2 pm"
    if re.search(r"\b\d{1,2}(?:st|nd|rd|th)?\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
                 text) and not re.fullmatch(r"\s*\d{1,2}\s*", text):
        cleaned = re.sub(r"\b(?:on|the|please|pls|what about|how about|is|ok|okay)\b", " ", text)
        cleaned = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", cleaned)
        cleaned = re.sub(r"\b(?:at\s+)?\d{1,2}(?:[:h]\d{2})\s*(?:am|pm)?|\b\d{1,2}\s*(?:am|pm)\b",
                         " ", cleaned)
        settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE":
                    dt.datetime.combine(today, dt.time()), "PREFER_DAY_OF_MONTH": "first"}
        parsed = dateparser.parse(cleaned.strip(), languages=["en"], settings=settings)
        if parsed and today <= parsed.date() <= today + dt.timedelta(days=365):
            return parsed.date()
    return None


def _next_day_of_month(day: int, today: dt.date) -> Optional[dt.date]:
    """"the 3rd": this month's if still ahead, else the next month that has that day."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def interpret_choice(text: str, offered: List[Dict], today: dt.date) -> Choice:
    """Which offered time, or what else, the patient asked for."""
    raw = (text or "").strip()
    for entry in offered:
        if raw == entry["id"] or raw.lower() == entry["label"].lower():
            return Choice("slot", entry["id"])
    lowered = normalise(raw).lower().strip(" .!")
    ordinal = ORDINAL_PATTERN.match(lowered)
    if ordinal and ORDINALS[ordinal.group(1)] < len(offered):
        return Choice("slot", offered[ORDINALS[ordinal.group(1)]]["id"])
    if LAST_PATTERN.search(lowered) and offered:
        return Choice("slot", offered[-1]["id"])

    day = _day_named(lowered, today)
    time_of_day = _time_of_day(lowered)
    part = _part_of_day(lowered)
    starts = [(entry, dt.datetime.fromisoformat(entry["start"])) for entry in offered]
    matching = [entry for entry, start in starts
                if (day is None or start.date() == day)
                and (time_of_day is None or (start.hour, start.minute) == time_of_day)
                and (part is None or part[0] <= start.hour < part[1])]
    if (day or time_of_day or part) and len(matching) == 1 and not MORE_PATTERN.search(lowered):
        return Choice("slot", matching[0]["id"])
    if day is not None:
        return Choice("day", day, part, at=time_of_day)
    if DIFFERENT_DAY_PATTERN.search(lowered):
        return Choice("different_day")
    if time_of_day is not None:
        return Choice("time", time_of_day)
    if part is not None:
        return Choice("part", part)
    if MORE_PATTERN.search(lowered):
        return Choice("more")
    return Choice("unclear")


REFERENCE_PATTERN = re.compile(r"\b(?:BK|bk|Bk)\s*-?\s*([A-Za-z0-9]{6})\b")


def find_reference(text: str) -> Optional[str]:
    """"my ref is bk 7k3q9x" -> "BK-7K3Q9X"."""
    match = REFERENCE_PATTERN.search(text or "")
    return f"BK-{match.group(1).upper()}" if match else None


def manage_choice(text: str) -> Optional[str]:
    lowered = (text or "").lower()
    if re.search(r"\b(cancel+\w*|cancle\w*|can'?t (?:make|come)|won'?t (?:make|be able)|"
                 r"call (?:it )?off|remove)\b", lowered):
        return "cancel"
    if re.search(r"\b(move|moving|change|reschedul\w*|re-schedul\w*|postpone|another time|"
                 r"different (?:time|day)|later|earlier|shift)\b", lowered):
        return "move"
    return None
