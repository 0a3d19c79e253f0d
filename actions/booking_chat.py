"""The booking conversation: offer free times, take the details, confirm, cancel or move.

The backend (the practice calendar in SQLite, or Cliniko) sits behind actions.booking; this
module is the Rasa glue. Nothing is lost: when the backend is down, the request is stored as
a call-back request with the triage summary, and reception phones the patient.
"""

import datetime as dt
import hashlib
import logging
import re
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from rasa_sdk import Action, ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import (BackendUnavailable, BookingError, BookingNotFound,
                             BookingRequest, SlotUnavailable, booking_backend)
from actions.booking_choice import (find_reference, interpret_choice, manage_choice,
                                    slot_label)
from actions.clock import now, today
from actions.callbacks import (clean_name, name_answer, normalise_phone, phone_answer,
                               plainly_a_name, save_callback)
from actions.parsing import asks_to_book, parse_yes_no
from actions.history import slots_set_since_user_message
from actions.misses import unclear_reply
from actions.triage import (CHECKLIST_SLOTS, RED_FLAG_INTENTS, TRIAGE_SLOTS, answering_a_message,
                             times_asked)
from redflags.levels import ESCALATED

logger = logging.getLogger(__name__)

SLOTS_PER_PAGE = 3
SLOTS_IN_A_DAY = 200  # more than any day holds: all of its free times
WANTED_TIME_DAYS = 14  # "14:00" alone: its nearest free times within two weeks
PRESCREEN_SLOTS = ["prescreen_blood_thinners", "prescreen_pregnancy",
                   "prescreen_needle_fear", "prescreen_under_16"]
PRESCREEN_LABELS = {
    "prescreen_blood_thinners": "Blood thinners or bleeding problems",
    "prescreen_pregnancy": "Pregnant or could be",
    "prescreen_needle_fear": "Nervous of needles",
    "prescreen_under_16": "Under 16",
}
INTENT_ANSWERS = {"affirm": "yes", "deny": "no", "dont_know": "not sure",
                  "refuse_answer": "prefer not to say"}
NO_EMAIL = "none"
NAME_NOT_GIVEN = "(name not given)"
NO_EMAIL_WORDS = re.compile(r"^\W*(?:no|nope|nah|skip|none|no email|no thanks|not now|"
                            r"no email thanks|don'?t have (?:one|email)|rather not)\b", re.I)
BOOKING_STATE_QUESTION = re.compile(
    r"\b(?:am i|are we|is (?:it|that|he|she)|have i been|was i|is my \w+) (?:\w+ )?"
    r"(?:booked|confirmed|sorted|done)\b|\bbooked (?:yet|now|already)\b", re.I)
EMAIL_IN_TEXT = re.compile(r"[^\s<>\"',;]+@[^\s<>\"',;]+")
# Not answers to "which time?": Rasa rejects the form and a digression rule answers.
DIGRESSIONS = {"faq", "ask_why", "ask_next_step", "ask_needling_for_me", "request_human",
               "start_over", "goodbye", "out_of_scope", "non_english", "deny", "refuse_answer"}
# A fresh booking forgets the previous one's choices, never the patient's name or number.
BOOKING_SLOTS = ["booking_slot", "booking_slot_label", "offered_booking_slots", "booking_search",
                 "booking_preference", "booking_email", "prescreen_wanted", *PRESCREEN_SLOTS,
                 "booking_consent", "booking_confirmed", "requested_slot"]
MANAGE_SLOTS = ["manage_reference", "manage_choice", "manage_booking_label",
                "manage_appointment_type", "manage_confirmed", "manage_status",
                "booking_slot", "booking_slot_label", "offered_booking_slots", "booking_search",
                "requested_slot"]


SKIP_FOR_NOW = re.compile(r"\b(?:skip|later|not now|another time|next time|rather not)\b", re.I)


def email_answer_in(text: Text) -> bool:
    """An address, or a plain "no email", is the answer whatever the classifier thought."""
    return bool(EMAIL_IN_TEXT.search(text) or NO_EMAIL_WORDS.match(text))


def _offered_entry(slot) -> Dict[Text, Text]:
    return {"id": slot.slot_id, "label": slot_label(slot.start, slot.practitioner_name, today()),
            "start": slot.start.isoformat()}


