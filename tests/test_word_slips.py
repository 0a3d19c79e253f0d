"""The NLU's spelling normaliser: trained on the NLU examples' words, persisted in the model,
changing only what the featurizers see, and never a correctly spelt word."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from serving.word_slips import WordSlipsNormaliser

EXAMPLES = ["what are your opening hours", "can I book an appointment",
            "I sit about 7 hrs a day", "is the practice open on saturday"]
TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def tokenized(texts):
    messages = [Message(data={"text": text, "intent": "inform"}) for text in texts]
    TOKENIZER.process(messages)
    return messages


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("word_slips")
    context = ExecutionContext(GraphSchema({}), "test")
    WordSlipsNormaliser.create({}, storage, resource, context).train(
        TrainingData(tokenized(EXAMPLES)))
    return WordSlipsNormaliser.load({}, storage, resource, context)


def seen(component, text):
    [message] = component.process(tokenized([text]))
    return " ".join(token.text for token in message.get("text_tokens")), message.get("text")


@pytest.mark.parametrize("typed, featurized", [
    ("what are your hrs", "what are your hours"),            # a chat spelling
    ("can I book an appointmnet", "can I book an appointment"),  # one slip in a known word
    ("can I book an appt pls", "can I book an appointment please"),  # spelt out always
    ("is the practce open on saturdy", "is the practice open on saturday"),
])
def test_the_featurizers_see_the_word_meant_and_the_text_stays_as_typed(loaded, typed,
                                                                         featurized):
    assert seen(loaded, typed) == (featurized, typed)


@pytest.mark.parametrize("text", [
    "what are your prices",   # an English word the examples lack is left as it is
    "can I boot it",          # "boot" is a word, not a slip of "book"
    "is the practise open",   # British spelling, a word in its own right
    "asdfgh zxcv", "7", "",
])
def test_correct_words_and_nonsense_are_left_alone(loaded, text):
    assert seen(loaded, text) == (text, text)


def test_training_examples_keep_their_words_but_spell_out_chat_spellings(loaded):
    [example] = loaded.process_training_data(
        TrainingData(tokenized(["I sit about 7 hrs a day, aprox"]))).training_examples
    assert [token.text for token in example.get("text_tokens")] == \
        ["I", "sit", "about", "7", "hours", "a", "day", "aprox"]


@pytest.mark.parametrize("typed, featurized", [
    ("shame yep all good", "yep all good"),
    ("eish what are your hrs", "what are your hours"),
    ("eish", "eish"),  # the whole message: kept, the classifier decides
])
def test_interjections_are_left_out_unless_they_are_the_whole_message(loaded, typed,
                                                                      featurized):
    assert seen(loaded, typed)[0] == featurized


def test_a_huge_token_is_left_alone_quickly(loaded):
    assert seen(loaded, "x" * 100_000) == ("x" * 100_000, "x" * 100_000)
