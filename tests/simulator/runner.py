"""Plays one persona against a running assistant and records the conversation.

Each turn the runner reads what the assistant is asking from the tracker (the active form
and its `requested_slot`, the last bot message's `utter_action` and buttons), lets the
persona answer it the way the persona would (or not, when its style says so), and stops at
an outcome: the booking offered, red-flag advice, a confirmed booking, or 40 turns.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import requests

from actions import clock
from redflags.levels import ESCALATED
from tests.simulator.personas import CHECKLIST_QUESTIONS, OPEN_QUESTIONS, Facts, Persona
from tests.simulator.phrasing import Speaker, button_number

MAX_TURNS = 40
PRACTICE_TIMEZONE = clock.practice_timezone()
# A patient who won't answer a question gives in after refusing it this often.
REFUSAL_PATIENCE = 3
# How often a patient asks for other times before taking the nearest one shown.
MORE_TIMES_PATIENCE = 6
BUTTON_WORDS = {  # an answer: words that mark its button
    "lower_back": ["lower"], "mid_back": ["middle"], "upper_back": ["upper"], "neck": ["neck"],
    "leg": ["leg"], "arm": ["arm"], "none": ["stays", "doesn't spread"],
    "sudden": ["sudden"], "gradual": ["gradual"],
    "increased": ["more than usual"], "decreased": ["less"], "unchanged": ["same"],
    "not_training": ["don't train"], "yes": ["/affirm"], "no": ["/deny"],
}
# Slots copied into each turn's record, to see the state the turn left behind.
RECORDED_SLOTS = ("triage_level", "red_flags", "booking_status", "booking_reference",
                  "skipped_questions", "declined_safety_questions", "booking_requested")


@dataclass(frozen=True)
class Question:
    """What the assistant was asking when the patient wrote."""
    loop: Optional[str] = None
    slot: Optional[str] = None       # the form's requested_slot
    utter: Optional[str] = None      # the last bot message's response name
    buttons: Tuple[Dict, ...] = ()

    def describe(self) -> str:
        return self.slot and f"{self.loop}.{self.slot}" or self.utter or "-"


@dataclass
class Turn:
    number: int
    question: Question
    text: str
    purpose: str          # opening, answer, refusal, wrong_answer, question, correction, ...
    status: int           # HTTP status of the message (0: no answer at all)
    replies: List[Dict]
    bot_actions: List[str]  # response names the assistant used this turn
    slots: Dict[str, Any]   # RECORDED_SLOTS after the turn

    @property
    def is_detour(self) -> bool:
        """A turn that did not answer a questionnaire question (it costs the patient a turn),
        or answered the assistant's clarifying red-flag question."""
        return self.purpose in {"refusal", "wrong_answer", "question", "correction",
                                "booking_request", "reveal", "clarify", "unclear"}


@dataclass
class Conversation:
    persona: Persona
    sender: str
    turns: List[Turn] = field(default_factory=list)
    outcome: str = "unfinished"
    final_slots: Dict[str, Any] = field(default_factory=dict)
    events: List[Dict] = field(default_factory=list)
    # The value each question's slot should hold: what the patient said last for it.
    stated: Dict[str, Any] = field(default_factory=dict)
    revealed_turn: Optional[int] = None
    relative_introduced: bool = False  # "I'm asking for my gran": said, not only a persona's
    booking_requested_turn: Optional[int] = None
    refused_questions: Set[str] = field(default_factory=set)  # refused when asked
    asked_topics: List[Tuple[int, str]] = field(default_factory=list)
    # For a booking: the starts of the times still free near the wish, read at the end.
    free_starts_near_wish: List[dt.datetime] = field(default_factory=list)

    def transcript(self) -> str:
        lines = [self.persona.describe(), f"sender={self.sender} outcome={self.outcome}"]
        for turn in self.turns:
            lines.append(f"[{turn.number}] (asked {turn.question.describe()}; {turn.purpose}) "
                         f"patient: {turn.text}")
            if turn.status != 200:
                lines.append(f"    HTTP {turn.status}")
            for reply in turn.replies:
                lines.append("    bot: " + (reply.get("text") or "").replace("\n", " / ")[:300])
                if reply.get("buttons"):
                    lines.append("         buttons: " + " | ".join(
                        b.get("title", "") for b in reply["buttons"]))
            lines.append(f"    ({', '.join(turn.bot_actions)}; "
                         + ", ".join(f"{k}={v}" for k, v in turn.slots.items() if v) + ")")
        return "\n".join(lines)


