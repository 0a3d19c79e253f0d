"""The triage form: reading answers from every message, validating, finishing, restarting.

`extract_updates` is the one place that turns a patient's message into slot values. It
runs on every user message (a custom slot mapping), so an answer is understood whether
it comes when asked, early ("lower back, 3 weeks, since I started running"), or later as
a correction ("actually it's more my upper back").

No question is asked more than twice: after a second ask that brought no answer, a triage
question is left for the physio (`skipped_questions`) and a safety question is recorded as
declined (`declined_safety_questions`) with the safety-net advice. A patient who asks to
book is asked only the safety questions still open (`booking_requested`).
"""

import datetime
import re
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock, parsing
from actions.history import question_before_user_message, slots_set_since_user_message
from actions.red_flags import (
    CHECKLIST_FLAGS,
    FLAG_LEVELS,
    answers_emergency_check,
    clarifying_answer,
    emergency_check_answer_updates,
    emergency_check_updates,
    entries_from_entities,
    flags_about_the_relative,
    evidence_entry,
    record_flags,
)
from actions.summary import triage_summary
from redflags.levels import ESCALATED

FORM = "triage_form"
TRIAGE_SLOTS = [
    "pain_location", "pain_radiates", "pain_side", "onset", "onset_activity",
    "duration_weeks", "severity", "eases_worsens", "desk_hours", "training_change",
    "training_activity",
]
CHECKLIST_SLOTS = list(CHECKLIST_FLAGS)
# Questions and requests that are not answers: the form declines them (so Rasa lets the
# digression rules answer) and asks its question again afterwards.
NOT_ANSWERS = {
    "faq", "ask_why", "ask_next_step", "ask_needling_for_me", "start_over", "request_booking",
    "request_human", "out_of_scope", "non_english", "goodbye", "thank", "greet",
    "red_flag", "red_flag_unsure",
}
# Intents whose text may volunteer triage details unasked.
MAY_VOLUNTEER = {
    "report_back_pain", "for_someone_else", "inform", "correct_info", "nlu_fallback",
    "affirm", "deny", "red_flag", "red_flag_unsure",
}
# A red flag can come inside an answer ("it goes down both legs"): the answer is kept,
# and the form still steps aside so the red-flag rules speak first.
RED_FLAG_INTENTS = {"red_flag", "red_flag_unsure"}
SKIP_INTENTS = {"dont_know", "refuse_answer"}
# Replies to being asked, never a description of what eases the pain or of anything else.
REPLY_INTENTS = {"affirm", "deny", "dont_know", "refuse_answer", "thank", "greet"}
MAX_ASKS = 2
# The form's way to ask an unanswered clarifying question once more (never filled).
ASK_AGAIN_SLOT = "red_flag_question_again"
ASKED_AGAIN = f"utter_ask_{ASK_AGAIN_SLOT}"
# Replies that take the conversation out of the questions: the clarifying question is not
# kept open for later, where a "no" meant for something else could answer it.
LEAVE_THE_QUESTIONS = {"request_human", "start_over", "goodbye"}
# Replies to the emergency check whose own answer asks the check again: a question
# (action_answer_question), more details or a booking request (their urgent-level rules end
# with utter_escalation_follow_up, which asks the check while it is awaited).
CHECK_ASKED_AGAIN_AFTER = {"faq", "inform", "report_back_pain", "for_someone_else",
                           "request_booking"}
# Emergency checks the checklist already asked: a weakening leg or a cancer history with
# "no" to the bladder, saddle (and weakness) questions needs no check after the form.
CHECKLIST_SETTLES_CHECK = {
    "progressive_neuro_deficit": ("check_bladder_bowel", "check_saddle_numbness"),
    "cancer": ("check_bladder_bowel", "check_saddle_numbness", "check_leg_weakness"),
}
# Facts a message may give unasked, read from every message.
VOLUNTEERED = ("pain_location", "pain_radiates", "onset", "duration_weeks", "severity",
               "desk_hours", "training_change")
# Digressions whose text is still read as the answer to the question asked, when it reads
# as one; a request to book, for a person or to start over is always taken as asked.
ANSWER_READ_FIRST = NOT_ANSWERS - {"request_booking", "request_human", "start_over"} - \
    RED_FLAG_INTENTS
