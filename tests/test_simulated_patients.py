"""Simulated patients (tests/simulator) against the real assistant: a fixed sample covering
every style and goal, and every invariant must hold for every one of them, except the few
issue 12 has not reached yet, which may not fall below where they stand.

`make simulate N=2000` runs many more and reports pass rates instead of failing.
"""

import pytest

from tests.simulator.batch import simulate
from tests.simulator.invariants import INVARIANTS
from tests.simulator.personas import GOALS, STYLES, sample_personas

pytestmark = pytest.mark.conversation

SAMPLE = sample_personas(44, seed=20261201)
TRANSCRIPTS_SHOWN = 2
# Issue 12 asks for 100% here too; until then these floors keep them from getting worse.
# Measured on this sample on 2 December 2026 (two runs): 69-77%, 88-94% and 67-85% of the
# conversations each applies to, which vary with the free times at the hour it runs.
NOT_YET_EVERY_TIME = {
    "stated_facts_in_slots": 0.60,
    "routine_reaches_offer_in_budget": 0.75,
    "booked_at_wished_time": 0.50,
}


@pytest.fixture(scope="module")
def simulated(assistant):
    return simulate(assistant, SAMPLE, concurrency=4)


def test_the_sample_covers_every_style_and_goal():
    assert {persona.style for persona in SAMPLE} == set(STYLES)
    assert {persona.goal for persona in SAMPLE} == set(GOALS)
    assert any(persona.red_flag for persona in SAMPLE)


@pytest.mark.parametrize("invariant", list(INVARIANTS))
def test_the_invariant_holds_for_every_simulated_patient(simulated, invariant):
    failures = [(conversation, verdicts[invariant]) for conversation, verdicts in simulated
                if verdicts[invariant].status == "fail"]
    shown = "\n\n".join(f"{verdict.reason}\n{conversation.transcript()}"
                        for conversation, verdict in failures[:TRANSCRIPTS_SHOWN])
    applicable = [verdicts[invariant] for _, verdicts in simulated
                  if verdicts[invariant].status in ("pass", "fail")]
    floor = NOT_YET_EVERY_TIME.get(invariant)
    if floor is None:
        assert not failures, f"{len(failures)} of {len(simulated)} conversations:\n{shown}"
    else:
        passed = 1 - len(failures) / max(len(applicable), 1)
        assert passed >= floor, f"{passed:.0%} < {floor:.0%} of {len(applicable)}:\n{shown}"