def current_question(tracker: Dict) -> Question:
    loop = (tracker.get("active_loop") or {}).get("name")
    slot = tracker["slots"].get("requested_slot") if loop else None
    bot_events = bot_events_since_user(tracker["events"])
    utter = (bot_events[-1].get("metadata") or {}).get("utter_action") if bot_events else None
    buttons: Tuple[Dict, ...] = ()
    for event in reversed(bot_events):
        if (event.get("data") or {}).get("buttons"):
            buttons = tuple(event["data"]["buttons"])
            break
    return Question(loop, slot, utter, buttons)


def bot_events_since_user(events: List[Dict]) -> List[Dict]:
    latest: List[Dict] = []
    for event in events:
        if event.get("event") == "user":
            latest = []
        elif event.get("event") == "bot":
            latest.append(event)
    return latest


def _distance_hours(start: dt.datetime, day: dt.date, hours: Tuple[int, int]) -> float:
    """0 inside the wished window (practice time), else hours from its nearest edge."""
    start = start.astimezone(PRACTICE_TIMEZONE)
    window_start = dt.datetime.combine(day, dt.time(hours[0]), tzinfo=PRACTICE_TIMEZONE)
    window_end = dt.datetime.combine(day, dt.time(hours[1] - 1, 59), tzinfo=PRACTICE_TIMEZONE)
    if window_start <= start <= window_end:
        return 0.0
    edge = window_start if start < window_start else window_end
    return abs((start - edge).total_seconds()) / 3600


def practice_today() -> dt.date:
    """Today where the practice is: what "Wednesday" means to the patient and the assistant."""
    return clock.today()


def distance_from_wish(persona: Persona, start: dt.datetime, today: dt.date) -> float:
    wish = persona.booking
    return _distance_hours(start, wish.preferred_day(today), wish.hours)


