"""Call-back requests: stored for reception with the triage summary, never lost.

The practice database defaults to SQLite under var/; PRACTICE_DB_URL points it elsewhere
(any SQLAlchemy URL, e.g. PostgreSQL for the scaled set-up).
"""

import datetime
import json
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import phonenumbers
import sqlalchemy as sa
from spacy.lang.en.stop_words import STOP_WORDS
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock
from redflags.levels import ESCALATED

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{ROOT / 'var' / 'practice.db'}"
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread

metadata = sa.MetaData()
callback_requests = sa.Table(
    "callback_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("triage_level", sa.String(16)),
    sa.Column("red_flags", sa.Text),
    sa.Column("triage_summary", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
)

# Questions the assistant could not answer, for the practice to add answers: the question's
# words (cut short) and the topics considered, never who asked or anything else they said.
unanswered_questions = sa.Table(
    "unanswered_questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asked_at", sa.DateTime, nullable=False),
    sa.Column("question", sa.String(300), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # not_covered | not_sure
    sa.Column("closest_topics", sa.String(200), nullable=False),
)


@lru_cache(maxsize=4)
def engine(url: Optional[Text] = None) -> sa.engine.Engine:
    url = url or os.environ.get("PRACTICE_DB_URL") or DEFAULT_DB_URL
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: an error's log line must not carry the patient's name, phone or words.
    created = sa.create_engine(url, future=True, hide_parameters=True)
    metadata.create_all(created)
    return created


def new_reference(prefix: Text) -> Text:
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def normalise_phone(text: Text, region: Text = "ZA") -> Optional[Text]:
    """E.164 form of a valid phone number ("082 123 4567" -> "+27821234567"), else None."""
    for candidate in phonenumbers.PhoneNumberMatcher(text or "", region):
        if phonenumbers.is_valid_number(candidate.number):
            return phonenumbers.format_number(
                candidate.number, phonenumbers.PhoneNumberFormat.E164)
    return None


NAME_LEAD_IN = re.compile(
    r"^(?:(?:hi|hello|hey)[, ]+)?(?:my name is|my name's|i am|i'm|im|it's|its|this is|"
    r"call me|name:?)\s+", re.IGNORECASE)


# Words that answer a question rather than give a name ("no thanks", "ok sure").
NOT_NAMES = {"no", "nope", "yes", "ja", "ok", "okay", "thanks", "thank", "sure", "skip",
             "nah", "not", "later", "bye", "what", "why", "hello", "hi",
             # chat fillers typed while thinking ("lol" was booked as the patient's name)
             "lol", "haha", "hahaha", "hehe", "hmm", "hmmm", "huh", "um", "umm", "uh", "eh",
             "ugh", "oops", "brb", "idk", "omg", "wait", "sorry", "k", "kk"}


def clean_name(text: Text) -> Optional[Text]:
    """The name in "my name is Thandi Mokoena", or None when it doesn't look like one."""
    name = NAME_LEAD_IN.sub("", (text or "").strip()).strip(" .!,")
    words = name.split()
    if not 1 <= len(words) <= 5 or len(name) > 80:
        return None
    if any(w.lower() in NOT_NAMES for w in words):
        return None
    if not all(re.fullmatch(r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?", w) for w in words):
        return None
    return " ".join(w[:1].upper() + w[1:] for w in words)


def plainly_a_name(text: Text) -> bool:
    """Only a name ("Willem Pretorius"): no question mark and no ordinary English word, so
    it is the answer to "what is your name?" whatever the classifier took it for."""
    name = clean_name(text)
    return bool(name) and "?" not in text and \
        not any(word.lower().strip(".") in STOP_WORDS for word in name.split())


def name_answer(value: Any, dispatcher: CollectingDispatcher) -> Optional[Text]:
    """The name given, or None after a kind re-ask (call-back and booking forms)."""
    name = clean_name(value if isinstance(value, str) else "")
    if name is None:
        dispatcher.utter_message(response="utter_invalid_name")
    return name


def phone_answer(value: Any, dispatcher: CollectingDispatcher) -> Optional[Text]:
    """The number in E.164, or None after a kind re-ask (call-back and booking forms)."""
    phone = normalise_phone(value if isinstance(value, str) else "")
    if phone is None:
        dispatcher.utter_message(response="utter_invalid_phone")
    return phone


def save_callback(sender_id: Text, slots: Dict[Text, Any], reason: Text) -> Text:
    reference = new_reference("CB")
    with engine().begin() as connection:
        connection.execute(callback_requests.insert().values(
            reference=reference,
            sender_id=sender_id,
            name=slots["callback_name"],
            phone=slots["callback_phone"],
            reason=reason,
            triage_level=slots.get("triage_level"),
            red_flags=json.dumps(slots.get("red_flags") or []),
            triage_summary=slots.get("triage_summary"),
            created_at=datetime.datetime.now(datetime.timezone.utc),
            status="open",
        ))
    return reference


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_callback_name(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        text = value if isinstance(value, str) else ""
        if text.lower().split()[:1] in (["no"], ["nope"], ["nah"], ["not"]):
            # "no thanks, I'll phone you": end the form; nothing is stored without consent.
            return {"callback_name": None, "requested_slot": None}
        return {"callback_name": name_answer(text, dispatcher)}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"callback_phone": phone_answer(value, dispatcher)}


class ActionSaveCallback(Action):
    """Stores the request; if storage fails the patient is given the number to phone."""

    def name(self) -> Text:
        return "action_save_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        if not slots.get("callback_consent"):
            return [SlotSet("callback_status", "declined")]
        reason = "red flag" if slots.get("triage_level") in ESCALATED \
            else "asked for a person"
        try:
            reference = save_callback(tracker.sender_id, slots, reason)
        except sa.exc.SQLAlchemyError:
            return [SlotSet("callback_status", "failed")]
        # Consent is asked again for any later request; name and number are kept.
        # Here, not at the top: actions.booking imports this module's tables.
        from actions.booking.config import calendar_config, when_reception_calls
        return [SlotSet("callback_status", "saved"), SlotSet("callback_reference", reference),
                SlotSet("callback_expected", when_reception_calls(clock.now(), calendar_config())),
                SlotSet("callback_consent", None)]