# Below this confidence a "question" may really be an answer the classifier misread
# ("I don't exercise" as an FAQ); the parsers then get the first word.
DIGRESSION_CONFIDENCE = 0.8
GUESSED_YES_NO_WORDS = 3
MAX_FREE_TEXT = 300


def _pair(result: Optional[Tuple[Text, Optional[Text]]], main: Text, extra: Text
          ) -> Dict[Text, Any]:
    if result is None:
        return {}
    value, detail = result
    return {main: value, extra: detail} if detail else {main: value}


def _parsed(slot: Text, text: Text, answering: bool, today: datetime.date) -> Dict[Text, Any]:
    """Slot values one parser finds in the text ({} when it finds nothing)."""
    parsers: Dict[Text, Callable[[], Dict[Text, Any]]] = {
        "pain_location": lambda: {"pain_location": parsing.parse_pain_location(text)},
        "pain_radiates": lambda: _pair(
            parsing.parse_pain_radiation(text, answering=answering), "pain_radiates", "pain_side"),
        "onset": lambda: _pair(
            parsing.parse_onset(text, answering=answering), "onset", "onset_activity"),
        "duration_weeks": lambda: {"duration_weeks": parsing.parse_duration_weeks(
            text, today, answering=answering)},
        "severity": lambda: {"severity": parsing.parse_severity(text, answering=answering)},
        "desk_hours": lambda: {"desk_hours": parsing.parse_desk_hours(text, answering=answering)},
        "training_change": lambda: _pair(
            parsing.parse_training_change(text, answering=answering), "training_change",
            "training_activity"),
    }
    if slot not in parsers:
        return {}
    return {k: v for k, v in parsers[slot]().items() if v is not None}


def _answer_to_requested(requested: Text, text: Text, intent: Text,
                         today: datetime.date) -> Dict[Text, Any]:
    if requested in CHECKLIST_FLAGS:
        typed = None if intent in SKIP_INTENTS else _typed_yes_no(text)
        if typed is not None:
            return {requested: typed}
        # A yes or no is said, not guessed: the classifier called "hang on" and "huh" a yes,
        # and that was emergency advice. Its reading counts for a button, or for a message
        # long enough to carry more than a guess.
        if intent in ("affirm", "deny") and (text.startswith("/") or
                                             len(text.split()) > GUESSED_YES_NO_WORDS):
            return {requested: intent == "affirm"}
        return {}
    if requested == "eases_worsens":
        if intent in REPLY_INTENTS or not parsing.is_real_answer(text):
            return {}
        if not parsing.parse_eases_worsens(text) and any(
                _parsed(slot, text, answering=False, today=today) for slot in VOLUNTEERED):
            return {}  # "it's 4 weeks, not 2": an answer to another question
        return {"eases_worsens": parsing.normalise(text)[:MAX_FREE_TEXT]}
    return _parsed(requested, text, answering=True, today=today)


_NOT_THE_OLD_NUMBER = re.compile(
    r"\bnot (?P<old>(?:a |an )?\d+(?:\.\d+)?(?:/10)?(?: ?\w+)?)")  # "not 4", "not 2 weeks"
NUMBER_SLOTS = ("severity", "desk_hours", "duration_weeks")


def _correction_of_an_earlier_number(text: Text, slots: Dict[Text, Any],
                                     today: datetime.date) -> Dict[Text, Any]:
    """"Actually more like a 2, not 4" said at a later question: the answer that was 4 is
    now 2. The number after "not" names which earlier answer is corrected."""
    if not parsing.is_correction(text):
        return {}
    said = parsing.normalise(text)
    found = _NOT_THE_OLD_NUMBER.search(said)
    if found is None:
        return {}
    new_text = said[:found.start()] + said[found.end():]
    for slot in NUMBER_SLOTS:
        held = slots.get(slot)
        if held is None:
            continue
        old = _parsed(slot, found.group("old"), answering=True, today=today).get(slot)
        if old is None or abs(float(old) - float(held)) > 0.01:
            continue
        new = _parsed(slot, new_text, answering=True, today=today)
        if new.get(slot) is not None and new[slot] != held:
            return new
    return {}


