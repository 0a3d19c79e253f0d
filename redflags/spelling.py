"""Spelling slips fixed against a known vocabulary: the red-flag rules' words, the triage
parsers' words and the words the NLU was trained on, so "bladdr", "graadually" and
"hrs" read as meant."""

from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List

from spacy.lang.en.stop_words import STOP_WORDS
from spellchecker import SpellChecker

# Common typos, chat spellings and unit abbreviations, as patients type them.
CHAT_SPELLINGS = {
    "bak": "back", "bck": "back", "lowwer": "lower", "lowback": "lower back",
    "lowerback": "lower back", "upperback": "upper back", "midback": "mid back",
    "nek": "neck", "sholder": "shoulder", "shoulderblade": "shoulder blade",
    "shoulderblades": "shoulder blades", "rite": "right", "lft": "left",
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "havent": "haven't",
    "hasnt": "hasn't", "isnt": "isn't", "wasnt": "wasn't", "cant": "can't",
    "wont": "won't", "im": "i'm", "ive": "i've", "id": "i'd", "its": "it's",
    "shes": "she's", "hes": "he's", "theyre": "they're", "youre": "you're",
    "thats": "that's", "whats": "what's", "arent": "aren't", "couldnt": "couldn't",
    "excercise": "exercise", "exersize": "exercise", "trainning": "training",
    "runing": "running", "outta": "out of", "u": "you",
    "min": "minute", "mins": "minutes", "hr": "hour", "hrs": "hours",
    "wk": "week", "wks": "weeks", "mth": "month", "mths": "months",
    "mnth": "month", "mnths": "months", "yr": "year", "yrs": "years",
    "pls": "please", "plz": "please", "thx": "thanks", "thnx": "thanks",
    "appt": "appointment", "tmrw": "tomorrow", "ur": "your", "wat": "what",
}


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """Correctly spelt English words (pyspellchecker's dictionary and spaCy's stop words),
    which a fixer never changes."""
    return frozenset(SpellChecker(distance=1).word_frequency.dictionary) | STOP_WORDS


class SpellingFixer:
    """Maps a misspelt token to a rule word one slip away.

    Only slips that keep a word recognisable are fixed (a dropped, doubled or extra
    letter, two letters swapped; a changed letter only in long words), so "bladdr",
    "numbnes", "controll", "brething" and "incontinance" are understood while short
    real words ("leaning" vs "leaking") are left alone.
    """

    MIN_LENGTH = 5
    OMISSION_MIN_LENGTH = 4  # "fevr" -> "fever"
    SUBSTITUTION_MIN_LENGTH = 8

    def __init__(self, vocabulary: Iterable[str], correct_words: Iterable[str] = ()) -> None:
        self.vocabulary = {w for w in vocabulary if len(w) >= self.OMISSION_MIN_LENGTH}
        # Real words are never "fixed": "five" is not a slip of "fiver" (fever).
        self.correct_words = set(correct_words) - self.vocabulary
        self._by_deletion: Dict[str, str] = {}
        for word in sorted(self.vocabulary):
            for variant in self._deletions(word):
                self._by_deletion.setdefault(variant, word)
        self.fix = lru_cache(maxsize=20000)(self._fix)

    @staticmethod
    def _deletions(word: str) -> List[str]:
        return [word[:i] + word[i + 1:] for i in range(len(word))]

    def _fix(self, token: str) -> str:
        if token in self.vocabulary or token in self.correct_words or not token.isalpha():
            return token
        if len(token) >= self.OMISSION_MIN_LENGTH and token in self._by_deletion:
            return self._by_deletion[token]  # one letter left out
        if len(token) < self.MIN_LENGTH:
            return token
        for variant in self._deletions(token):  # one extra letter typed
            if variant in self.vocabulary:
                return variant
        for i in range(len(token) - 1):  # two letters swapped
            swapped = token[:i] + token[i + 1] + token[i] + token[i + 2:]
            if swapped in self.vocabulary:
                return swapped
        if len(token) >= self.SUBSTITUTION_MIN_LENGTH:  # one letter changed
            for variant in self._deletions(token):
                if variant in self._by_deletion:
                    return self._by_deletion[variant]
        return token
