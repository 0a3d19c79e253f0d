"""The practice's clock: what the assistant means by "now" and "today".

Booking times, "two weeks from Wednesday" and "since Monday" are read against it.
PRACTICE_NOW (ISO 8601, e.g. `2026-12-07T09:00`, practice time unless it names an offset)
stops it at that moment, so tests, demos and replays behave the same on any date; unset,
it is the real time where the practice is. Record timestamps (events, call-backs, logins,
retention) stay on the real time: they say when something happened, not what day a patient
meant.
"""

import datetime as dt
import os
from functools import lru_cache
from zoneinfo import ZoneInfo

from actions.practice import practice_details

DEFAULT_TIMEZONE = "Africa/Johannesburg"


@lru_cache(maxsize=1)
def practice_timezone() -> ZoneInfo:
    return ZoneInfo((practice_details().get("calendar") or {}).get("timezone", DEFAULT_TIMEZONE))


def now() -> dt.datetime:
    """The practice's local time now (aware)."""
    fixed = os.environ.get("PRACTICE_NOW", "").strip()
    if not fixed:
        return dt.datetime.now(practice_timezone())
    moment = dt.datetime.fromisoformat(fixed)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=practice_timezone())
    return moment.astimezone(practice_timezone())


def today() -> dt.date:
    return now().date()


def now_utc() -> dt.datetime:
    return now().astimezone(dt.timezone.utc)