def _about_the_patient(text: Text, slots: Dict[Text, Any]) -> Dict[Text, Any]:
    """Who is writing for whom, and the patient's age, when the message says so."""
    updates: Dict[Text, Any] = {}
    writer = parsing.parse_writer(text)
    # "my husband's back is sore" names the patient only before the writer's own answers.
    if writer and not slots.get("patient_relation") and (
            writer.explicit or not any(slots.get(slot) is not None for slot in TRIAGE_SLOTS)):
        updates.update(patient_relation=writer.relation, patient_pronoun=writer.pronoun)
    age = parsing.parse_age(text)
    if age is not None and age != slots.get("patient_age"):
        updates["patient_age"] = age
    return updates


def _answers_despite_intent(requested: Text, text: Text, intent: Text,
                            today: datetime.date) -> bool:
    """"Yoh, ten hrs or so" at the sitting question is its answer, though the classifier
    took it for a question about opening hours: a message that is not itself a question
    and that the question's own parser reads is the answer; at a safety question, a typed
    yes or no. Free text takes any words, so it is left to the classifier."""
    if intent not in ANSWER_READ_FIRST or parsing.looks_like_question(text):
        return False
    if requested in CHECKLIST_FLAGS:
        return _typed_yes_no(text) is not None  # "no thank god" is a no, not thanks
    return requested in VOLUNTEERED and bool(_parsed(requested, text, True, today))


def _typed_yes_no(text: Text) -> Optional[bool]:
    return None if parsing.looks_like_question(text) else parsing.parse_yes_no(text)


def is_digression(intent: Text, confidence: float) -> bool:
    """A question or request the rules should answer, not an answer for the form."""
    if intent in RED_FLAG_INTENTS:
        return False
    return intent in NOT_ANSWERS and confidence >= DIGRESSION_CONFIDENCE


