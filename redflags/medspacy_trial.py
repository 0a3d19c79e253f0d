"""Issue 13's medspaCy trial: the same rules with medspaCy's ConText in place of context.py.

    pip install --target /tmp/medspacy-site --no-deps medspacy==1.3.1 PyRuSH==1.0.13 ...
    PYTHONPATH=.:/tmp/medspacy-site python -m redflags.medspacy_trial tests/data/*.yml

Not used by the assistant (medspaCy is not a dependency); kept so the README's numbers can
be measured again. ConText gets our own cue lists as ConTextRules (negation forward and
backward, pseudo-negation, history, other person, clause breaks as terminators, first-person
words ending an other-person scope), runs over the rule matches as a span group, and its
is_negated / is_historical / is_family replace context.negated / historical / other_person.
Who the symptoms belong to (context.patient_tokens) and practice questions
(context.hypothetical) stay ours: ConText has no notion of a writer speaking for a patient.
"""

import argparse
import statistics
import sys
import time
from typing import Dict, List

import yaml
from medspacy.context import ConText, ConTextRule
from spacy.tokens import Doc, Span

from redflags import context
from redflags.detector import Detection, RedFlagDetector, _effective_kind, _negated_inside
from redflags.evaluate import evaluate
from redflags.levels import FLAG_LEVELS, FLAG_SOURCES

GROUP = "red_flag_targets"


def _rule(literal: str, category: str, direction: str, scope: int = None,
          terminated_by=None) -> ConTextRule:
    pattern = [{"NORM": word} for word in literal.split()]
    return ConTextRule(literal, category, pattern=pattern, direction=direction,
                       max_scope=scope, terminated_by=terminated_by)


def context_rules() -> List[ConTextRule]:
    rules = [_rule(p, "NEGATED_EXISTENCE", "FORWARD", context.NEGATION_WINDOW)
             for p in set(context.NEGATION_BEFORE)]
    rules += [_rule(p, "NEGATED_EXISTENCE", "BACKWARD", 4) for p in set(context.NEGATION_AFTER)]
    rules += [_rule(p, "PSEUDO", "PSEUDO") for p in set(context.PSEUDO_NEGATION)]
    rules += [_rule(p, "HISTORICAL", "BIDIRECTIONAL", context.HISTORY_WINDOW)
              for p in set(context.HISTORY)]
    rules += [_rule(p, "FAMILY", "FORWARD", context.OTHER_PERSON_WINDOW,
                    terminated_by={"FIRST_PERSON"})
              for p in set(context.OTHER_PERSON_BEFORE)]
    rules += [_rule(p, "FAMILY", "BACKWARD", 6) for p in set(context.OTHER_PERSON_AFTER)]
    rules += [_rule(w, "FIRST_PERSON", "TERMINATE") for w in context.FIRST_PERSON | {"my"}]
    rules += [_rule(w, "CLAUSE", "TERMINATE") for w in context.CLAUSE_BREAKS]
    rules += [ConTextRule(f"{j} {s}", "CLAUSE", direction="TERMINATE",
                          pattern=[{"NORM": j}, {"NORM": s}])
              for j in context.CLAUSE_JOINERS for s in context.CLAUSE_STARTERS]
    return rules


class MedspacyContextDetector(RedFlagDetector):
    """The project's detector with ConText deciding negation, history and other people."""

    def __init__(self) -> None:
        super().__init__()
        self.context = ConText(self.nlp, rules=None, phrase_matcher_attr="NORM",
                               input_span_type="group", span_group_name=GROUP)
        self.context.add(context_rules())

    def _detect_chunk(self, text, offset, result) -> None:
        doc = self._doc(text)
        cues = self.cues.cues(doc)
        matches = self._best_matches(doc)
        doc.spans[GROUP] = [span for span, _, _ in matches]
        self.context(doc)
        patient = {start for start, _ in cues.get("PATIENT", [])}
        for (span, rule, family), target in zip(matches, doc.spans[GROUP]):
            detection = self._judge_with_context(doc, span, target, rule, family, cues,
                                                 patient, offset)
            if rule.kind == "sign":
                if detection.status == "present":
                    result.signs.append(detection)
            elif detection.status == "present":
                result.present.append(detection)
            elif detection.status == "unsure":
                result.unsure.append(detection)
            else:
                result.discounted.append(detection)

    def _judge_with_context(self, doc: Doc, span: Span, target: Span, rule, family, cues,
                            patient, offset) -> Detection:
        norms = [t.norm_ for t in doc]
        status, cue = _effective_kind(rule, span), None
        family_cues = [m for m in target._.modifiers if m.category == "FAMILY"
                       and not patient.intersection(range(m.modifier_span[0],
                                                          m.modifier_span[1]))]
        asking = context.hypothetical(doc, norms, span)
        if asking:
            status, cue = "hypothetical", asking
        elif family_cues:
            status, cue = "other_person", "ConText FAMILY"
        elif _negated_inside(span) or target._.is_negated:
            status, cue = "negated", "ConText NEGATED_EXISTENCE"
        elif target._.is_historical and rule.history == "discount":
            status, cue = "historical", "ConText HISTORICAL"
        elif target._.is_historical and rule.history == "ask" and status == "present":
            status, cue = "unsure", "ConText HISTORICAL"
        return Detection(flag=family, level=rule.level or FLAG_LEVELS[family], status=status,
                         trigger=span.text, start=offset + span.start_char,
                         end=offset + span.end_char, rule=self._key_of(span),
                         source=FLAG_SOURCES[family], cue=cue)


def measure(detector: RedFlagDetector, labelled: Dict) -> Dict:
    report = evaluate(detector, labelled)
    texts = [i["text"] for i in labelled["red_flags"] + labelled["near_misses"]]
    timings = []
    for _ in range(3):
        for text in texts:
            started = time.perf_counter()
            detector.detect(text)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    total = sum(report["per_family_total"].values())
    return {
        "recall": sum(report["per_family_hit"].values()) / total,
        "recall_or_asked": (sum(report["per_family_hit"].values())
                            + sum(report["per_family_asked"].values())) / total,
        "false_alarms": len(report["false_alarms"]),
        "near_misses": report["near_miss_total"],
        "mean_ms": statistics.mean(timings),
        "p95_ms": timings[int(len(timings) * 0.95)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    detectors = {"context.py": RedFlagDetector(), "medspaCy ConText": MedspacyContextDetector()}
    print(f"{'set':28} {'detector':18} {'recall':>7} {'+asked':>7} {'false alarms':>13} "
          f"{'mean ms':>8} {'p95 ms':>7}")
    for path in args.paths:
        with open(path, encoding="utf-8") as handle:
            labelled = yaml.safe_load(handle)
        for name, detector in detectors.items():
            row = measure(detector, labelled)
            print(f"{path.split('/')[-1]:28} {name:18} {row['recall']:7.1%} "
                  f"{row['recall_or_asked']:7.1%} {row['false_alarms']:5}/{row['near_misses']:<7} "
                  f"{row['mean_ms']:8.2f} {row['p95_ms']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
