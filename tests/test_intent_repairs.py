"""The classifier's guesses that the dialogue repairs: ambiguity between intents handled
alike, and a short reply opening with yes or no taken for thanks."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from serving.intent_repairs import IntentRepairs

REPAIRS = IntentRepairs({"threshold": 0.4})


def repaired(text, ranking, fallback=False):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    top = {"name": "nlu_fallback", "confidence": 0.4} if fallback else ranked[0]
    message = Message(data={"text": text, "intent": top,
                            "intent_ranking": ([top] if fallback else []) + ranked})
    REPAIRS.process([message])
    return message.get("intent")["name"], message.get("intent_ranking")[0]["name"]


def test_ambiguity_between_two_ways_into_the_questions_keeps_the_top_one():
    assert repaired("I'm asking for my son, he's got a sore neck",
                    [("for_someone_else", 0.47), ("report_back_pain", 0.45)],
                    fallback=True) == ("for_someone_else", "for_someone_else")


@pytest.mark.parametrize("ranking", [
    [("for_someone_else", 0.47), ("faq", 0.45)],         # they are handled differently
    [("report_back_pain", 0.30), ("inform", 0.28)],      # too unsure, not just ambiguous
])
def test_other_fallbacks_stay_fallbacks(ranking):
    assert repaired("something", ranking, fallback=True)[0] == "nlu_fallback"


@pytest.mark.parametrize("text, ranking, expected", [
    ("no thank god", [("thank", 0.91), ("deny", 0.05)], "deny"),
    ("Nope, thankfully", [("thank", 0.88), ("deny", 0.07)], "deny"),
    ("yes thanks", [("thank", 0.80), ("affirm", 0.15)], "affirm"),
])
def test_a_leading_yes_or_no_is_that_answer_not_thanks(text, ranking, expected):
    assert repaired(text, ranking) == (expected, expected)


@pytest.mark.parametrize("text, ranking", [
    ("no worries, thanks", [("thank", 0.93)]),
    ("thanks, no", [("thank", 0.90)]),                   # not at the start
    ("no it stays in my back", [("inform", 0.95)]),      # not a social intent
    ("no idea", [("dont_know", 0.95)]),
    ("sounds great", [("affirm", 0.90)]),                # a yes outside a safety question
    ("ja hi there", [("greet", 0.90)]),                  # a greeting answers no question
    ("yes thanks, and my back is still sore", [("thank", 0.60)]),  # more than a reply
])
def test_everything_else_keeps_its_intent(text, ranking):
    assert repaired(text, ranking)[0] == ranking[0][0]
