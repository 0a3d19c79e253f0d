"""The practice calendar's settings, read from the `calendar:` section of practice.yml."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from actions.practice import practice_details

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Window = Tuple[time, time]


class CalendarConfigError(ValueError):
    """practice.yml's calendar section is missing something or contradicts itself."""


@dataclass(frozen=True)
class AppointmentType:
    key: str
    minutes: int
    name: str


@dataclass(frozen=True)
class Practitioner:
    id: str
    name: str
    days: Tuple[int, ...]                       # weekday numbers, Monday = 0
    hours: Dict[int, Window] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarConfig:
    timezone: ZoneInfo
    slot_minutes: int
    minimum_notice: timedelta
    horizon_days: int
    opening_hours: Dict[int, Window]
    breaks: Tuple[Window, ...]
    appointment_types: Dict[str, AppointmentType]
    practitioners: Dict[str, Practitioner]
    public_holidays: Dict[date, str]
    cliniko: Dict[str, Any]

    def working_windows(self, practitioner: Practitioner, day: date) -> List[Window]:
        """When the practitioner sees patients on `day`: opening hours, narrowed by their
        own hours, minus the breaks; nothing on public holidays or days they don't work."""
        weekday = day.weekday()
        if day in self.public_holidays or weekday not in practitioner.days:
            return []
        opening = self.opening_hours.get(weekday)
        if opening is None:
            return []
        own = practitioner.hours.get(weekday, opening)
        start, end = max(opening[0], own[0]), min(opening[1], own[1])
        windows = [(start, end)] if start < end else []
        for break_start, break_end in self.breaks:
            windows = [piece for window_start, window_end in windows
                       for piece in ((window_start, min(window_end, break_start)),
                                     (max(window_start, break_end), window_end))
                       if piece[0] < piece[1]]
        return windows

    def local(self, moment: datetime) -> datetime:
        """The practice's local time; a naive datetime is taken to be local already."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.timezone)
        return moment.astimezone(self.timezone)


def _clock(text: str) -> time:
    return datetime.strptime(text.strip(), "%H:%M").time()


def _window(text: str) -> Window:
    match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", str(text))
    if not match:
        raise CalendarConfigError(f"expected hours like '08:00-17:00', got {text!r}")
    start, end = _clock(match.group(1)), _clock(match.group(2))
    if start >= end:
        raise CalendarConfigError(f"hours end before they start: {text!r}")
    return start, end


def _weekday(name: str) -> int:
    try:
        return WEEKDAYS.index(str(name).strip().lower()[:3])
    except ValueError:
        raise CalendarConfigError(f"not a weekday: {name!r}") from None


def _on_grid(moment: time, slot_minutes: int, what: str) -> None:
    if (moment.hour * 60 + moment.minute) % slot_minutes:
        raise CalendarConfigError(f"{what} {moment:%H:%M} is not on the {slot_minutes}-minute grid")


def parse_calendar(section: Dict[str, Any]) -> CalendarConfig:
    if not section:
        raise CalendarConfigError("practice.yml has no calendar section")
    slot_minutes = int(section.get("slot_minutes", 15))
    if slot_minutes <= 0 or 60 % slot_minutes:
        raise CalendarConfigError("slot_minutes must divide an hour (5, 10, 15, 20, 30 or 60)")

    opening = {_weekday(day): _window(hours)
               for day, hours in (section.get("opening_hours") or {}).items()}
    breaks = tuple(_window(text) for text in section.get("breaks") or [])

    types = {}
    for key, spec in (section.get("appointment_types") or {}).items():
        minutes = int(spec["minutes"])
        if minutes <= 0 or minutes % slot_minutes:
            raise CalendarConfigError(
                f"{key}: {minutes} minutes is not a multiple of {slot_minutes}")
        types[key] = AppointmentType(key, minutes, str(spec.get("name", key)))
    if not types:
        raise CalendarConfigError("no appointment_types")

    practitioners = {}
    for spec in section.get("practitioners") or []:
        practitioner_id = str(spec["id"])
        if not re.fullmatch(r"[a-z0-9_]{1,24}", practitioner_id):
            raise CalendarConfigError(
                f"practitioner id {practitioner_id!r}: use 1-24 lowercase letters, digits or _")
        practitioners[practitioner_id] = Practitioner(
            id=practitioner_id,
            name=str(spec["name"]),
            days=tuple(_weekday(day) for day in spec.get("days") or WEEKDAYS[:5]),
            hours={_weekday(day): _window(hours)
                   for day, hours in (spec.get("hours") or {}).items()},
        )
    if not practitioners:
        raise CalendarConfigError("no practitioners")

    for window in [*opening.values(), *breaks,
                   *(w for p in practitioners.values() for w in p.hours.values())]:
        for moment in window:
            _on_grid(moment, slot_minutes, "time")

    holidays = {}
    for day, name in (section.get("public_holidays") or {}).items():
        holidays[day if isinstance(day, date) else date.fromisoformat(str(day))] = str(name)

    return CalendarConfig(
        timezone=ZoneInfo(section.get("timezone", "Africa/Johannesburg")),
        slot_minutes=slot_minutes,
        minimum_notice=timedelta(minutes=int(section.get("minimum_notice_minutes", 60))),
        horizon_days=int(section.get("booking_horizon_days", 90)),
        opening_hours=opening,
        breaks=breaks,
        appointment_types=types,
        practitioners=practitioners,
        public_holidays=holidays,
        cliniko=dict(section.get("cliniko") or {}),
    )


def calendar_config(details: Optional[Dict[str, Any]] = None) -> CalendarConfig:
    """The calendar from practice.yml (or from `details`, the parsed file, in tests)."""
    details = practice_details() if details is None else details
    return parse_calendar(details.get("calendar") or {})


def when_reception_calls(now: datetime, config: CalendarConfig) -> str:
    """When a call can be expected, in words ("today before 17:00", "on Monday 7 December
    from 08:00"): the practice's next open hours, public holidays excepted."""
    for days_ahead in range(15):
        day = now.date() + timedelta(days=days_ahead)
        window = config.opening_hours.get(day.weekday())
        if window is None or day in config.public_holidays:
            continue
        opens, closes = window
        if days_ahead == 0:
            if now.time() < opens:
                return f"today from {opens:%H:%M}"
            if now.time() < closes:
                return f"today before {closes:%H:%M}"
            continue
        named = "tomorrow" if days_ahead == 1 else f"on {day:%A} {day.day} {day:%B}"
        return f"{named} from {opens:%H:%M}"
    return "during working hours"