def clear(tracker: Tracker, names: List[Text]) -> List[EventType]:
    """Resets only what is set: a SlotSet(None) would make the form validate it."""
    return [SlotSet(name, None) for name in names if tracker.get_slot(name) is not None]


def search_for_choice(choice, offered: List[Dict]) -> Optional[Dict[Text, Any]]:
    """The next search ("other times", a day, a part of the day) a choice asks for."""
    if choice.kind == "more":
        last = max((entry["start"] for entry in offered), default=None)
        return {"after": last}
    if choice.kind == "day":
        return {"day": choice.value.isoformat(), "part": choice.part_of_day,
                "at": list(choice.at) if choice.at else None}
    if choice.kind == "time":
        return {"at": list(choice.value)}
    if choice.kind == "part":
        return {"part": list(choice.value)}
    if choice.kind == "different_day":
        return {"ask_day": True}
    return None


def search_start(search: Dict[Text, Any]) -> dt.datetime:
    """From when a search looks: its `after`, or the start of the day it names."""
    after = dt.datetime.fromisoformat(search["after"]) if search.get("after") else now()
    if search.get("day"):
        day = dt.date.fromisoformat(search["day"])
        after = max(after, dt.datetime.combine(day, dt.time(), tzinfo=after.tzinfo))
    return after


def find_slots(search: Dict[Text, Any], appointment_type: Text) -> List:
    """Free slots for a search; a part of the day filters a longer list."""
    backend = booking_backend()
    after = search_start(search)
    day = dt.date.fromisoformat(search["day"]) if search.get("day") else None
    part = search.get("part")
    wanted = search.get("at")
    if wanted:
        # Every free time of the day named, or of the next days: a spread-out page could
        # leave out the very time asked for.
        days = [day] if day else [after.date() + dt.timedelta(days=offset)
                                  for offset in range(WANTED_TIME_DAYS)]
        slots = [slot for each in days for slot in backend.free_slots(
            appointment_type, after=after, on_day=each, limit=SLOTS_IN_A_DAY)]
    else:
        limit = SLOTS_PER_PAGE * 8 if part else SLOTS_PER_PAGE  # a day's worth to filter
        slots = backend.free_slots(appointment_type, after=after, on_day=day, limit=limit)
    if part:
        slots = [s for s in slots if part[0] <= s.start.hour < part[1]]
    if wanted:
        # The time they asked for if it is free, else the nearest free times around it.
        minutes = wanted[0] * 60 + wanted[1]
        slots = sorted(slots, key=lambda s: (abs(s.start.hour * 60 + s.start.minute - minutes),
                                             s.start))[:SLOTS_PER_PAGE]
        return sorted(slots, key=lambda s: s.start)
    return slots[:SLOTS_PER_PAGE]


def slot_buttons(offered: List[Dict]) -> List[Dict[Text, Text]]:
    buttons = [{"title": entry["label"],
                "payload": '/inform{"booking_slot": "%s"}' % entry["id"]} for entry in offered]
    return buttons + [{"title": "Other times", "payload": "other times please"},
                      {"title": "A different day", "payload": "a different day"}]


