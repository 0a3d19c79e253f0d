"""Booking backends: the embedded practice calendar (default) or Cliniko.

The conversation uses only what is exported here; `booking_backend()` picks the backend
from the environment variable BOOKING_BACKEND ("calendar" or "cliniko").
"""

import os

from actions.booking.base import (
    BackendUnavailable, Booking, BookingBackend, BookingError, BookingNotFound,
    BookingRequest, Slot, SlotUnavailable,
)
from actions.booking.cliniko import ClinikoBackend, ClinikoConfigError
from actions.booking.practice_calendar import CalendarBackend

__all__ = [
    "BackendUnavailable", "Booking", "BookingBackend", "BookingError", "BookingNotFound",
    "BookingRequest", "CalendarBackend", "ClinikoBackend", "ClinikoConfigError", "Slot",
    "SlotUnavailable", "booking_backend",
]


def booking_backend() -> BookingBackend:
    """Chosen by env BOOKING_BACKEND: "calendar" (default, SQLite) or "cliniko"."""
    choice = (os.environ.get("BOOKING_BACKEND") or "calendar").strip().lower()
    if choice == "calendar":
        return CalendarBackend()
    if choice == "cliniko":
        return ClinikoBackend.from_env()
    raise ValueError(f"BOOKING_BACKEND must be 'calendar' or 'cliniko', not {choice!r}")
