"""`make eval-safety`: recall per family, false alarms on near misses, and every miss.

A red flag counts as caught only when the detector escalates it with the right family; a
clarifying question on a real red flag is reported separately (strict recall excludes it).
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from typing import Dict, List

import yaml

from redflags.detector import RedFlagDetector
from redflags.levels import FLAG_LEVELS

DEFAULT_SET = "tests/data/red_flag_eval.yml"


def evaluate(detector: RedFlagDetector, labelled: Dict) -> Dict:
    per_family_total: Counter = Counter()
    per_family_hit: Counter = Counter()
    per_family_asked: Counter = Counter()
    misses: List[str] = []
    asked: List[str] = []
    for item in labelled["red_flags"]:
        result = detector.detect(item["text"])
        for flag in item["flags"]:
            per_family_total[flag] += 1
            if flag in result.flags:
                per_family_hit[flag] += 1
            elif flag in result.unsure_flags:
                per_family_asked[flag] += 1
                asked.append(f"[{flag}] {item['text']}")
            else:
                misses.append(f"[{flag}] {item['text']}  -> {result.flags or '-'}")
    false_alarms, near_miss_questions = [], []
    for item in labelled["near_misses"]:
        result = detector.detect(item["text"])
        if result.flags:
            false_alarms.append(f"[{item.get('why')}] {item['text']}  -> {result.flags}")
        elif result.unsure_flags:
            near_miss_questions.append(f"{item['text']}  -> asks {result.unsure_flags}")
    ambiguous_asked = 0
    for item in labelled.get("ambiguous", []):
        result = detector.detect(item["text"])
        ambiguous_asked += item["family"] in result.unsure_flags + result.flags
    return {
        "per_family_total": per_family_total,
        "per_family_hit": per_family_hit,
        "per_family_asked": per_family_asked,
        "misses": misses,
        "asked": asked,
        "false_alarms": false_alarms,
        "near_miss_questions": near_miss_questions,
        "near_miss_total": len(labelled["near_misses"]),
        "ambiguous_total": len(labelled.get("ambiguous", [])),
        "ambiguous_asked": ambiguous_asked,
    }


def time_per_message(detector: RedFlagDetector, texts: List[str], rounds: int = 5) -> Dict:
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            detector.detect(text)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "messages": len(timings),
        "mean_ms": statistics.mean(timings),
        "p50_ms": timings[len(timings) // 2],
        "p95_ms": timings[int(len(timings) * 0.95)],
        "max_ms": timings[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default=DEFAULT_SET)
    args = parser.parse_args()
    with open(args.path, encoding="utf-8") as handle:
        labelled = yaml.safe_load(handle)
    detector = RedFlagDetector()
    report = evaluate(detector, labelled)

    print(f"Red-flag evaluation on {args.path}")
    print(f"{'family':28} {'caught':>7} {'asked':>6} {'total':>6} {'recall':>7}")
    for family in FLAG_LEVELS:
        total = report["per_family_total"][family]
        hit = report["per_family_hit"][family]
        print(f"{family:28} {hit:7} {report['per_family_asked'][family]:6} {total:6} "
              f"{(hit / total if total else 0):7.1%}")
    total = sum(report["per_family_total"].values())
    hit = sum(report["per_family_hit"].values())
    asked = sum(report["per_family_asked"].values())
    print(f"overall recall (escalated): {hit}/{total} = {hit / total:.1%}")
    print(f"overall recall (escalated or asked): {hit + asked}/{total} = "
          f"{(hit + asked) / total:.1%}")
    near = report["near_miss_total"]
    alarms = len(report["false_alarms"])
    print(f"false alarms on near misses: {alarms}/{near} = {alarms / near:.1%}")
    print(f"clarifying questions on near misses: {len(report['near_miss_questions'])}/{near}")
    print(f"ambiguous messages that got a question: "
          f"{report['ambiguous_asked']}/{report['ambiguous_total']}")
    for title, rows in (("misses", report["misses"]), ("asked instead of escalated",
                        report["asked"]), ("false alarms", report["false_alarms"]),
                        ("questions on near misses", report["near_miss_questions"])):
        print(f"\n{title} ({len(rows)}):")
        for row in rows:
            print(f"  {row}")
    texts = [i["text"] for i in labelled["red_flags"] + labelled["near_misses"]]
    speed = time_per_message(detector, texts)
    print(f"\ndetector time per message over {speed['messages']} runs: "
          f"mean {speed['mean_ms']:.2f} ms, p50 {speed['p50_ms']:.2f} ms, "
          f"p95 {speed['p95_ms']:.2f} ms, max {speed['max_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