def extract_updates(text: Text, intent: Text, entities: List[Dict[Text, Any]],
                    slots: Dict[Text, Any], active_loop: Optional[Text],
                    today: Optional[datetime.date] = None,
                    confidence: float = 1.0, correcting: bool = False,
                    clarifying_asked_again: bool = False) -> Dict[Text, Any]:
    """Slot updates from one user message, given the conversation's slots so far.

    `correcting` is true right after the summary, when any answer may replace an old one;
    `clarifying_asked_again` when the message replies to the clarifying question's second
    asking.
    """
    today = today or clock.today()
    text = text or ""
    updates: Dict[Text, Any] = {}
    updates.update(record_flags(slots, entries_from_entities(entities, text)))
    if slots.get("patient_relation"):
        updates.update(record_flags({**slots, **updates}, flags_about_the_relative(
            text, slots["patient_relation"], entities)))
    updates.update(_about_the_patient(text, slots))
    if (intent == "request_booking" or parsing.asks_to_book(text)) and \
            not slots.get("booking_requested"):
        updates["booking_requested"] = True
    if slots.get("awaiting_emergency_check") and intent not in ("affirm", "deny"):
        # Not a button answer. A sign of the combination named now is a yes. Another reply
        # is handled on its own and the check is asked once more; after a second one it is
        # recorded as unanswered, so a later "yes" to something else is not taken for it.
        family = slots.get("emergency_check")
        answer = parsing.parse_yes_no(text)
        if answer is None and answers_emergency_check(family, text,
                                                      slots.get("patient_relation")):
            answer = True
        if answer is None and intent in CHECK_ASKED_AGAIN_AFTER and \
                not slots.get("emergency_check_asked_again"):
            updates["emergency_check_asked_again"] = True
        else:
            updates.update(emergency_check_answer_updates({**slots, **updates}, answer, text))
    if slots.get("awaiting_red_flag_answer") and intent not in RED_FLAG_INTENTS:
        if intent in ("affirm", "deny") or parsing.parse_yes_no(text) is not None:
            return updates  # a yes/no to the clarifying question, handled by its own rules
        # Not an answer to it. Inside the questions the form asks it once more; after that,
        # or when the questions are left, it is not kept open for a later "no" to answer.
        if active_loop != FORM or clarifying_asked_again or intent in LEAVE_THE_QUESTIONS:
            pending = slots.get("pending_red_flag")
            updates.update(awaiting_red_flag_answer=False, pending_red_flag=None)
            if pending in FLAG_LEVELS:
                updates.update(record_flags({**slots, **updates}, [evidence_entry(
                    pending, FLAG_LEVELS[pending], "clarifying question not answered",
                    "clarifying_question", text, status="unanswered")]))

    requested = slots.get("requested_slot") if active_loop == FORM else None
    if requested == ASK_AGAIN_SLOT:
        requested = None  # its answer is the clarifying question's, read above
    earlier = _correction_of_an_earlier_number(text, slots, today)
    if earlier:
        updates.update(earlier)
        requested = None  # the message corrects that answer; it does not answer this one
    if requested and (not is_digression(intent, confidence) or _answers_despite_intent(
            requested, text, intent, today)):
        if intent == "refuse_answer" and requested in CHECKLIST_FLAGS:
            # The "Rather not say" button is final; a typed "skip" first hears why it matters
            # (and is taken as declined when said again, see ValidateTriageForm).
            if text.startswith("/"):
                updates["declined_safety_questions"] = _added(
                    slots.get("declined_safety_questions"), requested)
        else:
            # The answer read from the text first: "id say 2" is a severity, whatever the
            # classifier thinks of it; "no idea" reads as nothing and is left for the physio.
            answer = _answer_to_requested(requested, text, intent, today)
            if not answer and intent in SKIP_INTENTS and requested not in CHECKLIST_FLAGS:
                updates["skipped_questions"] = _added(slots.get("skipped_questions"), requested)
            updates.update(answer)
        if updates.get(requested) is True:
            flag, level = CHECKLIST_FLAGS[requested]
            updates.update(record_flags({**slots, **updates}, [evidence_entry(
                flag, level, f"yes to the checklist question {requested}",
                f"checklist:{requested}", text)]))

    if intent in MAY_VOLUNTEER:
        may_replace = correcting or intent == "correct_info" or parsing.is_correction(text)
        for slot in VOLUNTEERED:
            if slot == requested:
                continue
            found = _parsed(slot, text, answering=False, today=today)
            if slot in found and (slots.get(slot) is None or may_replace):
                updates.update({k: v for k, v in found.items() if k not in updates})
        if slots.get("onset") and not slots.get("onset_activity") and requested != "onset" \
                and not any(k in updates for k in TRIAGE_SLOTS) \
                and not parsing.parse_eases_worsens(text):
            # "Suddenly", then "picking up my toddler": more about how it started.
            activity = (parsing.parse_onset(text, answering=True) or (None, None))[1]
            if activity:
                updates["onset_activity"] = activity
        volunteered = parsing.parse_eases_worsens(text)
        if volunteered and requested != "eases_worsens" and slots.get("eases_worsens") is None:
            updates["eases_worsens"] = volunteered

    skipped = updates.get("skipped_questions", slots.get("skipped_questions")) or []
    if any(updates.get(name) is not None for name in skipped):
        # Left for the physio earlier, answered now after all.
        updates["skipped_questions"] = [n for n in skipped if updates.get(n) is None]
    changed_triage = {k for k in updates if k in TRIAGE_SLOTS + ["patient_relation", "patient_age"]}
    if changed_triage:
        updates["triage_summary"] = triage_summary({**slots, **updates})
    corrections = corrected_slots(slots, updates)
    if corrections or slots.get("corrected_slots"):
        updates["corrected_slots"] = corrections or None  # this turn's only
    return updates


def _added(names: Optional[List[Text]], name: Text) -> List[Text]:
    names = list(names or [])
    return names if name in names else names + [name]


def corrected_slots(slots: Dict[Text, Any], updates: Dict[Text, Any]) -> List[Text]:
    """Main triage answers the patient changed (not filled for the first time)."""
    return [
        name for name in ("pain_location", "pain_radiates", "onset", "duration_weeks",
                          "severity", "desk_hours", "training_change")
        if name in updates and slots.get(name) is not None and slots[name] != updates[name]
    ]


SUMMARY_ACTIONS = {"utter_triage_summary", "utter_what_to_change"}


