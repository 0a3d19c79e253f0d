"""Simulated patients (tests/simulator) against the real assistant: a fixed sample covering
every style and goal, and every invariant must hold for every one of them.

`make simulate N=2000` runs many more and reports pass rates instead of failing.
"""

import pytest

from tests.simulator.batch import simulate
from tests.simulator.invariants import INVARIANTS
from tests.simulator.personas import GOALS, STYLES, sample_personas

pytestmark = pytest.mark.conversation

SAMPLE = sample_personas(44, seed=20261201)
TRANSCRIPTS_SHOWN = 2


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
    assert not failures, f"{len(failures)} of {len(simulated)} conversations:\n{shown}"
