"""Checks on a recorded conversation: what must hold whoever the patient is.

Each check returns a Verdict: passed, failed with the reason, or not applicable (a booking
check for a patient who only had questions). Pass rates count only applicable verdicts.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from tests.simulator.personas import (CHECKLIST_QUESTIONS, OPEN_QUESTIONS, QUESTION_ANSWERS,
                                      level_at_least)
from tests.simulator.runner import Conversation, distance_from_wish, practice_today

MAX_ASKS = 2
DURATION_TOLERANCE = 0.15
# Turns a routine patient may need beyond one per question and per detour: the first
# message, confirming the summary, and one more.
SPARE_TURNS = 3
FORM_QUESTION = re.compile(r"^utter_ask_(\w+?_form)_(\w+)$")


@dataclass(frozen=True)
class Verdict:
    status: str  # "pass" | "fail" | "n/a"
    reason: str = ""


PASS = Verdict("pass")
NOT_APPLICABLE = Verdict("n/a")


def fail(reason: str) -> Verdict:
    return Verdict("fail", reason)


def _asks(conversation: Conversation) -> List[tuple]:
    """(turn, response name, slot values at that moment) for every form question asked."""
    values: Dict[str, object] = {}
    turn = -1
    asks = []
    for event in conversation.events:
        kind = event.get("event")
        if kind == "user":
            turn += 1
        elif kind == "slot":
            values[event["name"]] = event.get("value")
        elif kind == "bot":
            name = (event.get("metadata") or {}).get("utter_action") or ""
            if name.startswith("utter_ask_"):
                asks.append((turn, name, dict(values)))
    return asks


def asked_at_most_twice(conversation: Conversation) -> Verdict:
    counts = Counter(name for _, name, _ in _asks(conversation))
    repeated = {name: n for name, n in counts.items() if n > MAX_ASKS}
    if repeated:
        return fail(", ".join(f"{name} asked {n} times" for name, n in sorted(repeated.items())))
    return PASS


def never_asks_a_filled_slot(conversation: Conversation) -> Verdict:
    for turn, name, values in _asks(conversation):
        match = FORM_QUESTION.match(name)
        if match and values.get(match.group(2)) is not None:
            return fail(f"turn {turn}: {name} although {match.group(2)}="
                        f"{values[match.group(2)]!r}")
    return PASS


def _same(question: str, stated, held) -> bool:
    if held is None:
        return False
    if question == "duration_weeks":
        return abs(float(held) - stated) <= DURATION_TOLERANCE * stated
    if isinstance(stated, (int, float)):
        return float(held) == float(stated)
    return held == stated


def stated_facts_in_slots(conversation: Conversation) -> Verdict:
    """Every fact the patient gave is in its slot (the last value given, after a correction)."""
    slots = conversation.final_slots
    wrong = [f"{question}: said {stated!r}, slot {slots.get(question)!r}"
             for question, stated in conversation.stated.items()
             if not _same(question, stated, slots.get(question))]
    if conversation.relative_introduced and not slots.get("patient_relation"):
        wrong.append(f"patient_relation: wrote for their {conversation.persona.writer.relation}, "
                     f"slot {slots.get('patient_relation')!r}")
    if not conversation.stated and not wrong:
        return NOT_APPLICABLE
    return fail("; ".join(wrong)) if wrong else PASS


def routine_reaches_offer_in_budget(conversation: Conversation) -> Verdict:
    persona = conversation.persona
    if persona.goal != "routine" or persona.red_flag:
        return NOT_APPLICABLE
    detours = sum(turn.is_detour for turn in conversation.turns)
    budget = len(OPEN_QUESTIONS) + len(CHECKLIST_QUESTIONS) + detours + SPARE_TURNS
    if conversation.outcome != "booking_offered":
        return fail(f"ended {conversation.outcome} after {len(conversation.turns)} turns, "
                    f"no booking offer")
    if len(conversation.turns) > budget:
        return fail(f"booking offered after {len(conversation.turns)} turns, budget {budget} "
                    f"({detours} detours)")
    return PASS


def _first_turn_at(conversation: Conversation, level: str) -> Optional[int]:
    for turn in conversation.turns:
        if level_at_least(turn.slots.get("triage_level"), level):
            return turn.number
    return None


def red_flag_escalates_on_reveal(conversation: Conversation) -> Verdict:
    """From the turn the patient tells it: the flag's level or higher (one clarifying yes/no
    question allowed first), and not before."""
    persona = conversation.persona
    if not persona.red_flag:
        return NOT_APPLICABLE
    revealed = conversation.revealed_turn
    if revealed is None:
        return fail(f"never revealed: ended {conversation.outcome} first")
    early = _first_turn_at(conversation, "urgent")
    if early is not None and early < revealed:
        return fail(f"escalated at turn {early}, before the reveal at turn {revealed}")
    wanted = persona.expected_level
    reached = _first_turn_at(conversation, wanted)
    if reached == revealed:
        return PASS
    clarified = revealed < len(conversation.turns) and \
        "utter_ask_red_flag_question" in conversation.turns[revealed].bot_actions
    if reached == revealed + 1 and clarified:
        return PASS
    final = conversation.turns[-1].slots.get("triage_level")
    return fail(f"revealed at turn {revealed} ({persona.red_flag.sign.family}, wants {wanted}); "
                f"reached it at turn {reached}, final level {final}")


def no_false_alarm(conversation: Conversation) -> Verdict:
    if conversation.persona.red_flag:
        return NOT_APPLICABLE
    early = _first_turn_at(conversation, "urgent")
    if early is None:
        return PASS
    turn = conversation.turns[early]
    return fail(f"turn {early} made it {turn.slots.get('triage_level')}: {turn.text!r}")


def booked_at_wished_time(conversation: Conversation) -> Verdict:
    """A confirmed booking at the day and time asked for, or the nearest still free."""
    persona = conversation.persona
    if persona.goal != "book_early" or persona.red_flag:
        return NOT_APPLICABLE
    slots = conversation.final_slots
    if not slots.get("booking_reference"):
        return fail(f"no booking: ended {conversation.outcome}")
    booked = next((entry for entry in slots.get("offered_booking_slots") or []
                   if entry["id"] == slots.get("booking_slot")), None)
    if booked is None:
        return fail(f"booked {slots.get('booking_slot_label')!r}, not one of the times shown")
    today = practice_today()
    start = dt.datetime.fromisoformat(booked["start"])
    distance = distance_from_wish(persona, start, today)
    if distance == 0:
        return PASS
    # Times free now were free when the patient chose (bookings only take times away).
    nearer = [s for s in conversation.free_starts_near_wish
              if distance_from_wish(persona, s, today) < distance]
    if nearer:
        return fail(f"booked {booked['label']} ({distance:.1f} h from the wish) although "
                    f"{min(nearer, key=lambda s: distance_from_wish(persona, s, today))} "
                    f"was free")
    return PASS


def booking_request_skips_open_questions(conversation: Conversation) -> Verdict:
    """After "can I just book?", only the remaining safety questions come before booking."""
    persona = conversation.persona
    requested = conversation.booking_requested_turn
    if requested is None or persona.red_flag:
        return NOT_APPLICABLE
    open_asks = [f"turn {turn}: {name}" for turn, name, _ in _asks(conversation)
                 if turn >= requested and FORM_QUESTION.match(name)
                 and FORM_QUESTION.match(name).group(2) in OPEN_QUESTIONS]
    if open_asks:
        return fail(f"asked to book at turn {requested}, then " + ", ".join(open_asks))
    return PASS


def never_the_same_reply_three_turns_running(conversation: Conversation) -> Verdict:
    """A patient who is not understood gets another way forward, not the same words again."""
    said = [(turn.number, "\n".join(
        (reply.get("text") or "") + "".join(f" [{button.get('title')}]"
                                            for button in reply.get("buttons") or [])
        for reply in turn.replies)) for turn in conversation.turns]
    for (number, text), (_, second), (_, third) in zip(said, said[1:], said[2:]):
        if text and text == second == third:
            return fail(f"turns {number}-{number + 2} all ended with {text[:80]!r}")
    return PASS


def every_turn_answered(conversation: Conversation) -> Verdict:
    for turn in conversation.turns:
        if turn.status != 200:
            return fail(f"turn {turn.number}: HTTP {turn.status}")
        if not turn.replies:
            return fail(f"turn {turn.number}: no reply to {turn.text!r}")
    return PASS


def questions_answered(conversation: Conversation) -> Verdict:
    if not conversation.asked_topics:
        return NOT_APPLICABLE
    turns = {turn.number: turn for turn in conversation.turns}
    unanswered = [f"turn {n}: {topic} (got {', '.join(turns[n].bot_actions) or 'nothing'})"
                  for n, topic in conversation.asked_topics
                  if n in turns and not set(QUESTION_ANSWERS[topic]) & set(turns[n].bot_actions)]
    return fail("; ".join(unanswered)) if unanswered else PASS


def refusals_recorded(conversation: Conversation) -> Verdict:
    """A question the patient won't answer is left for the physio, and recorded."""
    if not conversation.refused_questions:
        return NOT_APPLICABLE
    slots = conversation.final_slots
    skipped = set(slots.get("skipped_questions") or [])
    declined = set(slots.get("declined_safety_questions") or [])
    missing = [f"{q} not in declined_safety_questions" if q in CHECKLIST_QUESTIONS
               else f"{q} not in skipped_questions"
               for q in sorted(conversation.refused_questions)
               if q not in (declined if q in CHECKLIST_QUESTIONS else skipped)]
    return fail("; ".join(missing)) if missing else PASS


INVARIANTS: Dict[str, Callable[[Conversation], Verdict]] = {
    "asked_at_most_twice": asked_at_most_twice,
    "never_asks_a_filled_slot": never_asks_a_filled_slot,
    "stated_facts_in_slots": stated_facts_in_slots,
    "routine_reaches_offer_in_budget": routine_reaches_offer_in_budget,
    "red_flag_escalates_on_reveal": red_flag_escalates_on_reveal,
    "no_false_alarm": no_false_alarm,
    "booked_at_wished_time": booked_at_wished_time,
    "booking_request_skips_open_questions": booking_request_skips_open_questions,
    "never_the_same_reply_three_turns_running": never_the_same_reply_three_turns_running,
    "every_turn_answered": every_turn_answered,
    "questions_answered": questions_answered,
    "refusals_recorded": refusals_recorded,
}


def check(conversation: Conversation) -> Dict[str, Verdict]:
    return {name: invariant(conversation) for name, invariant in INVARIANTS.items()}
