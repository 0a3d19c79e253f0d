"""`make eval-safety`: the red-flag layer (rules + learned asking layer) on labelled sets.

    python -m redflags.evaluate tests/data/red_flag_eval.yml [more sets ...]
        [--asking DIR | --model models/triage.tar.gz | --no-asking]

Per set it prints, per family:
- caught: escalated with the right family at the expected level or higher, OR asked one
  yes/no question about the right family (the issue's bar: "reach their level or higher
  with at most one yes/no question");
- strict: escalated at the expected level or higher, no question needed;
- checked: escalated below an expected emergency, with the emergency check asked whose yes
  records this family at emergency (levels.EMERGENCY_CHECKS: the question after urgent
  advice); counted in caught, as one yes/no question;
- under: escalated with the right family but below the expected level;
then false alarms (escalations) per near-miss `why` kind, the questions asked on near
misses, every miss, and the time per message (mean and p95) for detector + learned layer.

An item's expected level is its `level:` key, else the family's level in the spec
(levels.FLAG_LEVELS). Items may carry `writer:` and `source:`; recall is also broken down
by them when present. The learned layer comes from `--asking` (a folder with
asking.joblib), else from the trained Rasa model when there is one, else it is fitted here.
"""

import argparse
import io
import statistics
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from redflags import learned
from redflags.detector import DetectionResult, RedFlagDetector
from redflags.levels import EMERGENCY_CHECKS, FLAG_LEVELS, LEVEL_ORDER, emergency_check

DEFAULT_SET = "tests/data/red_flag_eval.yml"
DEFAULT_MODEL = "models/triage.tar.gz"
MAX_BREAKDOWN = 20  # writer:/source: values listed one by one up to this many


class Layer:
    """Rules first; the asking layer only where the rules found nothing."""

    def __init__(self, detector: RedFlagDetector,
                 asking: Optional[learned.AskingModel] = None) -> None:
        self.detector = detector
        self.asking = asking

    def judge(self, text: str) -> Dict:
        result: DetectionResult = self.detector.detect(text)
        asked: List[str] = list(result.unsure_flags)
        asked_by = "rules" if asked else None
        closed = learned.gate(result)
        if closed is not None and self.asking is not None:
            question = self.asking.ask(text, closed=closed)
            if question:
                asked, asked_by = [question[0]], f"learned:{question[0]}"
        levels = {}
        for d in result.present:
            levels[d.flag] = max(levels.get(d.flag, "routine"), d.level,
                                 key=LEVEL_ORDER.__getitem__)
        overall = result.level
        check = emergency_check([(d.flag, d.rule) for d in result.present], overall)
        return {"result": result, "flags": result.flags, "levels": levels,
                "level": overall, "asked": asked[:1], "asked_by": asked_by,
                "checked": _checked_flags(check), "check": check}


def _checked_flags(family: Optional[str]) -> List[str]:
    """The families a yes to this emergency check confirms: the one it records, and the
    signs it asks about (a cancer history's check asks about weak legs)."""
    if family is None:
        return []
    check = EMERGENCY_CHECKS[family]
    return sorted({check.flag} | (check.answered_by & set(FLAG_LEVELS)))


def as_labelled_set(data) -> Dict:
    """tests/data's layout as is; the corpus' {items: [{text, label, kind, source}]} as
    red flags (label a family) and near misses (label none, `why` = its kind)."""
    if isinstance(data, dict) and ("red_flags" in data or "near_misses" in data):
        return data
    items = data.get("items", []) if isinstance(data, dict) else list(data or [])
    return {
        "red_flags": [{**i, "flags": [i["label"]]} for i in items
                      if i.get("label") in FLAG_LEVELS],
        "near_misses": [{**i, "why": i.get("kind", "-")} for i in items
                        if i.get("label") == learned.NONE],
    }


def _flags_of(item: Dict) -> List[str]:
    flags = item.get("flags") or item.get("flag") or item.get("family") or []
    return [flags] if isinstance(flags, str) else list(flags)


def _expected_level(item: Dict, flag: str) -> str:
    level = item.get("level")
    if isinstance(level, dict):
        level = level.get(flag)
    return level if level in LEVEL_ORDER else FLAG_LEVELS[flag]


