"""Rasa NLU graph component: the classifiers see a patient's slips and chat spellings as the
words they were trained on ("what are your hrs?" as "hours", "appointmnet" as
"appointment").

The intent classifier only knows the training data's words; an unknown spelling is a
feature it never saw, and "what are your hrs?" went to the wrong answer. The triage
parsers already read such words as meant (redflags/spelling.py); this gives the NLU the
same reading. Only the tokens the featurizers see change: the message's text, which the
actions and the red-flag detector read, stays the patient's own words, and training data
keeps its slips (they are known words), with chat spellings read as their word on both
sides. A correctly spelt English word is never changed.
"""

from typing import List, Set, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from redflags.spelling import CHAT_SPELLINGS, SpellingFixer, english_words
from serving.vocabulary import VocabularyComponent

# Chat spellings of one word that is not itself an English word ("hrs", not "its"), read as
# that word in training data and messages alike.
SPELT_OUT = {short: word for short, word in CHAT_SPELLINGS.items()
             if word.isalpha() and short not in english_words()}
# Interjections that say nothing of what the patient wants (South African English and chat):
# "shame yep all good" is a yes, "ag id say 4" an answer. Left out on both sides, unless
# they are the whole message.
INTERJECTIONS = {"eish", "ag", "agh", "yoh", "shame", "ne", "nè", "sjoe", "hmm", "hmmm",
                 "um", "umm", "lol", "haha", "eh"}
# Longer tokens are no slips (a pasted URL, a 100,000-letter "word"), and the fixer's cost
# grows with a word's length.
MAX_WORD_LENGTH = 30


def _spell_out(message: Message) -> None:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    meaningful = [token for token in tokens if token.text.lower() not in INTERJECTIONS]
    if meaningful and len(meaningful) < len(tokens):
        message.set(TOKENS_NAMES[TEXT], meaningful)
    for token in meaningful or tokens:
        word = SPELT_OUT.get(token.text.lower())
        if word:
            token.text = token.lemma = word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class WordSlipsNormaliser(VocabularyComponent):
    """Rewrites unknown tokens to training words (config.yml: right after the tokenizer)."""

    def use(self, vocabulary: Set[Text]) -> None:
        self.vocabulary = vocabulary
        self.fixer = SpellingFixer(vocabulary, english_words())

    def train(self, training_data: TrainingData) -> Resource:
        return self.keep({SPELT_OUT.get(word, word) for message in training_data.training_examples
                          for word in (token.text.lower()
                                       for token in message.get(TOKENS_NAMES[TEXT]) or [])})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            _spell_out(message)  # slips are left as written: they are known words
        return training_data

    def training_word(self, word: Text) -> Text:
        """The training word `word` was meant as, or `word` itself."""
        lower = word.lower()
        if lower in self.vocabulary or lower in INTERJECTIONS or len(lower) > MAX_WORD_LENGTH:
            return word
        fixed = self.fixer.fix(lower)
        return fixed if fixed != lower else word

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            _spell_out(message)
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                meant = self.training_word(token.text)
                if meant != token.text:
                    token.text = token.lemma = meant
        return messages
