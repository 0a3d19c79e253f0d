"""Recording red flags in the conversation, and the actions around escalation.

Recording is one function used by every path (a flag in any message, a "yes" in the
checklist, a "yes" to a clarifying question), so the audit trail is the same whichever
path found it. `red_flags` only grows and `triage_level` only goes up.
"""

from typing import Any, Dict, Iterable, List, Optional, Set, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.history import slots_set_since_user_message
from redflags.detector import detect
from redflags.levels import (EMERGENCY_CHECKS, FLAG_LEVELS, FLAG_SOURCES, LEVEL_ORDER,
                             combined_level, emergency_check, max_level)

# The checklist question each form slot asks, and the flag a "yes" means.
CHECKLIST_FLAGS = {
    "check_bladder_bowel": ("cauda_equina", "emergency"),
    "check_saddle_numbness": ("cauda_equina", "emergency"),
    "check_leg_weakness": ("progressive_neuro_deficit", "urgent"),
    "check_fever_unwell": ("infection", "urgent"),
    "check_cancer_history": ("cancer", "urgent"),
    "check_recent_trauma": ("trauma_fracture", "emergency"),
    "check_chest_breathing": ("cardiac_vascular", "emergency"),
}


def evidence_entry(flag: Text, level: Text, trigger: Text, rule: Text, message: Text,
                   status: Text = "present", source: Optional[Text] = None) -> Dict[Text, Any]:
    return {
        "flag": flag,
        "level": level,
        "status": status,
        "trigger": trigger,
        "rule": rule,
        "source": source or FLAG_SOURCES.get(flag, ""),
        "message": message[:500],
    }


def record_flags(slots: Dict[Text, Any], entries: Iterable[Dict[Text, Any]]) -> Dict[Text, Any]:
    """Slot updates that add these evidence entries (only `present` ones raise the level)."""
    entries = list(entries)
    if not entries:
        return {}
    evidence = list(slots.get("red_flag_evidence") or []) + entries
    present = [e for e in evidence if e["status"] == "present"]
    flags = list(slots.get("red_flags") or [])
    for entry in present:
        if entry["flag"] not in flags:
            flags.append(entry["flag"])
    level = max_level(slots.get("triage_level"),
                      combined_level((e["flag"], e["level"]) for e in present))
    updates: Dict[Text, Any] = {"red_flag_evidence": evidence}
    new_present = [e for e in entries if e["status"] == "present"]
    if new_present:
        worst = max(new_present, key=lambda e: LEVEL_ORDER[e["level"]])
        updates.update(red_flags=flags, latest_red_flag=worst["flag"])
        if level != "routine":
            updates["triage_level"] = level
    return updates


def entries_from_entities(entities: List[Dict[Text, Any]], text: Text) -> List[Dict[Text, Any]]:
    return [
        evidence_entry(e["value"], e.get("level", FLAG_LEVELS[e["value"]]),
                       e.get("trigger", ""), e.get("rule", ""), text,
                       source=e.get("source"))
        for e in entities if e.get("entity") == "red_flag"
    ]


