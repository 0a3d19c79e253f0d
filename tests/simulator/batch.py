"""Many simulated conversations at once, and what they add up to."""

import concurrent.futures
import sys
import time
from collections import Counter, defaultdict
from typing import Any, Dict, List, Tuple

from tests.simulator.invariants import INVARIANTS, Verdict, check
from tests.simulator.personas import GOALS, STYLES, Persona
from tests.simulator.runner import (Conversation, PatientRun, practice_free_starts,
                                     practice_release)

FAILURES_SHOWN_PER_INVARIANT = 3
Result = Tuple[Conversation, Dict[str, Verdict]]


def simulate(assistant: Any, personas: List[Persona], concurrency: int,
             progress: bool = False) -> List[Result]:
    free_starts = practice_free_starts(assistant.practice_db_url)
    release = practice_release(assistant.practice_db_url)

    def one(persona: Persona) -> Result:
        conversation = PatientRun(persona, assistant, free_starts).run()
        verdicts = check(conversation)
        release(conversation.final_slots)
        return conversation, verdicts

    results = []
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for done, result in enumerate(pool.map(one, personas), start=1):
            results.append(result)
            if progress and (done % 25 == 0 or done == len(personas)):
                print(f"  {done}/{len(personas)} conversations "
                      f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return results


def report(results: List[Result]) -> str:
    lines = [f"{len(results)} simulated conversations", "", "Invariant pass rates "
             "(passed / applicable):"]
    for name in INVARIANTS:
        verdicts = [verdicts[name].status for _, verdicts in results]
        applicable = [v for v in verdicts if v != "n/a"]
        passed = applicable.count("pass")
        rate = f"{100 * passed / len(applicable):5.1f}%" if applicable else "   -  "
        lines.append(f"  {name:40s} {rate}  ({passed}/{len(applicable)})")
    for label, key, values in (("goal", lambda c: c.persona.goal, GOALS),
                               ("style", lambda c: c.persona.style, STYLES),
                               ("red flag", lambda c: c.persona.red_flag and
                                c.persona.red_flag.sign.family or "none", None)):
        groups: Dict[str, Counter] = defaultdict(Counter)
        for conversation, _ in results:
            groups[key(conversation)][conversation.outcome] += 1
        lines += ["", f"Outcomes per {label}:"]
        for group in values or sorted(groups):
            outcomes = groups.get(group)
            if outcomes:
                total = sum(outcomes.values())
                lines.append(f"  {group:26s} n={total:<5d} " + ", ".join(
                    f"{outcome} {100 * n / total:.0f}%" for outcome, n in outcomes.most_common()))
    return "\n".join(lines)


def failure_reasons(results: List[Result]) -> str:
    """Every failed verdict's reason, one line each, grouped by invariant."""
    return "\n".join(f"{name}: {verdicts[name].reason}" for name in INVARIANTS
                     for _, verdicts in results if verdicts[name].status == "fail")


def failing_transcripts(results: List[Result],
                        per_invariant: int = FAILURES_SHOWN_PER_INVARIANT) -> str:
    sections = []
    for name in INVARIANTS:
        failed = [(c, v[name]) for c, v in results if v[name].status == "fail"][:per_invariant]
        for conversation, verdict in failed:
            sections.append(f"=== {name}: {verdict.reason}\n{conversation.transcript()}\n")
    return "\n".join(sections)