def evaluate(layer, labelled: Dict) -> Dict:
    if isinstance(layer, RedFlagDetector):  # callers that pass the bare detector
        layer = Layer(layer)
    total: Counter = Counter()
    strict: Counter = Counter()
    asked_right: Counter = Counter()
    checked: Counter = Counter()
    under: Counter = Counter()
    by_key: Dict[str, Dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    misses: List[str] = []
    asked_rows: List[str] = []
    checked_rows: List[str] = []
    under_rows: List[str] = []
    for item in labelled.get("red_flags", []):
        verdict = layer.judge(item["text"])
        for flag in _flags_of(item):
            expected = _expected_level(item, flag)
            total[flag] += 1
            got = verdict["levels"].get(flag)
            # The message's level counts: "trauma with numb legs" may reach emergency
            # through another family's flag, and that is what the patient is told.
            reached = got is not None and LEVEL_ORDER[verdict["level"]] >= LEVEL_ORDER[expected]
            if reached:
                strict[flag] += 1
                outcome = "caught"
            elif flag in verdict["asked"]:
                asked_right[flag] += 1
                outcome = "caught"
                asked_rows.append(f"[{flag}] ({verdict['asked_by']}) {item['text']}")
            elif flag in verdict["checked"] and expected == "emergency":
                checked[flag] += 1
                outcome = "caught"
                checked_rows.append(f"[{flag}] (check after {verdict['check']}) {item['text']}")
            elif got is not None:
                under[flag] += 1
                outcome = "under"
                under_rows.append(f"[{flag}] expected {expected}, got {verdict['level']}: "
                                  f"{item['text']}")
            else:
                outcome = "miss"
                misses.append(_miss_row(item, flag, expected, verdict))
            for key in ("writer", "source"):
                if item.get(key):
                    by_key[key][str(item[key])][outcome] += 1
    false_alarms: Dict[str, List[str]] = defaultdict(list)
    near_questions: List[str] = []
    near_total: Counter = Counter()
    for item in labelled.get("near_misses", []):
        why = str(item.get("why", "-"))
        near_total[why] += 1
        verdict = layer.judge(item["text"])
        if verdict["flags"]:
            false_alarms[why].append(f"{item['text']}  -> {verdict['flags']} "
                                     f"({verdict['level']})")
        elif verdict["asked"]:
            near_questions.append(f"[{why}] {item['text']}  -> asks {verdict['asked'][0]} "
                                  f"({verdict['asked_by']})")
    ambiguous = labelled.get("ambiguous", [])
    ambiguous_asked = 0
    for item in ambiguous:
        verdict = layer.judge(item["text"])
        ambiguous_asked += any(f in verdict["asked"] + verdict["flags"] for f in _flags_of(item))
    return {
        "per_family_total": total,
        "per_family_hit": strict,
        "per_family_asked": asked_right,
        "per_family_checked": checked,
        "per_family_under": under,
        "by_key": by_key,
        "misses": misses,
        "asked": asked_rows,
        "checked": checked_rows,
        "under": under_rows,
        "false_alarms_by_why": dict(false_alarms),
        "false_alarms": [row for rows in false_alarms.values() for row in rows],
        "near_miss_questions": near_questions,
        "near_miss_total": sum(near_total.values()),
        "near_miss_by_why": near_total,
        "ambiguous_total": len(ambiguous),
        "ambiguous_asked": ambiguous_asked,
    }


def _miss_row(item: Dict, flag: str, expected: str, verdict: Dict) -> str:
    result: DetectionResult = verdict["result"]
    discounted = [f"{d.flag}:{d.status}({d.cue})" for d in result.discounted if d.flag == flag]
    extra = "".join(f" {key}={item[key]}" for key in ("writer", "source") if item.get(key))
    got = verdict["flags"] or (f"asks {verdict['asked'][0]}" if verdict["asked"] else "-")
    return (f"[{flag}, {expected}] {item['text']}  -> {got}"
            + (f"; discounted {discounted}" if discounted else "") + extra)


def time_per_message(layer, texts: Sequence[str], rounds: int = 5) -> Dict:
    """Detector and learned layer on every message (the worst case: both always run)."""
    if isinstance(layer, RedFlagDetector):
        layer = Layer(layer)
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            result = layer.detector.detect(text)
            if layer.asking is not None:
                layer.asking.ask(text, closed=learned.gate(result) or ())
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "messages": len(timings),
        "mean_ms": statistics.mean(timings),
        "p50_ms": timings[len(timings) // 2],
        "p95_ms": timings[int(len(timings) * 0.95)],
        "max_ms": timings[-1],
    }


def asking_from_rasa_model(path: Path) -> Optional[learned.AskingModel]:
    """The asking layer stored inside a trained Rasa model (models/triage.tar.gz)."""
    with tarfile.open(path) as archive:
        member = next((m for m in archive.getmembers()
                       if m.name.endswith(learned.MODEL_FILE) and "RedFlagClassifier" in m.name),
                      None)
        if member is None:
            return None
        with tempfile.TemporaryDirectory() as directory:
            data = archive.extractfile(member).read()
            (Path(directory) / learned.MODEL_FILE).write_bytes(data)
            return learned.AskingModel.load(Path(directory))


def load_asking(args) -> (Optional[learned.AskingModel], str):
    if args.no_asking:
        return None, "rules only (--no-asking)"
    if args.asking:
        return learned.AskingModel.load(Path(args.asking)), f"asking layer from {args.asking}"
    model = Path(args.model)
    if model.exists():
        asking = asking_from_rasa_model(model)
        if asking is not None:
            return asking, f"asking layer from {model}"
    from redflags.train_asking import fit
    asking = fit(list(learned.DEFAULT_CORPUS), "data/nlu", learned.DEFAULT_MAX_FALSE_ASK)
    return asking, "asking layer fitted now (no trained model found)"


def print_report(path: str, report: Dict, speed: Dict, in_training: bool) -> None:
    print(f"\n=== Red-flag evaluation on {path}")
    if in_training:
        print("    (this set is in the asking layer's training corpus: its questions here "
              "are not an unseen measure)")
    print(f"{'family':28} {'caught':>7} {'strict':>7} {'asked':>6} {'checked':>8} {'under':>6} "
          f"{'total':>6} {'caught%':>8} {'strict%':>8}")
    for family in FLAG_LEVELS:
        total = report["per_family_total"][family]
        hit = report["per_family_hit"][family]
        asked = report["per_family_asked"][family] + report["per_family_checked"][family]
        print(f"{family:28} {hit + asked:7} {hit:7} {report['per_family_asked'][family]:6} "
              f"{report['per_family_checked'][family]:8} "
              f"{report['per_family_under'][family]:6} {total:6} "
              f"{_pct(hit + asked, total):>8} {_pct(hit, total):>8}")
    total = sum(report["per_family_total"].values())
    hit = sum(report["per_family_hit"].values())
    asked = sum(report["per_family_asked"].values()) + sum(report["per_family_checked"].values())
    print(f"overall caught (level reached, or one question on the right family): "
          f"{hit + asked}/{total} = {_pct(hit + asked, total)}")
    print(f"overall strict (escalated at the expected level or higher): {hit}/{total} = "
          f"{_pct(hit, total)}")
    for key, values in report["by_key"].items():
        if len(values) > MAX_BREAKDOWN:
            print(f"  {key}: {len(values)} distinct values (a page each?), not broken down")
            continue
        for value, counts in sorted(values.items()):
            n = sum(counts.values())
            print(f"  {key}={value}: caught {counts['caught']}/{n} = {_pct(counts['caught'], n)}")
    near = report["near_miss_total"]
    alarms = len(report["false_alarms"])
    print(f"false alarms (escalations) on near misses: {alarms}/{near} = {_pct(alarms, near)}")
    for why, n in sorted(report["near_miss_by_why"].items()):
        got = len(report["false_alarms_by_why"].get(why, []))
        print(f"  why={why}: {got}/{n} = {_pct(got, n)}")
    questions = len(report["near_miss_questions"])
    print(f"questions on near misses: {questions}/{near} = {_pct(questions, near)}")
    print(f"ambiguous messages that got a question (or a flag): "
          f"{report['ambiguous_asked']}/{report['ambiguous_total']}")
    for title, rows in (("misses", report["misses"]),
                        ("below the expected level", report["under"]),
                        ("caught by one question", report["asked"]),
                        ("caught by the emergency check", report["checked"]),
                        ("false alarms", report["false_alarms"]),
                        ("questions on near misses", report["near_miss_questions"])):
        print(f"\n{title} ({len(rows)}):")
        for row in rows:
            print(f"  {row}")
    print(f"\ndetector + learned layer, time per message over {speed['messages']} runs: "
          f"mean {speed['mean_ms']:.2f} ms, p50 {speed['p50_ms']:.2f} ms, "
          f"p95 {speed['p95_ms']:.2f} ms, max {speed['max_ms']:.2f} ms")


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[DEFAULT_SET])
    parser.add_argument("--asking", help="folder holding asking.joblib")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="trained Rasa model")
    parser.add_argument("--no-asking", action="store_true", help="the rules alone")
    args = parser.parse_args(argv)
    layer = Layer(RedFlagDetector())
    layer.asking, origin = load_asking(args)
    print(f"Red-flag layer: deterministic rules + {origin}"
          + (f", thresholds {layer.asking.threshold:.4f} open / "
             f"{layer.asking.closed_threshold:.4f} second look" if layer.asking else ""))
    trained_on = {p.resolve() for p in learned._corpus_files(learned.DEFAULT_CORPUS)}
    for path in args.paths:
        with open(path, encoding="utf-8") as handle:
            labelled = as_labelled_set(yaml.safe_load(handle) or {})
        report = evaluate(layer, labelled)
        texts = [i["text"] for i in labelled.get("red_flags", []) + labelled.get("near_misses", [])]
        speed = time_per_message(layer, texts)
        in_training = layer.asking is not None and Path(path).resolve() in trained_on
        print_report(path, report, speed, in_training)
    return 0


if __name__ == "__main__":
    sys.exit(main())
