"""`make eval-conversations`: whole scripted conversations against the real servers.

Each script (tests/holdout/triage_scripts_frozen.yml, written from public patient accounts by
someone who had not read the domain) gives the patient's opening turns, how that person would
answer each question, and the outcome a clinician expects. The patient sends the turns in
order whatever the bot says, then answers what the bot asks from `answers`. Printed: the
outcome rate per expected outcome, the rate of plainly stated facts in their slots, crashes,
and every miss with its transcript in the report file. Never tune on the frozen set.
"""

import argparse
import json
import secrets
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import yaml

from redflags.levels import ESCALATED
from scripts.stack import ROOT, local_stack
from tests.conftest import Assistant

DEFAULT_SCRIPTS = ROOT / "tests" / "holdout" / "triage_scripts_frozen.yml"
MAX_TURNS = 40
ANSWER_KEYS = {
    "pain_location": "location", "pain_radiates": "spreads", "onset": "onset",
    "duration_weeks": "duration", "severity": "severity", "eases_worsens": "eases_worsens",
    "desk_hours": "desk_hours", "training_change": "training_change",
}
LEVELS = {"routine": 0, "urgent": 1, "emergency": 2}


def outcome_of(tracker: Dict) -> Optional[str]:
    slots = tracker["slots"]
    if slots.get("triage_level") in ESCALATED:
        return slots["triage_level"]
    active = (tracker.get("active_loop") or {}).get("name")
    if slots.get("booking_status") in ("offered", "requested") or active == "booking_form":
        return "booking_offered"
    return None


def next_answer(script: Dict, tracker: Dict, replies: List[Dict]) -> Optional[str]:
    """What this patient says next once the scripted turns are used up."""
    answers = script.get("answers") or {}
    slots = tracker["slots"]
    active = (tracker.get("active_loop") or {}).get("name")
    if slots.get("awaiting_red_flag_answer"):
        return "yes" if script["expect"]["outcome"] in ESCALATED else "no"
    requested = slots.get("requested_slot")
    if active == "triage_form" and requested:
        if requested.startswith("check_"):
            return str(answers.get("checklist") or "no")
        return str(answers.get(ANSWER_KEYS.get(requested, ""), "") or "not sure")
    if script["expect"]["outcome"] == "answered":
        return None
    if any(reply.get("buttons") for reply in replies):
        return "yes"
    return str(answers.get("booking") or "yes please, can I book?")


def run_script(client: Assistant, script: Dict) -> Dict[str, Any]:
    sender = f"eval-{script['id']}-{secrets.token_hex(4)}"
    transcript: List[str] = []
    escalated_at: Optional[int] = None
    crashed = False
    turns = list(script.get("turns") or [])
    tracker = client.tracker(sender)
    replies: List[Dict] = []
    asked: set = set()  # the triage questions the patient was asked, and answered
    for index in range(MAX_TURNS):
        if index < len(turns):
            text = str(turns[index])
        else:
            if (tracker.get("active_loop") or {}).get("name") == "triage_form":
                asked.add(tracker["slots"].get("requested_slot"))
            text = next_answer(script, tracker, replies)
            if text is None:
                break
        transcript.append(f"patient: {text}")
        try:
            replies = client.say(sender, text)
        except requests.RequestException as error:
            transcript.append(f"(error: {error})")
            crashed = True
            break
        transcript += [f"bot: {r.get('text', '')}" + (
            f"  [{' | '.join(b['title'] for b in r['buttons'])}]" if r.get("buttons") else "")
            for r in replies]
        if not replies:
            transcript.append("(no reply)")
        tracker = client.tracker(sender)
        outcome = outcome_of(tracker)
        if outcome in ESCALATED and escalated_at is None:
            escalated_at = index
        if outcome and index >= len(turns) - 1:
            break
    return {"transcript": transcript, "tracker": tracker, "escalated_at": escalated_at,
            "crashed": crashed, "asked": asked}


def fact_matches(name: str, expected: Any, actual: Any) -> bool:
    if actual is None:
        return False
    if name == "duration_weeks":
        return abs(float(actual) - float(expected)) <= 0.15 * float(expected) + 0.15
    if isinstance(expected, (int, float)):
        return abs(float(actual) - float(expected)) < 0.51
    return str(actual) == str(expected)