def validate_slot_choice(value: Any, tracker: Tracker,
                         dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    """Shared by booking and moving: a chosen time, or the next search to show."""
    text = value if isinstance(value, str) else ""
    search = tracker.get_slot("booking_search") or {}
    if search.get("diary_down"):
        preference = text.strip()[:300]
        return {"booking_slot": "preference", "booking_preference": preference,
                "booking_slot_label": f"a time reception will arrange with you ({preference})"}
    offered = tracker.get_slot("offered_booking_slots") or []
    choice = interpret_choice(text, offered, today())
    if choice.kind == "slot":
        entry = next(e for e in offered if e["id"] == choice.value)
        return {"booking_slot": entry["id"], "booking_slot_label": entry["label"]}
    next_search = search_for_choice(choice, offered)
    if next_search is None:
        dispatcher.utter_message(response=unclear_reply(
            tracker, "utter_booking_unclear_choice", "utter_booking_unclear_choice_again"))
        return {"booking_slot": None}
    return {"booking_slot": None, "booking_search": next_search}


def triage_details(slots: Dict[Text, Any]) -> Dict[Text, Any]:
    """What the physio gets with the booking: the answers, the checklist and the pre-screen."""
    names = TRIAGE_SLOTS + CHECKLIST_SLOTS + PRESCREEN_SLOTS + [
        "triage_level", "red_flags", "red_flag_evidence", "skipped_questions",
        "booking_preference"]
    return {name: slots.get(name) for name in names if slots.get(name) is not None}


def summary_for_physio(slots: Dict[Text, Any]) -> Text:
    lines = [slots.get("triage_summary") or "• (triage not completed)"]
    flags = slots.get("red_flags") or []
    lines.append("Red flags: " + (", ".join(flags) if flags else "none reported"))
    screened = [f"• {PRESCREEN_LABELS[name]}: {slots[name]}" for name in PRESCREEN_SLOTS
                if slots.get(name)]
    if screened:
        lines.append("Needling pre-screen:\n" + "\n".join(screened))
    elif slots.get("prescreen_wanted") is False:
        lines.append("Needling pre-screen: skipped by the patient")
    return "\n".join(lines)


def idempotency_key(tracker: Tracker, slot_id: Text, phone: Text) -> Text:
    """Same conversation, time, number and attempt: a retried confirm gives the same key."""
    earlier = sum(1 for e in tracker.events if e.get("event") == "slot"
                  and e.get("name") == "booking_status" and e.get("value") == "confirmed")
    raw = f"{tracker.sender_id}|{slot_id}|{phone}|{earlier}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class ActionStartBooking(Action):
    """A booking starts after triage; before it, the questions come first."""

    def name(self) -> Text:
        return "action_start_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        level = tracker.get_slot("triage_level")
        if level in ESCALATED:
            dispatcher.utter_message(response="utter_how_to_book")
            return []
        if level is None:
            # Only the safety questions still open come first; the rest is for the physio.
            open_checks = [slot for slot in CHECKLIST_SLOTS if tracker.get_slot(slot) is None
                           and slot not in (tracker.get_slot("declined_safety_questions") or [])]
            if open_checks:
                dispatcher.utter_message(response="utter_booking_questions_first")
            return [SlotSet("booking_requested", True), FollowupAction("triage_form")]
        return clear(tracker, BOOKING_SLOTS) + [
            SlotSet("booking_status", "requested"), FollowupAction("booking_form")]


class ActionAskBookingSlot(Action):
    """Shows free times as buttons, or asks for a day, or for a preference if the diary is down."""

    def name(self) -> Text:
        return "action_ask_booking_slot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        search = tracker.get_slot("booking_search") or {}
        if search.get("diary_down"):
            dispatcher.utter_message(response="utter_booking_diary_down")
            return []
        if search.get("ask_day"):
            dispatcher.utter_message(response="utter_booking_which_day")
            return []
        appointment_type = tracker.get_slot("manage_appointment_type") \
            if tracker.active_loop_name == "manage_booking_form" else "initial"
        try:
            slots = find_slots(search, appointment_type or "initial")
        except BackendUnavailable:
            logger.warning("booking backend unavailable while listing free times")
            dispatcher.utter_message(response="utter_booking_diary_down")
            return [SlotSet("booking_search", {"diary_down": True}),
                    SlotSet("offered_booking_slots", [])]
        response = "utter_booking_slots_day" if search.get("day") else "utter_booking_slots"
        if not slots and search:
            # Nothing free on the day or at the time asked: the nearest free times after it,
            # rather than the same "try another day" however often they try.
            slots = find_slots({"after": search_start(search).isoformat()},
                               appointment_type or "initial")
            response = "utter_booking_nearest_slots"
        offered = [_offered_entry(slot) for slot in slots]
        if not offered:
            dispatcher.utter_message(response="utter_booking_no_slots",
                                     buttons=slot_buttons([])[1:])
        else:
            dispatcher.utter_message(response=response, buttons=slot_buttons(offered))
        return [SlotSet("offered_booking_slots", offered)]


class BookingFormRules:
    """Reads "which time?" answers itself; digressions and red flags go to the rules.

    Returning nothing for the requested slot makes Rasa reject the form, so a rule answers
    the question (or the red flag) and the form asks again afterwards.
    """

    digression_slots = {"callback_name", "callback_phone", "booking_email", "manage_reference",
                        "manage_choice"}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        events = self.answer_events(dispatcher, tracker, domain)
        if events is None:
            return await super().run(dispatcher, tracker, domain)
        if events:
            # Answered here, so say which question comes next (pre-screen may be skipped).
            tracker.add_slots(events)
            next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
            if next_slot:
                events.append(next_slot)
        return events

    def answer_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> Optional[List[EventType]]:
        """Events for this turn when the form must not run its usual validation, else None."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in RED_FLAG_INTENTS:
            raise ActionExecutionRejection(self.name(), "a red flag comes first")
        if not answering_a_message(tracker):
            return None
        requested = tracker.get_slot("requested_slot")
        if requested == "booking_slot":
            button = next(tracker.get_latest_entity_values("booking_slot"), None)
            text = button or tracker.latest_message.get("text") or ""
            offered = tracker.get_slot("offered_booking_slots") or []
            if intent in DIGRESSIONS and button is None and not (
                    tracker.get_slot("booking_search") or {}).get("diary_down") and \
                    interpret_choice(text, offered, today()).kind == "unclear":
                return []
            return [SlotSet(name, value) for name, value
                    in validate_slot_choice(text, tracker, dispatcher).items()]
        if requested in ("booking_consent", "booking_confirmed", "prescreen_wanted") and \
                requested not in slots_set_since_user_message(tracker):
            # "yes book me in" at "Shall I book it?" is a yes, not a new booking request;
            # "skip for now" at "Shall I ask them now?" skips the questions, not the booking.
            text = tracker.latest_message.get("text") or ""
            said = True if intent == "request_booking" else parse_yes_no(text)
            if said is None and requested == "prescreen_wanted" and SKIP_FOR_NOW.search(text):
                said = False
            if said is not None:
                return [SlotSet(requested, said)]
        if requested not in self.digression_slots \
                or requested in slots_set_since_user_message(tracker):
            return None
        # Not mapped (the classifier took it for a question, a "no", ...): a reference or a
        # number in it is still the answer; anything else goes to the rules.
        text = tracker.latest_message.get("text") or ""
        reads = {"manage_reference": find_reference, "callback_phone": normalise_phone,
                 "booking_email": email_answer_in, "callback_name": plainly_a_name}
        if requested in reads and reads[requested](text):
            validate = getattr(self, f"validate_{requested}")
            return [SlotSet(name, value) for name, value
                    in validate(text, dispatcher, tracker, domain).items()]
        return [] if intent in DIGRESSIONS else None


class ValidateBookingForm(BookingFormRules, FormValidationAction):
    def name(self) -> Text:
        return "validate_booking_form"

    def answer_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> Optional[List[EventType]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent not in RED_FLAG_INTENTS and answering_a_message(tracker) and \
                BOOKING_STATE_QUESTION.search(tracker.latest_message.get("text") or ""):
            # "wait... am I booked?": answered from the booking, then the same question again.
            dispatcher.utter_message(response="utter_booking_not_yet_confirmed")
            # Not the answer to the question asked (a name typed as text, say).
            requested = tracker.get_slot("requested_slot")
            return [SlotSet("booking_status", tracker.get_slot("booking_status"))] + [
                SlotSet(name, None) for name in slots_set_since_user_message(tracker)
                if name == requested]
        return super().answer_events(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("triage_level") in ESCALATED:
            return []
        required = list(domain_slots)
        if not tracker.get_slot("prescreen_wanted"):
            required = [s for s in required if s not in PRESCREEN_SLOTS]
        if tracker.get_slot("booking_consent") is False:
            required.remove("booking_confirmed")  # nothing may be stored: stop here
        return required

    def validate_callback_name(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if times_asked(tracker, "callback_name", "booking_form",
                       since="action_start_booking") < 2:
            return {"callback_name": name_answer(value, dispatcher)}
        name = clean_name(value if isinstance(value, str) else "")
        if name is None:
            # Asked twice already: the booking goes on, and reception asks the name.
            dispatcher.utter_message(response="utter_name_left_out")
            name = NAME_NOT_GIVEN
        return {"callback_name": name}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"callback_phone": phone_answer(value, dispatcher)}

    def validate_booking_email(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = value if isinstance(value, str) else ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        found = EMAIL_IN_TEXT.search(text)
        if found is None and (intent in ("deny", "refuse_answer") or NO_EMAIL_WORDS.match(text)):
            return {"booking_email": NO_EMAIL}
        try:
            checked = validate_email(found.group(0) if found else text.strip(),
                                     check_deliverability=False)
        except EmailNotValidError:
            if times_asked(tracker, "booking_email", "booking_form",
                           since="action_start_booking") >= 2:
                # Asked twice already: the booking goes on without it.
                dispatcher.utter_message(response="utter_email_left_out")
                return {"booking_email": NO_EMAIL}
            dispatcher.utter_message(response="utter_invalid_email")
            return {"booking_email": None}
        return {"booking_email": checked.normalized}

    def _prescreen(self, slot: Text, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """"yes", "no", "not sure", or the patient's own words when they said more."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = (value if isinstance(value, str) else "").strip()[:200]
        answer = INTENT_ANSWERS.get(intent)
        if answer is None:
            return {slot: text or None}
        if text.startswith("/") or len(text.split()) <= 2:
            return {slot: answer}
        return {slot: text}

    def validate_prescreen_blood_thinners(self, value, dispatcher, tracker, domain):
        return self._prescreen("prescreen_blood_thinners", value, tracker)

    def validate_prescreen_pregnancy(self, value, dispatcher, tracker, domain):
        return self._prescreen("prescreen_pregnancy", value, tracker)

    def validate_prescreen_needle_fear(self, value, dispatcher, tracker, domain):
        return self._prescreen("prescreen_needle_fear", value, tracker)

    def validate_prescreen_under_16(self, value, dispatcher, tracker, domain):
        answer = self._prescreen("prescreen_under_16", value, tracker)
        if answer["prescreen_under_16"] == "yes":
            dispatcher.utter_message(response="utter_under_16_guardian")
        return answer


class ActionConfirmBooking(Action):
    """Books the chosen time; if the backend fails, reception gets it as a call-back request."""

    def name(self) -> Text:
        return "action_confirm_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        if slots.get("triage_level") in ESCALATED:
            return []  # the red-flag advice has been given; nothing is booked
        if not (slots.get("booking_consent") and slots.get("booking_confirmed")):
            dispatcher.utter_message(response="utter_booking_declined")
            return [SlotSet("booking_status", "declined")] + clear(tracker, BOOKING_SLOTS)
        if slots.get("booking_slot") == "preference":
            return self._hand_to_reception(dispatcher, tracker, slots, "booking: diary down")
        email = slots.get("booking_email")
        request = BookingRequest(
            slot_id=slots["booking_slot"],
            patient_name=slots["callback_name"],
            phone_e164=slots["callback_phone"],
            email=None if email in (None, NO_EMAIL) else email,
            consent=True,
            triage_summary=summary_for_physio(slots),
            triage_details=triage_details(slots),
            idempotency_key=idempotency_key(tracker, slots["booking_slot"],
                                            slots["callback_phone"]),
            conversation_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
        )
        try:
            booking = booking_backend().book(request)
        except SlotUnavailable:
            dispatcher.utter_message(response="utter_booking_slot_taken")
            # The day or time asked for stays the search: what is still free near it.
            return clear(tracker, ["booking_slot", "booking_slot_label", "booking_confirmed",
                                   "offered_booking_slots"]) + [FollowupAction("booking_form")]
        except BookingError:
            logger.exception("booking backend failed; storing a call-back request instead")
            return self._hand_to_reception(dispatcher, tracker, slots, "booking: backend down")
        label = slot_label(booking.slot.start, booking.slot.practitioner_name, today())
        # Slots set here are not yet in the tracker that fills the response: pass them.
        dispatcher.utter_message(response="utter_booking_confirmed",
                                 booking_reference=booking.reference, booking_slot_label=label)
        return [SlotSet("booking_status", "confirmed"),
                SlotSet("booking_reference", booking.reference),
                SlotSet("booking_slot_label", label)]

    @staticmethod
    def _hand_to_reception(dispatcher: CollectingDispatcher, tracker: Tracker,
                           slots: Dict[Text, Any], reason: Text) -> List[EventType]:
        wanted = slots.get("booking_preference") or slots.get("booking_slot_label")
        details = {**slots, "triage_summary": summary_for_physio(slots)
                   + f"\nWanted: {wanted}"}
        try:
            reference = save_callback(tracker.sender_id, details, reason)
        except sa.exc.SQLAlchemyError:
            logger.exception("could not store the call-back request either")
            dispatcher.utter_message(response="utter_booking_failed")
            return [SlotSet("booking_status", "failed")]
        dispatcher.utter_message(response="utter_booking_saved_for_callback",
                                 callback_reference=reference)
        return [SlotSet("booking_status", "failed"), SlotSet("callback_reference", reference),
                SlotSet("callback_status", "saved")]


class ActionStartManageBooking(Action):
    """"Cancel my booking BK-7K3Q9X": keeps what the first message already says."""

    def name(self) -> Text:
        return "action_start_manage_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        known = {"manage_reference": find_reference(text), "manage_choice": manage_choice(text)}
        if known["manage_reference"] is None and asks_to_book(text):
            # "can we skip this and make a booking?": a new booking, not an existing one.
            return [FollowupAction("action_start_booking")]
        return clear(tracker, [s for s in MANAGE_SLOTS if s not in known]) + [
            SlotSet(name, value) for name, value in known.items()
            if value is not None or tracker.get_slot(name) is not None] + [
            FollowupAction("manage_booking_form")]


class ValidateManageBookingForm(BookingFormRules, FormValidationAction):
    def name(self) -> Text:
        return "validate_manage_booking_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("manage_status") == "unavailable":
            return []
        if tracker.get_slot("manage_choice") != "move":
            return [s for s in domain_slots if s != "booking_slot"]
        return list(domain_slots)

    def validate_manage_reference(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        reference = find_reference(value if isinstance(value, str) else "")
        if reference is None and times_asked(tracker, "manage_reference", "manage_booking_form",
                                             since="action_start_manage_booking") >= 2:
            # Asked twice: reception finds a booking by name, never a third "what's the
            # reference?".
            dispatcher.utter_message(response="utter_reference_not_found_again")
            return {"manage_reference": None, "manage_status": "unavailable"}
        if reference is None:
            dispatcher.utter_message(response="utter_invalid_reference")
        return {"manage_reference": reference}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        phone = phone_answer(value, dispatcher)
        if phone is None:
            return {"callback_phone": None}
        reference = tracker.get_slot("manage_reference")
        try:
            booking = booking_backend().find(reference, phone)
        except BookingNotFound:
            dispatcher.utter_message(response="utter_booking_not_found")
            return {"callback_phone": None, "manage_reference": None}
        except BookingError:
            logger.exception("booking backend failed while finding %s", reference)
            dispatcher.utter_message(response="utter_manage_failed")
            return {"callback_phone": phone, "manage_status": "unavailable"}
        return {"callback_phone": phone, "manage_status": "found",
                "manage_appointment_type": booking.slot.appointment_type,
                "manage_booking_label": slot_label(booking.slot.start,
                                                   booking.slot.practitioner_name, today())}

    def validate_manage_choice(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        choice = manage_choice(value if isinstance(value, str) else "")
        if choice is None:
            dispatcher.utter_message(response="utter_manage_unclear_choice")
        return {"manage_choice": choice}


class ActionManageBooking(Action):
    def name(self) -> Text:
        return "action_manage_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        if slots.get("manage_status") == "unavailable":
            return []  # already told to phone reception
        if not slots.get("manage_confirmed"):
            dispatcher.utter_message(response="utter_booking_unchanged")
            return [SlotSet("manage_status", "unchanged")]
        reference, phone = slots["manage_reference"], slots["callback_phone"]
        backend = booking_backend()
        try:
            if slots.get("manage_choice") == "cancel":
                backend.cancel(reference, phone)
                dispatcher.utter_message(response="utter_booking_cancelled")
                return [SlotSet("manage_status", "cancelled"),
                        SlotSet("booking_status", "cancelled")]
            key = idempotency_key(tracker, slots["booking_slot"], phone)
            booking = backend.move(reference, phone, slots["booking_slot"], key)
        except SlotUnavailable:
            dispatcher.utter_message(response="utter_booking_slot_taken")
            return clear(tracker, ["booking_slot", "booking_slot_label", "manage_confirmed",
                                   "offered_booking_slots"]) + [
                FollowupAction("manage_booking_form")]
        except BookingError:
            logger.exception("booking backend failed while changing %s", reference)
            dispatcher.utter_message(response="utter_manage_failed")
            return [SlotSet("manage_status", "failed")]
        label = slot_label(booking.slot.start, booking.slot.practitioner_name, today())
        dispatcher.utter_message(response="utter_booking_moved", booking_slot_label=label,
                                 booking_reference=reference)
        return [SlotSet("manage_status", "moved"), SlotSet("booking_reference", reference),
                SlotSet("booking_slot_label", label), SlotSet("booking_status", "confirmed")]