def flags_about_the_relative(text: Text, relation: Text,
                             entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Signs the message-by-message detector took for someone else's, in a conversation
    already known to be about this relative ("I'm helping my son", then "he's been on
    prednisone for years"): his signs are the patient's."""
    found = {e["value"] for e in entities if e.get("entity") == "red_flag"}
    return [evidence_entry(d.flag, d.level, d.trigger, d.rule, text, source=d.source)
            for d in detect(text, writing_for=relation).present if d.flag not in found]


def denied_families(evidence: Optional[List[Dict[Text, Any]]]) -> Set[Text]:
    """Families whose clarifying question the patient has answered no."""
    return {entry.get("flag") for entry in evidence or []
            if entry.get("status") == "denied_by_patient"}


def clarifying_answer_updates(slots: Dict[Text, Any], yes: bool, message: Text) -> Dict[Text, Any]:
    """The patient's yes or no to the clarifying question, recorded like any other flag."""
    pending = slots.get("pending_red_flag")
    updates: Dict[Text, Any] = {}
    if pending in FLAG_LEVELS:
        updates = record_flags(slots, [evidence_entry(
            pending, FLAG_LEVELS[pending],
            f"{'yes' if yes else 'no'} to the clarifying question", "clarifying_question",
            message, status="present" if yes else "denied_by_patient")])
    updates.update(awaiting_red_flag_answer=False, pending_red_flag=None)
    return updates


EMERGENCY_CHECK_RULE = "emergency_check:"


def checked_families(evidence: Optional[List[Dict[Text, Any]]]) -> Set[Text]:
    """Families whose emergency check has been asked (whatever the answer)."""
    return {entry["rule"][len(EMERGENCY_CHECK_RULE):] for entry in evidence or []
            if str(entry.get("rule", "")).startswith(EMERGENCY_CHECK_RULE)}


def emergency_check_updates(slots: Dict[Text, Any],
                            answered: Iterable[Text] = ()) -> Dict[Text, Any]:
    """Slots that make the follow-up ask the emergency check, when an urgent flag has one
    (`answered`: families whose check the checklist's own answers already settled)."""
    evidence = slots.get("red_flag_evidence") or []
    checked = checked_families(evidence) | set(answered)
    found = [(entry["flag"], str(entry.get("rule", ""))) for entry in evidence
             if entry.get("status") == "present"]
    family = emergency_check(found, slots.get("triage_level"), checked)
    if family is None:
        return {}
    return {"emergency_check": family, "awaiting_emergency_check": True,
            "emergency_check_asked_again": False}


def answers_emergency_check(family: Text, text: Text,
                            relation: Optional[Text] = None) -> bool:
    """A message that names a sign of the emergency combination answers its check yes
    ("she had an operation on her spine two weeks ago" after her fever)."""
    if family not in EMERGENCY_CHECKS:
        return False
    result = detect(text, writing_for=relation)
    found = {d.flag for d in result.present} | {
        d.rule.split("#")[0] for d in result.present + result.signs}
    return bool(found & EMERGENCY_CHECKS[family].answered_by)


def emergency_check_answer_updates(slots: Dict[Text, Any], answer: Optional[bool],
                                   message: Text) -> Dict[Text, Any]:
    """The answer to the emergency check, in the audit trail: a yes records the emergency
    combination; a no (`denied_combination`) or no answer (`unanswered`) leaves the level."""
    family = slots.get("emergency_check")
    updates: Dict[Text, Any] = {"awaiting_emergency_check": False}
    if family not in EMERGENCY_CHECKS:
        return updates
    check = EMERGENCY_CHECKS[family]
    said = {True: "yes", False: "no", None: "no answer"}[answer]
    status = {True: "present", False: "denied_combination", None: "unanswered"}[answer]
    entry = evidence_entry(check.flag, "emergency" if answer else FLAG_LEVELS[check.flag],
                           f"{said} to the emergency check: {check.why}",
                           f"{EMERGENCY_CHECK_RULE}{family}", message, status=status)
    updates.update(record_flags(slots, [entry]))
    return updates


def clarifying_answer(tracker: Tracker, yes: bool) -> List[EventType]:
    return _events(clarifying_answer_updates(
        tracker.current_slot_values(), yes, tracker.latest_message.get("text") or ""))


def _events(updates: Dict[Text, Any]) -> List[EventType]:
    return [SlotSet(name, value) for name, value in updates.items()]


def _end_form(tracker: Tracker) -> List[EventType]:
    if tracker.active_loop_name:
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    return []


class ActionEscalateRedFlag(Action):
    """Makes sure the flag is recorded and stops the triage form; the rule then speaks."""

    def name(self) -> Text:
        return "action_escalate_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        updates: Dict[Text, Any] = {"awaiting_red_flag_answer": False, "pending_red_flag": None}
        if tracker.get_slot("awaiting_red_flag_answer"):
            # The patient said yes to the clarifying question about this family.
            updates = clarifying_answer_updates(
                tracker.current_slot_values(), True, tracker.latest_message.get("text") or "")
        updates.update(emergency_check_updates({**tracker.current_slot_values(), **updates}))
        return _events(updates) + _end_form(tracker)


class ActionAnswerEmergencyCheck(Action):
    """The patient's yes or no to the emergency check; the rule then speaks."""

    def name(self) -> Text:
        return "action_answer_emergency_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return _events(emergency_check_answer_updates(
            tracker.current_slot_values(), intent == "affirm",
            tracker.latest_message.get("text") or ""))


def _weak_guess_on_an_answer(tracker: Tracker, question: Dict[Text, Any]) -> bool:
    """A learned-layer doubt below its second-look threshold, on a message that answered
    the question the form asked ("eleven days"): the answer explains the message."""
    requested = tracker.get_slot("requested_slot")
    if not str(question.get("rule", "")).startswith("learned:") or question.get("strong") \
            or not requested:
        return False
    return tracker.get_slot(requested) is not None and \
        requested in slots_set_since_user_message(tracker)


def ask_emergency_check_again(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """After a question asked instead of answering the emergency check, and its answer."""
    if tracker.get_slot("awaiting_emergency_check"):
        dispatcher.utter_message(response="utter_escalation_follow_up")


class ActionAskRedFlagQuestion(Action):
    """Remembers which family to ask about; the rule then asks the clarifying question."""

    def name(self) -> Text:
        return "action_ask_red_flag_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        question = next((e for e in tracker.latest_message.get("entities", [])
                         if e.get("entity") == "red_flag_question"), {})
        family = question.get("value")
        if tracker.active_loop_name == "triage_form" and (
                family in denied_families(tracker.get_slot("red_flag_evidence"))
                or family in (tracker.get_slot("red_flags") or [])
                or _weak_guess_on_an_answer(tracker, question)):
            # The form goes on (and ends at once for a flag already recorded). The rules'
            # doubts are asked; not a doubt already answered, already confirmed (a relative's
            # sign, read with the whole conversation), or weakly learned from an answer.
            return [SlotSet("awaiting_red_flag_answer", False)]
        return [SlotSet("pending_red_flag", family), SlotSet("awaiting_red_flag_answer", True)]


class ActionClearRedFlagQuestion(Action):
    """The patient said no to the clarifying question: note it for the clinician, go on."""

    def name(self) -> Text:
        return "action_clear_red_flag_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events = clarifying_answer(tracker, False)
        if not tracker.active_loop_name and tracker.get_slot("triage_level") is None \
                and tracker.get_slot("booking_status") is None:
            # Asked before any triage question: the conversation goes on with the questions.
            dispatcher.utter_message(response="utter_red_flag_cleared")
            events.append(FollowupAction("triage_form"))
        return events
