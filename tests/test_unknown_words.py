"""The unknown-words guard: trained on the NLU examples, persisted in the model, and only
ever turning a short message of words it never saw into `nlu_fallback`."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from serving.unknown_words import UnknownWordsFallback

EXAMPLES = ["yes please", "no", "my lower back is sore", "about 3 weeks", "uh huh"]
TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def tokenized(messages):
    TOKENIZER.process(messages)
    return messages


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("unknown_words")
    context = ExecutionContext(GraphSchema({}), "test")
    UnknownWordsFallback.create({}, storage, resource, context).train(TrainingData(tokenized(
        [Message(data={"text": text, "intent": "inform"}) for text in EXAMPLES])))
    return UnknownWordsFallback.load({}, storage, resource, context)


def intent_after(component, text):
    message = Message(data={"text": text, "intent": {"name": "affirm", "confidence": 0.93},
                            "intent_ranking": [{"name": "affirm", "confidence": 0.93}]})
    component.process(tokenized([message]))
    return message.get("intent")["name"], message.get("intent_ranking")[0]["name"]


@pytest.mark.parametrize("text", ["asdfgh", "lol", "brb zxcv", "Lol!"])
def test_a_short_message_of_unknown_words_is_not_understood(loaded, text):
    assert intent_after(loaded, text) == ("nlu_fallback", "nlu_fallback")


@pytest.mark.parametrize("text", [
    "yes", "huh",                      # known words (from "uh huh")
    "7", "5k", "4 wks",                # numbers are answers
    "ek het pyn in my onderrug",       # longer: another language, for the classifier
    "\U0001F44D",                      # no words at all: the red-flag component's case
])
def test_everything_else_keeps_the_classifier_intent(loaded, text):
    assert intent_after(loaded, text) == ("affirm", "affirm")