def judge(script: Dict, run: Dict) -> Dict[str, Any]:
    expect = script["expect"]
    wanted = expect["outcome"]
    slots = run["tracker"]["slots"]
    got = outcome_of(run["tracker"])
    if wanted in ESCALATED:
        turn = expect.get("red_flag_turn") or 0
        at = run["escalated_at"]
        right = (got is not None and got in LEVELS and LEVELS[got] >= LEVELS[wanted]
                 and at is not None and turn <= at <= turn + 1)
    elif wanted == "answered":
        right = got not in ESCALATED and not run["crashed"]
    else:
        right = got == "booking_offered"
    facts = {name: fact_matches(name, value, slots.get(name))
             for name, value in (expect.get("facts") or {}).items() if value is not None}
    # A fact only in `answers` is never stated when the conversation ends (a red flag, a
    # booking request) before its question: those count in "expected", not in "stated".
    stated = {name: ok for name, ok in facts.items()
              if name in run["asked"] or slots.get(name) is not None}
    return {"right": right and not run["crashed"], "got": got, "facts": facts, "stated": stated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scripts", nargs="?", default=str(DEFAULT_SCRIPTS))
    parser.add_argument("--report", default="results/eval_conversations.txt")
    args = parser.parse_args()
    scripts = yaml.safe_load(Path(args.scripts).read_text())["conversations"]

    with tempfile.TemporaryDirectory(prefix="eval-conversations-") as workdir, \
            local_stack(Path(workdir)) as stack:
        client = Assistant(stack.url, stack.token, stack.env["PRACTICE_DB_URL"])
        results = [(script, judge(script, run := run_script(client, script)), run)
                   for script in scripts]

    by_outcome, right_by_outcome, fact_total, fact_right = Counter(), Counter(), Counter(), Counter()
    stated_total, stated_right = Counter(), Counter()
    lines: List[str] = []
    for script, verdict, run in results:
        wanted = script["expect"]["outcome"]
        by_outcome[wanted] += 1
        right_by_outcome[wanted] += verdict["right"]
        for name, ok in verdict["facts"].items():
            fact_total[name] += 1
            fact_right[name] += ok
        for name, ok in verdict["stated"].items():
            stated_total[name] += 1
            stated_right[name] += ok
        missed = [n for n, ok in verdict["facts"].items() if not ok]
        if not verdict["right"] or missed:
            slots = run["tracker"]["slots"]
            lines.append(f"## {script['id']} expected {wanted}, got {verdict['got']} "
                         f"(escalated at turn {run['escalated_at']}); facts missed: "
                         + ", ".join(f"{n}={script['expect']['facts'][n]!r} got {slots.get(n)!r}"
                                     for n in missed))
            lines += run["transcript"] + [""]
    total = sum(by_outcome.values())
    right = sum(right_by_outcome.values())
    print(f"right outcome: {right}/{total} = {right / total:.1%}")
    for wanted in sorted(by_outcome):
        print(f"  {wanted:16s} {right_by_outcome[wanted]}/{by_outcome[wanted]}")
    facts, stated = sum(fact_total.values()), sum(stated_total.values())
    print(f"facts in their slots, of all expected: {sum(fact_right.values())}/{facts} = "
          f"{sum(fact_right.values()) / max(facts, 1):.1%}")
    right_stated = sum(stated_right.values())
    print(f"facts in their slots, of those stated (asked, or read from a message): "
          f"{right_stated}/{stated} = {right_stated / max(stated, 1):.1%}")
    for name in sorted(fact_total):
        print(f"  {name:16s} expected {fact_right[name]}/{fact_total[name]}, "
              f"stated {stated_right[name]}/{stated_total[name]}")
    print(f"crashes: {sum(run['crashed'] for _, _, run in results)}")
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text("\n".join(lines))
    print(f"misses and their transcripts: {args.report}")
    print(json.dumps({"right": right, "total": total}))


if __name__ == "__main__":
    main()