def last_bot_action(tracker: Tracker) -> Optional[Text]:
    """The last action before the patient's message, ignoring listening."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event["name"] != "action_listen":
            return event["name"]
    return None


def answering_a_message(tracker: Tracker) -> bool:
    """True when the form runs straight after the patient spoke (not after a digression).

    Rasa shows the validation action the form's own run as the latest action.
    """
    actions = [e["name"] for e in reversed(tracker.events) if e.get("event") == "action"]
    return len(actions) > 1 and actions[1] == "action_listen"


def times_asked(tracker: Tracker, slot: Text, form: Text = FORM,
                since: Text = "action_start_over") -> int:
    """How often the form has asked for this slot since the questions (re)started."""
    asked = 0
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == since:
            break
        if event.get("event") == "bot" and (event.get("metadata") or {}).get(
                "utter_action") == f"utter_ask_{form}_{slot}":
            asked += 1
    return asked


class ActionExtractTriageSlots(Action):
    """Runs after every user message (the slots' custom mapping)."""

    def name(self) -> Text:
        return "action_extract_triage_slots"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        message = tracker.latest_message
        slots = tracker.current_slot_values()
        updates = extract_updates(
            message.get("text") or "",
            (message.get("intent") or {}).get("name") or "",
            message.get("entities") or [],
            slots,
            tracker.active_loop_name,
            confidence=(message.get("intent") or {}).get("confidence") or 0.0,
            correcting=last_bot_action(tracker) in SUMMARY_ACTIONS,
            clarifying_asked_again=question_before_user_message(tracker) == ASKED_AGAIN,
        )
        # Rasa drops messages sent during slot extraction; the form's validation speaks.
        return [SlotSet(name, value) for name, value in updates.items()]


def _clarifying_question_left_this_turn(tracker: Tracker, set_this_turn: set) -> bool:
    evidence = tracker.get_slot("red_flag_evidence") or []
    return "red_flag_evidence" in set_this_turn and bool(evidence) and \
        evidence[-1].get("rule") == "clarifying_question" and \
        evidence[-1].get("status") == "unanswered"


class ValidateTriageForm(FormValidationAction):
    """Which questions are still needed, and a kind re-ask when an answer wasn't clear."""

    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("triage_level") in ESCALATED:
            return []  # a red flag ends the questions: advice comes first
        if tracker.get_slot("booking_requested"):
            domain_slots = [slot for slot in domain_slots
                            if slot in CHECKLIST_SLOTS or slot == ASK_AGAIN_SLOT]
        left_out = set(tracker.get_slot("skipped_questions") or []) | set(
            tracker.get_slot("declined_safety_questions") or [])
        if not tracker.get_slot("awaiting_red_flag_answer"):
            left_out.add(ASK_AGAIN_SLOT)  # asked only while a clarifying answer is owed
        return [slot for slot in domain_slots if slot not in left_out]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        intent = tracker.latest_message.get("intent") or {}
        name = intent.get("name")
        clarifying = tracker.get_slot("awaiting_red_flag_answer") and name in ("affirm", "deny")
        set_this_turn = slots_set_since_user_message(tracker) - {"requested_slot"}
        requested = tracker.get_slot("requested_slot")
        answered = requested in set_this_turn
        if name in RED_FLAG_INTENTS and answering_a_message(tracker):
            # Run again after action_ask_red_flag_question chose not to ask (a family the
            # patient already said no to), the questions go on.
            raise ActionExecutionRejection(self.name(), "a red flag comes before the questions")
        typed = parsing.parse_yes_no(tracker.latest_message.get("text") or "") \
            if tracker.get_slot("awaiting_red_flag_answer") and not clarifying else None
        if typed is not None:
            # A typed yes or no to the clarifying question the classifier did not read as one.
            answered_events = clarifying_answer(tracker, typed)
            tracker.add_slots(answered_events)
            if not typed:
                dispatcher.utter_message(response="utter_red_flag_cleared")
            return answered_events + await super().run(dispatcher, tracker, domain)
        if clarifying or (name in NOT_ANSWERS and not answered and answering_a_message(tracker)):
            return []  # nothing answered: Rasa rejects the form and a rule takes the turn
        if _clarifying_question_left_this_turn(tracker, set_this_turn):
            # Here, not before a digression's answer: a rejected run's messages are dropped.
            dispatcher.utter_message(response="utter_clarifying_question_left")
        left = self._leave_unanswered(dispatcher, tracker, requested, set_this_turn)
        tracker.add_slots(left)
        events = left + await super().run(dispatcher, tracker, domain)
        if "booking_requested" in set_this_turn and name != "request_booking" and any(
                tracker.get_slot(slot) is None for slot in CHECKLIST_SLOTS):
            dispatcher.utter_message(response="utter_booking_questions_first")
        if not answering_a_message(tracker):
            return events  # back from a digression: nothing new to acknowledge
        corrected = "corrected_slots" in set_this_turn and tracker.get_slot("corrected_slots")
        if corrected:
            dispatcher.utter_message(response="utter_noted_correction")
        if "skipped_questions" in set_this_turn and requested in (
                tracker.get_slot("skipped_questions") or []):
            dispatcher.utter_message(response="utter_noted_skip")
            # Counts as an answer, so Rasa keeps the form going to the next question.
            events.append(SlotSet("skipped_questions", tracker.get_slot("skipped_questions")))
        if "declined_safety_questions" in set_this_turn and requested in (
                tracker.get_slot("declined_safety_questions") or []):
            dispatcher.utter_message(response="utter_noted_declined_safety")
            events.append(SlotSet("declined_safety_questions",
                                  tracker.get_slot("declined_safety_questions")))
        skipped_now = requested in (tracker.get_slot("skipped_questions") or []) + (
            tracker.get_slot("declined_safety_questions") or [])
        if requested == ASK_AGAIN_SLOT:
            # Answered or left, it counts as a reply, so Rasa keeps the form going.
            events.append(SlotSet("awaiting_red_flag_answer",
                                  tracker.get_slot("awaiting_red_flag_answer")))
        elif requested and not answered and not left and not skipped_now and not corrected:
            if set_this_turn & set(TRIAGE_SLOTS):
                # An answer to another question: kept, and the open one asked again.
                dispatcher.utter_message(response="utter_noted_other_answer")
            else:
                dispatcher.utter_message(response="utter_default")
            unclear = (tracker.get_slot("unclear_answers") or 0) + 1
            events.append(SlotSet("unclear_answers", unclear))
        return events

    @staticmethod
    def _leave_unanswered(dispatcher: CollectingDispatcher, tracker: Tracker,
                          requested: Optional[Text], set_this_turn: set) -> List[EventType]:
        """After the second ask without an answer, the question is left, never asked again."""
        if not requested or requested in set_this_turn or \
                times_asked(tracker, requested) < MAX_ASKS:
            return []
        if requested in CHECKLIST_FLAGS:
            dispatcher.utter_message(response="utter_noted_declined_safety")
            return [SlotSet("declined_safety_questions", _added(
                tracker.get_slot("declined_safety_questions"), requested))]
        dispatcher.utter_message(response="utter_leave_for_physio")
        return [SlotSet("skipped_questions", _added(
            tracker.get_slot("skipped_questions"), requested))]


class ActionFinishTriage(Action):
    """After the form: the level is routine unless a red flag raised it; summary ready."""

    def name(self) -> Text:
        return "action_finish_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        level = slots.get("triage_level") or "routine"
        summary = triage_summary(slots, finished=True)
        events: List[EventType] = [SlotSet("triage_level", level),
                                   SlotSet("triage_summary", summary)]
        settled = [family for family, slots_asked in CHECKLIST_SETTLES_CHECK.items()
                   if all(slots.get(name) is False for name in slots_asked)]
        events += [SlotSet(name, value) for name, value in emergency_check_updates(
            {**slots, "triage_level": level}, answered=settled).items()]
        if level == "routine" and slots.get("booking_requested"):
            # They asked to book: the safety questions are done, so straight to the times.
            dispatcher.utter_message(response="utter_triage_summary_for_booking",
                                     triage_summary=summary)
            events.append(FollowupAction("action_start_booking"))
        return events


class ActionOfferBooking(Action):
    def name(self) -> Text:
        return "action_offer_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        return [SlotSet("booking_status", "offered")]


class ActionStartOver(Action):
    """Clears the answers to start the questions again; red flags are never cleared."""

    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        cleared = TRIAGE_SLOTS + CHECKLIST_SLOTS + [
            "skipped_questions", "declined_safety_questions", "triage_summary", "requested_slot"]
        return [SlotSet(name, None) for name in cleared] + [SlotSet("unclear_answers", 0)]