class PatientRun:
    """One persona's conversation, turn by turn."""

    def __init__(self, persona: Persona, assistant: Any,
                 free_starts: Optional[Callable[[dt.date], List[dt.datetime]]] = None) -> None:
        """assistant: has say(sender, text) and tracker(sender), like tests/conftest.py's.
        free_starts: the starts free on a day, to judge "the nearest free time"."""
        self.persona = persona
        self.assistant = assistant
        self.free_starts = free_starts
        self.rng = random.Random(persona.seed + 7)
        self.speaker = Speaker(persona, self.rng)
        self.conversation = Conversation(persona, sender=f"sim-{persona.seed}-"
                                         f"{random.Random().getrandbits(32):08x}")
        self.pending_digressions = list(persona.digressions)  # (turn, topic), in turn order
        self.pending_wrong_turns = list(persona.wrong_answer_turns)
        self.first_answer_turn: Optional[int] = None  # when a correcting persona erred
        self.corrected = False
        self.more_times_asked = 0
        self.refusals: Counter = Counter()
        self.answers_given: Dict[str, List[str]] = {}  # per question, to reword a re-ask
        self.wish_said = False
        self.said_goodbye = False
        self.unprompted_turns = 0

    # --- the loop ---
    def run(self) -> Conversation:
        tracker = self.assistant.tracker(self.conversation.sender)
        for number in range(MAX_TURNS):
            question = current_question(tracker)
            message = self.next_message(number, question, tracker["slots"])
            status, replies = self._send(self._as_delivered(message[0], question))
            tracker = self.assistant.tracker(self.conversation.sender)
            self.conversation.turns.append(Turn(
                number, question, message[0], message[1], status, replies,
                [(e.get("metadata") or {}).get("utter_action") or "(custom)"
                 for e in bot_events_since_user(tracker["events"])],
                {name: tracker["slots"].get(name) for name in RECORDED_SLOTS}))
            outcome = self.outcome(tracker)
            if outcome:
                self.conversation.outcome = outcome
                break
        else:
            self.conversation.outcome = "turn_limit"
        self.conversation.final_slots = tracker["slots"]
        self.conversation.events = tracker["events"]
        if self.persona.booking and self.free_starts:
            day = self.persona.booking.preferred_day(practice_today())
            self.conversation.free_starts_near_wish = [
                start for offset in range(-3, 8)
                for start in self.free_starts(day + dt.timedelta(days=offset))]
        return self.conversation

    def _as_delivered(self, text: str, question: Question) -> str:
        """A numbered WhatsApp reply as the Twilio connector hands it on: the button's
        payload (the connector's own mapping is tested in tests/test_whatsapp_channels.py)."""
        if self.persona.style == "whatsapp_numbers" and text.strip().isdecimal():
            number = int(text.strip())
            if 1 <= number <= len(question.buttons):
                return question.buttons[number - 1]["payload"]
        return text

    def _send(self, text: str) -> Tuple[int, List[Dict]]:
        try:
            return 200, self.assistant.say(self.conversation.sender, text)
        except requests.HTTPError as error:
            return error.response.status_code, []
        except requests.RequestException:
            return 0, []

    def outcome(self, tracker: Dict) -> Optional[str]:
        slots = tracker["slots"]
        level = slots.get("triage_level")
        if level in ESCALATED:
            return level
        if self.persona.red_flag and self.conversation.revealed_turn is None:
            return None  # not done before the patient has told everything
        if slots.get("booking_reference"):
            return "booked"
        if self.said_goodbye:
            return "ended_by_patient"
        booking_started = slots.get("booking_status") in ("offered", "requested") or \
            (tracker.get("active_loop") or {}).get("name") == "booking_form"
        if self.persona.goal == "book_early":
            if slots.get("booking_status") in ("declined", "failed"):
                return f"booking_{slots['booking_status']}"
            return None
        return "booking_offered" if booking_started else None

    # --- what the patient says next ---
    def next_message(self, number: int, question: Question, slots: Dict) -> Tuple[str, str]:
        """(text, purpose) of the patient's next message."""
        persona, speaker, record = self.persona, self.speaker, self.conversation
        flag = persona.red_flag
        if number == 0:
            return self.opening()
        if question.utter == "utter_ask_red_flag_question":
            return (speaker.yes() if record.revealed_turn is not None else speaker.no()), "clarify"
        if flag and record.revealed_turn is None and question.slot \
                and question.slot == flag.sign.checklist_question:
            record.revealed_turn = number
            return self._button_or(question, "yes", speaker.yes()), "answer"
        # A patient still holding back a red flag tells it at the latest when offered a
        # booking ("oh, and also..."), so every red flag is told.
        if flag and record.revealed_turn is None and (
                number >= flag.reveal_turn or slots.get("booking_status")):
            record.revealed_turn = number
            return speaker.red_flag(), "reveal"
        if number in persona.unclear_turns:
            return speaker.unclear(), "unclear"
        if persona.goal == "questions_only":
            if self.pending_digressions:
                return self.ask_next_topic(number)
            self.said_goodbye = True
            return speaker.goodbye(), "goodbye"
        if persona.booking and record.booking_requested_turn is None \
                and number >= persona.booking.ask_turn and not slots.get("booking_status"):
            record.booking_requested_turn = number
            return speaker.booking_request(), "booking_request"
        if self.pending_digressions and self.pending_digressions[0][0] <= number:
            return self.ask_next_topic(number)
        correction = persona.correction
        if correction and self.first_answer_turn is not None and not self.corrected \
                and number >= self.first_answer_turn + correction.after_turns:
            self.corrected = True
            record.stated[correction.question] = persona.facts.stated_value(correction.question)
            return speaker.correction(), "correction"
        if question.loop == "triage_form" and question.slot in OPEN_QUESTIONS:
            return self.answer_open_question(number, question)
        if question.loop == "triage_form" and question.slot in CHECKLIST_QUESTIONS:
            if self.refuses(question.slot):
                return speaker.refusal(), "refusal"
            return self.reworded(question, "no", speaker.no,
                                 lambda: self._button_or(question, "no", speaker.no())), "answer"
        if question.utter == "utter_triage_summary":
            return self._button_or(question, "yes", speaker.summary_yes()), "answer"
        if question.utter == "utter_offer_booking":
            return speaker.booking_yes(), "answer"
        if question.loop == "booking_form":
            return self.booking_answer(question, slots)
        if question.loop in ("callback_form", "manage_booking_form"):
            return self.callback_answer(question)
        return self.unprompted(slots)

    def unprompted(self, slots: Dict) -> Tuple[str, str]:
        """Nothing is being asked: say what's wrong (twice at most), ask what next, ask to
        book, and at last give up, as a patient in a stuck chat would."""
        self.unprompted_turns += 1
        triage_started = slots.get("triage_level") or any(slots.get(q) for q in OPEN_QUESTIONS)
        if not triage_started and self.unprompted_turns <= 2:
            return self.complain(), "complaint"
        if self.unprompted_turns <= 3:
            return self.speaker.voiced(self.rng.choice(["so what now?", "ok, what next?"])), \
                "filler"
        if self.unprompted_turns == 4 and not slots.get("booking_status"):
            return self.speaker.booking_request(), "booking_request"
        self.said_goodbye = True
        return self.speaker.goodbye(), "goodbye"

    def opening(self) -> Tuple[str, str]:
        persona, speaker, record = self.persona, self.speaker, self.conversation
        if persona.goal == "questions_only":
            return self.ask_next_topic(0)
        parts = []
        if persona.writer.for_someone_else:
            parts.append(speaker.relative_intro())
            record.relative_introduced = True
            record.stated["patient_age"] = persona.writer.age
        elif self.rng.random() < 0.4:
            parts.append(speaker.greeting())
        if persona.volunteered_first:
            parts.append(speaker.facts_together(persona.volunteered_first))
            for question in persona.volunteered_first:
                self._stated(question)
            if persona.red_flag and persona.red_flag.sign.family == "severe_unremitting" \
                    and "eases_worsens" in persona.volunteered_first:
                record.revealed_turn = 0  # "nothing helps" is the red flag itself
        elif persona.writer.for_someone_else or not parts or self.rng.random() < 0.6:
            parts.append(self.complain())
        if persona.red_flag and persona.red_flag.reveal_turn == 0:
            parts.append(speaker.red_flag())
            record.revealed_turn = 0
        return ". ".join(parts), "opening"

    def refuses(self, question: str) -> bool:
        """Whether the patient refuses this question now; after REFUSAL_PATIENCE refusals
        they give in and answer, and the question no longer counts as refused."""
        if question not in self.persona.refused:
            return False
        self.refusals[question] += 1
        if self.refusals[question] > REFUSAL_PATIENCE:
            self.conversation.refused_questions.discard(question)
            return False
        self.conversation.refused_questions.add(question)
        return True

    def complain(self) -> str:
        if self.persona.facts.pain_location == "neck":
            self._stated("pain_location")
        return self.speaker.complaint()

    def ask_next_topic(self, number: int) -> Tuple[str, str]:
        _, topic = self.pending_digressions.pop(0)
        self.conversation.asked_topics.append((number, topic))
        return self.speaker.question(topic), "question"

    def _stated(self, question: str) -> None:
        value = self.persona.facts.stated_value(question)
        if value is not None:
            self.conversation.stated[question] = value

    def _button_or(self, question: Question, answer: str, words: str) -> str:
        """The button's number for a WhatsApp-numbers persona, else the typed words."""
        if self.persona.style == "whatsapp_numbers" and question.buttons:
            number = button_number(list(question.buttons), BUTTON_WORDS[answer])
            if number:
                return number
        return words

    def answer_open_question(self, number: int, question: Question) -> Tuple[str, str]:
        persona, speaker, record = self.persona, self.speaker, self.conversation
        slot = question.slot
        flag = persona.red_flag
        if flag and flag.sign.family == "severe_unremitting" and slot == "eases_worsens" \
                and record.revealed_turn is None:
            record.revealed_turn = number  # "nothing eases it" is the red flag itself
            return speaker.red_flag(), "answer"
        if self.refuses(slot):
            return speaker.refusal(), "refusal"
        if self.pending_wrong_turns and number >= self.pending_wrong_turns[0]:
            other = [q for q in OPEN_QUESTIONS if q != slot and q not in record.stated
                     and q not in persona.refused and q != "pain_location"]
            if other:
                self.pending_wrong_turns.pop(0)
                self._stated(other[0])
                return speaker.answer_to_another(other[0]), "wrong_answer"
        correction = persona.correction
        if correction and correction.question == slot and self.first_answer_turn is None:
            self.first_answer_turn = number
            record.stated[slot] = _with_value(persona, slot, correction.first_answer) \
                .stated_value(slot)
            return speaker.answer(slot, correction.first_answer), "answer"
        self._stated(slot)
        return self.reworded(question, getattr(persona.facts, slot, None),
                             lambda: speaker.answer(slot),
                             lambda: self.first_answer(question)), "answer"

    def first_answer(self, question: Question) -> str:
        persona, record, slot = self.persona, self.conversation, question.slot
        fact = getattr(persona.facts, slot, None)
        text = self._button_or(question, fact, "") if isinstance(fact, str) else ""
        if text:
            return text
        if persona.style == "out_of_order" and self.rng.random() < 0.5:
            extra = [q for q in OPEN_QUESTIONS if q not in record.stated
                     and q not in persona.refused]
            if extra:
                self._stated(extra[0])
                return self.speaker.facts_together([slot, extra[0]])
        return self.speaker.answer(slot)

    def reworded(self, question: Question, answer: Any, words: Callable[[], str],
                 first: Callable[[], str]) -> str:
        """Asked again, people say it another way, and the third time they tap the button.

        answer: the value whose button fits (a fact or "yes"/"no"); words: a fresh wording."""
        given = self.answers_given.setdefault(question.slot, [])
        button = next((b["payload"] for b in question.buttons if isinstance(answer, str) and any(
            word in f"{b.get('payload', '')} {b.get('title', '')}".lower()
            for word in BUTTON_WORDS.get(answer, []))), None)
        if len(given) >= 2 and button:
            text = button
        elif given:
            candidates = [words() for _ in range(6)]
            text = next((c for c in candidates if c not in given), candidates[0])
        else:
            text = first()
        given.append(text)
        return text

    def booking_answer(self, question: Question, slots: Dict) -> Tuple[str, str]:
        speaker, persona = self.speaker, self.persona
        slot = question.slot
        if slot == "booking_slot":
            offered = slots.get("offered_booking_slots") or []
            if not self.wish_said or not offered:
                self.wish_said = True
                return speaker.preferred_time(), "booking"
            today = practice_today()
            ranked = sorted(offered, key=lambda entry: distance_from_wish(
                persona, dt.datetime.fromisoformat(entry["start"]), today))
            best = ranked[0]
            best_distance = distance_from_wish(
                persona, dt.datetime.fromisoformat(best["start"]), today)
            wished_day = persona.booking.preferred_day(today)
            # Shown times on the wished day, a patient takes the nearest rather than asking
            # for more (which moves on past it); earlier days, they ask for other times.
            still_before = all(dt.datetime.fromisoformat(e["start"]).date() < wished_day
                               for e in offered)
            if best_distance > 0 and still_before and self.more_times_asked < MORE_TIMES_PATIENCE:
                self.more_times_asked += 1
                return speaker.voiced("other times please"), "booking"
            if persona.style == "whatsapp_numbers":
                return str(offered.index(best) + 1), "booking"
            return '/inform{"booking_slot": "%s"}' % best["id"], "booking"
        answers = {
            "callback_name": persona.name, "callback_phone": persona.phone,
            "booking_email": speaker.no_email(), "prescreen_wanted": speaker.not_now(),
            "booking_consent": self._button_or(question, "yes", speaker.yes()),
            "booking_confirmed": self._button_or(question, "yes", speaker.booking_yes()),
        }
        return answers.get(slot, speaker.no()), "booking"

    def callback_answer(self, question: Question) -> Tuple[str, str]:
        answers = {"callback_name": self.persona.name, "callback_phone": self.persona.phone}
        return answers.get(question.slot, self.speaker.no()), "callback"


