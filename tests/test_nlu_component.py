"""The NLU component: the detector's verdict wins over the neural classifier."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from redflags.nlu_component import RedFlagClassifier


def parse(text, intent="inform", ranking=None):
    message = Message(data={
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9},
                                      {"name": "inform", "confidence": 0.05}],
    })
    RedFlagClassifier().process([message])
    return message


def test_a_red_flag_forces_the_intent_with_full_confidence_and_audit_entities():
    message = parse("I can't feel my bum when I wipe", intent="faq")
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    entity = message.get("entities")[0]
    assert entity["entity"] == "red_flag" and entity["value"] == "cauda_equina"
    assert entity["extractor"] == "RedFlagDetector" and entity["source"]
    assert entity["level"] == "emergency"


def test_an_unclear_sign_forces_the_clarifying_intent():
    message = parse("my bum goes numb when I sit at my desk")
    assert message.get("intent")["name"] == "red_flag_unsure"
    assert message.get("entities")[0]["entity"] == "red_flag_question"


def test_the_classifier_alone_cannot_claim_a_red_flag():
    ranking = [{"name": "red_flag", "confidence": 0.8}, {"name": "inform", "confidence": 0.15}]
    message = parse("no numbness or tingling at all", intent="red_flag", ranking=ranking)
    assert message.get("intent")["name"] == "inform"
    assert all(r["name"] != "red_flag" for r in message.get("intent_ranking"))


@pytest.mark.parametrize("text", ["", "😀😀", "?!", "\x00\x01"])
def test_a_message_without_letters_is_not_understood(text):
    assert parse(text, intent="affirm").get("intent")["name"] == "nlu_fallback"


def test_ordinary_messages_keep_their_intent():
    assert parse("lower back, about 3 weeks").get("intent")["name"] == "inform"
