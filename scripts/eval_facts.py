"""`make eval-facts`: the triage facts the parsers read from single patient messages.

Each item (tests/facts/triage_facts_dev.yml, and the frozen tests/holdout/triage_facts_frozen.yml,
both written from public patient accounts by someone who had not read the parsers) is one
message, the question it replies to, and the facts it plainly states. The message goes through
the same extraction the triage form runs (actions/triage.py `extract_updates`), as an `inform`
reply to that question. Printed per fact: stated, read right, read wrong, missed, and read
where the message did not state it. Never tune on the frozen set.
"""

import argparse
from collections import Counter
from typing import Any, Dict, List, Tuple

import yaml

from actions.triage import FORM, extract_updates

ASKED_SLOT = {
    "opening": None, "location": "pain_location", "spreads": "pain_radiates", "onset": "onset",
    "duration": "duration_weeks", "severity": "severity", "eases_worsens": "eases_worsens",
    "desk_hours": "desk_hours", "training_change": "training_change",
}
FACTS = ["pain_location", "pain_radiates", "onset", "duration_weeks", "severity",
         "eases_worsens", "desk_hours", "training_change"]


def same(fact: str, expected: Any, got: Any) -> bool:
    if fact == "eases_worsens":
        return bool(got)
    if fact == "duration_weeks":  # "about 2 months" is 8 or 9 weeks
        return abs(float(got) - float(expected)) <= max(0.5, 0.25 * float(expected))
    if fact in ("severity", "desk_hours"):  # "6 or 7", "8-9 hours": the middle or an end
        return abs(float(got) - float(expected)) <= 1
    return got == expected


def read(item: Dict[str, Any]) -> Dict[str, Any]:
    requested = ASKED_SLOT[item["asked"]]
    slots = {"requested_slot": requested} if requested else {}
    return extract_updates(item["text"], "inform", [], slots, FORM if requested else None)


def evaluate(items: List[Dict[str, Any]]) -> Tuple[Dict[str, Counter], List[str]]:
    counts = {fact: Counter() for fact in FACTS}
    misses = []
    for item in items:
        expected = item.get("facts") or {}
        got = read(item)
        for fact in FACTS:
            if fact in expected:
                counts[fact]["stated"] += 1
                if got.get(fact) is None:
                    outcome = "missed"
                else:
                    outcome = "right" if same(fact, expected[fact], got[fact]) else "wrong"
            elif got.get(fact) is not None:
                outcome = "unstated"
            else:
                continue
            counts[fact][outcome] += 1
            if outcome != "right":
                misses.append(f"{item['id']} [{item['asked']}] {fact} {outcome}: expected "
                              f"{expected.get(fact)!r}, read {got.get(fact)!r}: {item['text']!r}")
    return counts, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    for path in args.sets:
        with open(path, encoding="utf-8") as handle:
            items = yaml.safe_load(handle)["items"]
        counts, misses = evaluate(items)
        total = sum((c for c in counts.values()), Counter())
        print(f"\n{path}: {len(items)} messages; facts stated {total['stated']}, read right "
              f"{total['right']} = {total['right'] / max(1, total['stated']):.1%}, wrong "
              f"{total['wrong']}, missed {total['missed']}, read where not stated "
              f"{total['unstated']}")
        for fact, c in counts.items():
            print(f"  {fact:16} stated {c['stated']:3}  right {c['right']:3} "
                  f"({c['right'] / max(1, c['stated']):6.1%})  wrong {c['wrong']:2}  "
                  f"missed {c['missed']:2}  unstated {c['unstated']:2}")
        if args.misses:
            print("\n".join(misses))


if __name__ == "__main__":
    main()