def _with_value(persona: Persona, slot: str, value: Any) -> Facts:
    """The persona's facts with one answer replaced (the wrong first answer)."""
    field_name = {"duration_weeks": "duration"}.get(slot, slot)
    return Facts(**{**persona.facts.__dict__, field_name: value})



def practice_release(practice_db_url: str) -> Callable[[Dict], None]:
    """Cancels a simulated patient's booking once it has been checked: with the clock fixed,
    a large run would otherwise fill the same fortnight with hundreds of bookings (no
    practice sees that many new patients), and later patients would find no free time."""
    from actions.booking import CalendarBackend
    from actions.callbacks import engine

    backend = CalendarBackend(db=engine(practice_db_url))

    def release(slots: Dict) -> None:
        if slots.get("booking_reference") and slots.get("callback_phone"):
            backend.cancel(slots["booking_reference"], slots["callback_phone"])

    return release


def practice_free_starts(practice_db_url: str) -> Callable[[dt.date], List[dt.datetime]]:
    """The starts of initial assessments still free on a day, read from the practice calendar."""
    from actions.booking import CalendarBackend  # the assistant's own code, only when booking
    from actions.callbacks import engine

    backend = CalendarBackend(db=engine(practice_db_url))

    def free_starts(day: dt.date) -> List[dt.datetime]:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
        return [slot.start for slot in backend.free_slots(
            "initial", after=midnight - dt.timedelta(hours=3), on_day=day, limit=200)]

    return free_starts
