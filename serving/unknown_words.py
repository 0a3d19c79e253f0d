"""Rasa NLU graph component: a short message made only of words the training data never
had ("lol", "huh", "asdfgh") is not understood, rather than guessed.

The intent classifier gives every message some intent, and to one or two unknown words it
gives `affirm` with high confidence: "huh" at "Any numbness around your bottom?" was read
as yes, and a patient got emergency advice for a shrug. Such a message becomes
`nlu_fallback`, so the question is asked again. Longer messages of unknown words stay with
the classifier, which recognises other languages. Numbers are answers ("7", "3 weeks"),
so a message with a digit is left alone.
"""

from typing import List, Set, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from serving.vocabulary import VocabularyComponent

MAX_UNKNOWN_WORDS = 2


def words(message: Message) -> List[Text]:
    """The message's all-letter tokens ("5k" and "BK-7K3Q9X" give none), as the featurizers
    see them: after serving/word_slips.py, "thnks" is "thanks"."""
    return [token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or []
            if token.text.isalpha()]


def says_nothing_known(message: Message, vocabulary: Set[Text]) -> bool:
    found = words(message)
    return (0 < len(found) <= MAX_UNKNOWN_WORDS
            and not any(ch.isdigit() for ch in message.get(TEXT) or "")
            and not any(word in vocabulary for word in found))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsFallback(VocabularyComponent):
    """Turns a short message of unknown words into `nlu_fallback` (config.yml: after the
    FallbackClassifier, before the red-flag detector, which still reads every message)."""

    def train(self, training_data: TrainingData) -> Resource:
        return self.keep({word for message in training_data.intent_examples
                          for word in words(message)})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if says_nothing_known(message, self.vocabulary):
                fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
                ranking = [entry for entry in message.get(INTENT_RANKING_KEY, [])
                           if entry.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback] + ranking, add_to_output=True)
        return messages
