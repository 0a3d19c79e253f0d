"""Pure parsing helpers for the back-pain triage bot's free-text answers.

Each ``parse_*`` function takes the raw user message and returns a small
normalised value, or ``None`` when the message does not answer the question
(the bot then asks again, usually with buttons). They never raise: empty
strings, emoji, HTML and very long messages all give a value or ``None``.

``answering=True`` means the message is a reply to the bot's own question, so a
bare "7" or "no" can be trusted. Without it only explicit phrasings ("7/10",
"8 hours") count, because a bare number in free text is too ambiguous.

Word tables are regex fragments, matched as whole words (with an optional
plural "s") on the normalised text; ``{my}`` in a fragment matches "my", "the",
"me"... or nothing ("middle of back"). Negation is judged per mention: a "not"/"no"/"n't" among the
few words before a mention, within its clause, cancels it. That is what lets
"not my lower back, my upper back" mean the upper back.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import math
import re
from typing import NamedTuple

import dateparser
from spacy.lang.en.stop_words import STOP_WORDS
from spellchecker import SpellChecker
from word2number import w2n

from actions import clock
from redflags.spelling import SpellingFixer

__all__ = [
    "normalise",
    "number_from_words",
    "parse_pain_location",
    "parse_pain_radiation",
    "parse_onset",
    "parse_duration_weeks",
    "parse_severity",
    "parse_desk_hours",
    "parse_training_change",
    "parse_writer",
    "parse_age",
    "is_real_answer",
    "parse_eases_worsens",
    "parse_yes_no",
    "asks_to_book",
    "is_correction",
]

logger = logging.getLogger(__name__)

# A chat reply longer than this is not an answer to a triage question; the cap
# bounds the work done by the regexes and dateparser on pasted essays.
MAX_CHARS = 2000

_NUM = r"\d+(?:\.\d+)?"

# One-letter units after a number, as typed on a phone ("8w", "7d", "2h").
_UNIT_LETTERS = {"d": "days", "w": "weeks", "h": "hours"}
# A stem extends to the English words it begins, by at most this many letters.
_MIN_STEM, _MAX_SUFFIX = 5, 4

# Word-level fixes for common typos, chat spellings and unit abbreviations.
_TYPOS = {
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
}


def _never_raise(func):
    """Parsing is best effort: a bug must make the bot ask again, not crash the action."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception:  # noqa: BLE001 - deliberately broad, see docstring
            logger.exception("%s failed; treating the message as no answer", func.__name__)
            return None

    return wrapper


def normalise(text: object) -> str:
    """Lower-case plain text: HTML stripped, typos fixed, whitespace collapsed."""
    if not isinstance(text, str):
        return ""
    text = html.unescape(re.sub(r"<[^<>]{0,200}>", " ", text[:MAX_CHARS])).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "mid-back", "twenty-one"
    text = re.sub(r"(\d)(?!(?:st|nd|rd|th)\b)(?=[a-z])", r"\1 ", text)  # "8hrs", not "3rd"
    text = re.sub(r"(?<=\d )([dwh])\b", lambda m: _UNIT_LETTERS[m.group(1)], text)  # "8 w"
    text = re.sub(r"[a-z']+", lambda m: _TYPOS.get(m.group()) or _speller().fix(m.group()), text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def _speller() -> SpellingFixer:
    """Slips are fixed towards the parsers' own words, read off their compiled patterns, and
    the English words they stem ("gradual" -> "gradually"), so a word added to a table is
    understood misspelt too ("graadually", "sread"). A real English word is never "fixed"
    ("leaning" is not "cleaning")."""
    stems = set(_TYPOS.values()) | set(_NUMBER_WORDS) | _FILLER
    for value in globals().values():
        if isinstance(value, re.Pattern):
            stems.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", value.pattern)))
    english = set(SpellChecker(distance=1).word_frequency.dictionary)
    stemmed = {word for word in english if any(
        word[:k] in stems for k in range(max(_MIN_STEM, len(word) - _MAX_SUFFIX), len(word)))}
    return SpellingFixer(stems | stemmed, english | STOP_WORDS)


# --------------------------------------------------------------------------
# Numbers

_NUMBER_WORDS = {w: v for w, v in w2n.american_number_system.items() if w != "point"}
_SCALES = {"hundred", "thousand", "million", "billion"}
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUMBER_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})(?: (?:{_NUMBER_WORD}))*\b")


def _continues(previous: str, word: str) -> bool:
    """Whether ``word`` extends the number begun by ``previous`` ("twenty one")."""
    if word in _SCALES or previous in _SCALES:
        return True
    return _NUMBER_WORDS[previous] in range(20, 100, 10) and 1 <= _NUMBER_WORDS[word] <= 9


def _run_to_digits(match: re.Match) -> str:
    # w2n adds up every number word it is given ("six seven" -> 13), so split
    # the run into separate numbers first ("about a six seven" -> "6 7").
    groups: list[list[str]] = []
    for word in match.group().split():
        if groups and _continues(groups[-1][-1], word):
            groups[-1].append(word)
        else:
            groups.append([word])
    return " ".join(str(w2n.word_to_num(" ".join(group))) for group in groups)


def _digits(text: str) -> str:
    """Normalised text with number words written as digits."""
    return _NUMBER_RUN.sub(_run_to_digits, text)


@_never_raise
def number_from_words(text: str) -> float | None:
    """The number a whole message spells out ("7", "seven", "twenty one"), else None."""
    match = re.fullmatch(_NUM, _digits(normalise(text)).strip(" .!?"))
    value = float(match.group()) if match else None
    return value if value is not None and math.isfinite(value) else None


def _negated_number(text: str, start: int) -> bool:
    """A correction like "6 not 9" rules the 9 out."""
    return re.search(r"\bnot (?:a |an |like )?$", text[:start]) is not None


# Whatever follows a number and makes it a time, count or weight, not a score.
_UNIT_AFTER = re.compile(
    r" ?(?:%|x\b|times\b|(?:minute|hour|h|day|week|fortnight|month|year|kg|km|am|pm)s?\b)"
)


def _bare_numbers(text: str) -> list[float]:
    """Numbers in ``text`` that are not quantities of something and not ruled out."""
    return [
        float(m.group())
        for m in re.finditer(rf"(?<![\d.]){_NUM}", text)
        if not _UNIT_AFTER.match(text, m.end()) and not _negated_number(text, m.start())
    ]


# --------------------------------------------------------------------------
# Word tables and negation


# Whoever's back it is: "my", "her" (a relative writing), "the".
_POSSESSIVE = "(?:my|the|me|his|her|their|our|your)"


def _table(table: dict[str, tuple[str, ...]]) -> re.Pattern:
    """One regex over a {key: fragments} table; ``match.lastgroup`` gives the key."""
    groups = []
    for key, fragments in table.items():
        alternatives = sorted(
            (f.replace("{my} ", f"(?:{_POSSESSIVE} )?").replace("{my}", _POSSESSIVE)
             for f in fragments), key=len, reverse=True
        )
        groups.append(f"(?P<{key}>{'|'.join(alternatives)})")
    return re.compile(rf"\b(?:{'|'.join(groups)})s?\b")


class _Mention(NamedTuple):
    key: str
    text: str
    start: int
    end: int
    negated: bool


_CLAUSE_BREAK = re.compile(
    r"[,.;:!?()]"
    r"|\b(?:and|but|because|since|so|though|although|actually|rather|instead|when|while)\b"
)
_NEGATION = re.compile(r"\b(?:not|no|never|without|nothing|nor|cannot)\b|n't\b")
# A leading "no"/"yes" that answers the bot ("no, it's my neck") negates nothing.
_ANSWER_PARTICLE = re.compile(
    r"^(?:no|nope|nah|yes|yeah|yep)\b"
    r"(?: ?[,.!]+|(?= (?:it's|it|i|i'm|my|just|only|actually|more|mostly|sorry|wait)\b))"
)


def _negated(prefix: str) -> bool:
    # Negation reaches back only to the start of its clause, and only a few words.
    clause = _CLAUSE_BREAK.split(prefix)[-1]
    return _NEGATION.search(" ".join(clause.split()[-6:])) is not None


def _mentions(text: str, table: re.Pattern) -> list[_Mention]:
    """Every table phrase in ``text``, in order, each marked negated or not."""
    particle = _ANSWER_PARTICLE.match(text)
    floor = particle.end() if particle else 0
    found = []
    for m in table.finditer(text):
        # A mention's negation scope stops at the previous mention, so in
        # "not my neck it's my upper back" the "not" belongs to the neck only.
        found.append(_Mention(m.lastgroup, m.group(), m.start(), m.end(),
                              _negated(text[floor:m.start()])))
        floor = m.end()
    return found


# --------------------------------------------------------------------------
# 1. Pain location

_LOCATIONS = _table({
    "lower_back": (
        "lower back", "low back", "lumbar", "lower spine", "small of {my} back",
        "above {my} (?:bum|butt|buttocks)", "bottom of {my} (?:back|spine)", "base of {my} spine",
        "tail ?bone", "coccyx", "sacrum", "sacral", "si joint", "buttock area",
        "where {my} belt",
    ),
    "mid_back": (
        "mid back", "middle back", "middle of {my} (?:back|spine)", "mid(?:dle)? spine",
        "ribs at {my} back",
        "back of {my} ribs", "behind {my} ribs", "thoracic",
    ),
    "upper_back": ("upper back", "upper spine", "top of {my} (?:back|spine)", "shoulder blade",
                   "between {my} shoulders"),
    "neck": ("neck", "base of {my} skull", "cervical"),
})


@_never_raise
def parse_pain_location(text: str) -> str | None:
    """Where the back pain is: "lower_back", "mid_back", "upper_back" or "neck".

    The last place mentioned that is not negated wins, so corrections work;
    a plain "my back" is too vague and gives None.
    """
    asserted = [m.key for m in _mentions(normalise(text), _LOCATIONS) if not m.negated]
    return asserted[-1] if asserted else None


# --------------------------------------------------------------------------
# 2. Pain radiation

_LIMBS = _table({
    "leg": (
        "leg", "thigh", "calf", "calves", "knee", "shin", "ankle", "foot",
        "(?<!on my )(?<!on our )feet", "toe",
        "hamstring", "buttock", "glute", "(?<!above my )(?<!above the )bum", "hip",
        "sciatica", "sciatic",
    ),
    "arm": ("arm", "forearm", "elbow", "wrist", "hand", "finger", "thumb",
            "shoulder(?! blade)"),
})
# "right" also means "all the way" ("right down to my foot").
_SIDES = _table({
    "left": ("left",),
    "right": (
        "right(?! (?:down|into|to|through|up|along|across|now|away|there|in|from|at|round|around))",
    ),
    "both": ("both", "either", "bilateral"),
})
_PLURAL_LIMB = re.compile(r"(?:s|feet|calves)$")
_STAYS_PUT = _table({"stays": (
    "stays? (?:in|on|at|put|there|local)", "(?:one|same) (?:spot|place|area)",
    "(?:just|only|purely) (?:in )?{my} (?:back|neck|lower back)", "locali[sz]ed", "nowhere",
)})
_SPREADS = _table({"spreads": (
    "spread\\w*", "radiat\\w*", "travel\\w*", "shoot\\w*", "go(?:es)? (?:anywhere|down|into|to)",
)})
_INTERJECTIONS = {"eish", "ag", "ah", "hey", "yoh", "shame", "ne", "hmm", "um", "umm", "uh",
                  "well", "lol", "haha", "sjoe", "oh", "ok", "okay", "so", "ja"}
_NO_WORDS = {"no", "nope", "nah", "never", "none", "nowhere", "hayi"}
_UNSURE_WORDS = {"idea", "clue", "sure", "know", "idk"}
_BARE_NO = {"no", "nope", "nah", "not really", "never", "none", "not at all",
            "no it doesn't", "it doesn't", "no it does not", "no never"}


def _side(text: str, plural_limb: bool) -> str | None:
    sides = {m.key for m in _mentions(text, _SIDES) if not m.negated}
    if "both" in sides or {"left", "right"} <= sides:
        return "both"
    if sides:
        return sides.pop()
    return "both" if plural_limb else None


@_never_raise
def parse_pain_radiation(text: str, answering: bool = False) -> tuple[str, str | None] | None:
    """Whether the pain spreads: ("leg"|"arm"|"none", "left"|"right"|"both"|None).

    A limb that is mentioned and not negated wins over "it stays in my back";
    a bare "no" counts only as a reply to the bot's question.
    """
    t = normalise(text)
    limbs = _mentions(t, _LIMBS)
    asserted = [m for m in limbs if not m.negated]
    if asserted:
        value = asserted[-1].key
        plural = any(_PLURAL_LIMB.search(m.text) for m in asserted if m.key == value)
        return value, _side(t, plural)
    stays_put = any(not m.negated for m in _mentions(t, _STAYS_PUT))
    denies = any(m.negated for m in limbs + _mentions(t, _SPREADS))
    return ("none", None) if stays_put or denies or (answering and _replies_no(t)) else None


def _replies_no(t: str) -> bool:
    """A reply with a sentence that opens with "no" ("nope, only there", "eish, no nè"),
    not "no idea"."""
    for sentence in re.split(r"[.!?;]", t):
        words = [w for w in re.findall(r"[a-z']+", sentence) if w not in _INTERJECTIONS]
        if " ".join(words) in _BARE_NO or (
                words and words[0] in _NO_WORDS and not set(words[1:3]) & _UNSURE_WORDS):
            return True
    return False


# --------------------------------------------------------------------------
# 3. Onset

_ONSET_CUES = _table({
    "sudden": (
        "sudden(?:ly)?", "all of a sudden", "out of (?:nowhere|the blue)",
        "(?:just|it|back|neck) went", "twinge", "(?:pop|popped|click|snap|snapped)",
        "felt (?:it|something) (?:go|give|pull|tear)", "pulled (?:something|a muscle)",
        "woke up", "instantly", "immediately", "straight away", "at once", "in one go",
        "locked", "gave way", "jarred", "tweaked", "twisted", "put {my} back out",
    ),
    "gradual": (
        "slow(?:ly)?", "gradual(?:ly)?", "crept", "creeping", "over time", "bit by bit",
        "little by little", "(?:built|building|build) up", "worse and worse", "progressively",
        "over (?:the )?(?:past |last )?(?:few |couple of |\\d+ )?(?:days|weeks|months)",
        "no (?:specific |particular )?(?:incident|injury|reason)",
        "nothing specific", "didn't do anything",
    ),
})
_ACTIVITY_LEAD = re.compile(r"\b(?:when|while|whilst|during|after) ")
_ACTIVITY_VERB = re.compile(
    r"\b(?:lifting|picking|bending|carrying|twisting|reaching|playing|deadlifting|squatting|"
    r"pushing|pulling|moving|gardening|digging|shovelling|sneezing|coughing|"
    r"standing|turning|running|training|doing|loading|cleaning|helping)\b"
)
# Where the activity phrase ends: punctuation or the start of a new clause.
_ACTIVITY_END = re.compile(
    r"[,.;:!?()]| (?:and|but|then|so|because|i|felt|heard|my back|my neck|suddenly|it went|"
    r"something (?:went|gave|popped|snapped))\b"
)
_SUBJECT = re.compile(r"^(?:i|we)(?:'m|'d|'ve)?(?: (?:was|were|had|have|been|just|busy))* ")
# Clauses after "when"/"after" that are times or events, not activities.
_NOT_ACTIVITY = re.compile(
    r"^(?:it|it's|that|this|the pain|woke|waking|last|yesterday|today|"
    r"(?:a |an |\d+ |a few |few |a couple of |couple of |several |some )?"
    r"(?:days?|weeks?|months?|years?|hours?|while|time)\b)"
)
# Past tense to the "-ing" form, so "when I lifted a box" reads "lifting a box".
_GERUNDS = {
    "lifted": "lifting", "picked": "picking", "bent": "bending", "carried": "carrying",
    "twisted": "twisting", "reached": "reaching", "played": "playing", "moved": "moving",
    "pulled": "pulling", "pushed": "pushing", "sneezed": "sneezing", "coughed": "coughing",
    "got": "getting", "stood": "standing", "sat": "sitting", "ran": "running",
    "tried": "trying", "did": "doing", "went": "going", "turned": "turning",
    "slipped": "slipping", "fell": "falling", "dug": "digging", "changed": "changing",
    "lift": "lifting", "pick": "picking", "bend": "bending",
}


def _clean_activity(rest: str) -> str | None:
    clause = _SUBJECT.sub("", _ACTIVITY_END.split(rest, maxsplit=1)[0].strip())
    words = clause.split()
    if not words or _NOT_ACTIVITY.match(_digits(clause)):
        return None
    words[0] = _GERUNDS.get(words[0], words[0])
    return " ".join(words[:8])


def _activity(text: str) -> str | None:
    """What they were doing when it started, as a short phrase, if said."""
    for lead in _ACTIVITY_LEAD.finditer(text):
        activity = _clean_activity(text[lead.end():])
        if activity:
            return activity
    verb = _ACTIVITY_VERB.search(text)
    return _clean_activity(text[verb.start():]) if verb else None


@_never_raise
def parse_onset(text: str, answering: bool = False) -> tuple[str, str | None] | None:
    """How the pain began: ("sudden"|"gradual", activity or None).

    The first onset word decides (people describe the onset before any later
    flare); a negated one counts as its opposite ("it wasn't sudden"). With no
    onset word, naming what they were doing implies a sudden onset, but only as an
    answer to "how did it start?" ("since I started crossfit" unasked is training).
    """
    t = normalise(text)
    activity = _activity(t)
    cues = _mentions(t, _ONSET_CUES)
    if cues:
        first = cues[0]
        if first.negated:
            return ("gradual" if first.key == "sudden" else "sudden"), activity
        return first.key, activity
    return ("sudden", activity) if activity and answering else None


# --------------------------------------------------------------------------
# 4. Duration

_WEEKS_PER_UNIT = {
    "minute": 1 / 10080, "hour": 1 / 168, "day": 1 / 7, "week": 1.0,
    "fortnight": 2.0, "month": 4.345, "year": 52.0,
}
_QUANTITY_WORDS = {"a couple of": 2, "couple of": 2, "a couple": 2, "a few": 3, "few": 3,
                   "several": 3, "an": 1, "a": 1}
_DURATION = re.compile(
    rf"\b(?:(?P<low>{_NUM}) ?(?:-|to|or) ?)?"
    rf"(?P<qty>{_NUM}|{'|'.join(_QUANTITY_WORDS)})? ?"
    rf"(?P<unit>{'|'.join(_WEEKS_PER_UNIT)})(?P<plural>s)?\b(?P<half> and a half)?"
)
# "twice a week", "8 hours a day", "45 years old" are not how long it has hurt.
_NOT_DURATION_BEFORE = re.compile(r"\b(?:twice|once|times|per|every|hours?|sessions?) $")
_NOT_DURATION_AFTER = re.compile(r" (?:old|of age)\b")
# How often, not how long: "2 hours a day", "3 days a week", "an hour daily".
_RATE = re.compile(
    rf"\b(?:{_NUM}|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve) "
    r"(?:hours?|days?|times?|sessions?|nights?) "
    r"(?:(?:a|an|per|each|every|in a|in the) (?:day|week|month|year)|daily|weekly)\b")

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|"
           "november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
# Only fragments with one of these go to dateparser, which is slow and liberal.
_DATE_HINT = re.compile(
    rf"\b(?:{_MONTHS}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|last|ago|"
    r"weekend|christmas|xmas|easter|new year|this morning|tonight|(?:19|20)\d\d)\b|\d/\d"
)
_DATE_LEAD = re.compile(r"\b(?:since|from|in|on|started|began|happened|around) ")
_DATEPARSER_SETTINGS = {
    "PREFER_DATES_FROM": "past",
    "PREFER_DAY_OF_MONTH": "first",  # "since March" means since the start of March
    "DATE_ORDER": "DMY",  # South African dates: 3/5 is 3 May
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def _latest(today: dt.date, day_in_year) -> dt.date:
    """The most recent date, on or before today, given by ``day_in_year(year)``."""
    this_year = day_in_year(today.year)
    return this_year if this_year <= today else day_in_year(today.year - 1)


def _named_day(fragment: str, today: dt.date) -> dt.date | None:
    """Days dateparser does not know."""
    if "weekend" in fragment:
        # The last Saturday before today (a week back if today is Saturday).
        return today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    if "christmas" in fragment or "xmas" in fragment:
        return _latest(today, lambda year: dt.date(year, 12, 25))
    if "new year" in fragment:
        return _latest(today, lambda year: dt.date(year, 1, 1))
    if "easter" in fragment:
        return _latest(today, _easter)
    if "this morning" in fragment or "tonight" in fragment:
        return today
    if "last night" in fragment:
        return today - dt.timedelta(days=1)
    return None


def _parse_date(fragment: str, today: dt.date) -> dt.date | None:
    named = _named_day(fragment, today)
    if named:
        return named
    settings = dict(_DATEPARSER_SETTINGS, RELATIVE_BASE=dt.datetime.combine(today, dt.time()))
    words = fragment.split()[:4]
    # Longest prefix first: "march it's been sore" -> "march".
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        if not _DATE_HINT.search(candidate):
            continue
        # dateparser knows "friday" but not "last friday".
        for attempt in (candidate, re.sub(r"^last ", "", candidate)):
            parsed = dateparser.parse(attempt, languages=["en"], settings=settings)
            if parsed:
                return parsed.date()
    return None


def _quantity_weeks(text: str, answering: bool = True) -> float | None:
    """Weeks from "3 days", "a couple of months", "1 week and 2 days", "years"; hours and
    minutes only as the answer to "how long?" (unasked, "7 hours" is time sitting)."""
    total, last_end = None, None
    text = _RATE.sub("rate", text)
    for m in _DURATION.finditer(text):
        qty, plural = m.group("qty"), m.group("plural")
        skip = (
            (qty is None and not plural)  # "last week" is a date, not an amount
            or _NOT_DURATION_BEFORE.search(text, 0, m.start())
            or _NOT_DURATION_AFTER.match(text, m.end())
            or _negated_number(text, m.start())  # "2 weeks not 2 months"
            or (not answering and m.group("unit") in ("hour", "minute"))
        )
        if skip:
            continue
        if total is not None and text[last_end:m.start()] not in (" and ", ", "):
            break
        # A bare plural ("years") means at least two; a range takes its upper end.
        count = 2.0 if qty is None else float(_QUANTITY_WORDS.get(qty) or qty)
        if m.group("low"):
            count = max(count, float(m.group("low")))
        if m.group("half"):
            count += 0.5
        total = (total or 0.0) + count * _WEEKS_PER_UNIT[m.group("unit")]
        last_end = m.end()
    return total


@_never_raise
def parse_duration_weeks(text: str, today: dt.date | None = None,
                         answering: bool = True) -> float | None:
    """Weeks since the pain started, to one decimal ("3 days" -> 0.4).

    Explicit amounts win over dates; dates ("since March", "since the weekend")
    are counted back from ``today`` (default: the practice clock's). A bare number
    is ambiguous and gives None, as does "for ages".
    """
    if isinstance(today, dt.datetime):
        today = today.date()
    today = today or clock.today()
    t = _digits(normalise(text))
    weeks = _quantity_weeks(t, answering)
    if weeks is None:
        # After "since", "in", "started"...; then a short reply as a whole ("yesterday").
        fragments = [t[m.end():] for m in _DATE_LEAD.finditer(t)][:6]
        fragments += [t] if len(t.split()) <= 5 else []
        for fragment in fragments:
            started = _parse_date(re.split(r"[,.;!?]", fragment, maxsplit=1)[0], today)
            if started and started <= today:
                weeks = (today - started).days / 7
                break
    return None if weeks is None else round(weeks, 1)


# --------------------------------------------------------------------------
# 5. Severity

_OUT_OF_TEN = re.compile(rf"(?P<n>{_NUM}) ?(?:/|out of|over) ?10\b")
_STATED_SCORE = re.compile(
    r"\b(?:pain|severity|level|score|rating|rate it|i'd say|i'd give it|give it)(?:'s)?"
    r"(?: (?:is|was|at|of|to|a|an|about|around|like|maybe|probably|solid|easily|it's|would be))*"
    rf" (?P<n>{_NUM})(?!\.?\d)"
)


@_never_raise
def parse_severity(text: str, answering: bool = False) -> int | None:
    """Pain score 0..10 from "7", "seven", "7/10", "about a 6 or 7" (-> 7).

    Of several scores the highest is taken, to stay on the safe side; a score
    above 10 gives None. Bare numbers count only when ``answering``.
    """
    t = _digits(normalise(text))
    explicit = list(_OUT_OF_TEN.finditer(t))
    explicit += [m for m in _STATED_SCORE.finditer(t) if not _UNIT_AFTER.match(t, m.end())]
    scores = [float(m.group("n")) for m in explicit if not _negated_number(t, m.start("n"))]
    if not scores and answering:
        scores = _bare_numbers(t)
        if not scores and re.fullmatch(r"(?:none|no pain(?: at all)?)\W*", t):
            scores = [0.0]
    if not scores or max(scores) > 10:
        return None
    return math.ceil(max(scores))


# --------------------------------------------------------------------------
# 6. Desk hours

_HOURS = re.compile(
    rf"(?:(?P<low>{_NUM}) ?(?:-|to|or) ?)?(?P<n>\b(?:{_NUM}|an?)) ?(?P<unit>hour|h|minute)s?\b"
    r"(?P<weekly> ?(?:a|per|each|every|in a) week|weekly)?"
)
# "9 to 5", "8:30-5", "7am to 6pm": a working day given by its start and end.
_WORKDAY = re.compile(
    r"\b(?P<start>\d{1,2})(?::(?P<start_min>\d\d))? ?(?:am)? ?(?:-|to|till|until|til) ?"
    r"(?P<end>\d{1,2})(?::(?P<end_min>\d\d))? ?(?P<pm>pm)?\b"
)
_NOT_SITTING = _table({"zero": (
    "on {my} feet", "not desk", "no desk", "not at a desk", "not a desk", "not much",
    "(?:don't|do not|never|hardly|hardly ever|rarely|barely) sit", "hardly any",
    "(?:mostly|always) standing", "stand all day", "standing all day", "not sitting",
)})
_DAY_SHARE_HOURS = {"all_day": 8.0, "most_of_day": 6.0, "half_day": 4.0}
_DAY_SHARE = _table({
    "all_day": ("all day", "whole day", "entire day", "full day"),
    "most_of_day": ("most of {my} day",),
    "half_day": ("half (?:of )?(?:{my}|a) day",),
})
_DESK_CONTEXT = re.compile(r"\b(?:desk|sit|sitting|seated|computer|laptop|pc|screen)\b")
_BARE_NONE = re.compile(r"(?:none|nothing|not at all|no|never)\W*")


def _workday_hours(m: re.Match) -> float | None:
    start = int(m.group("start")) + int(m.group("start_min") or 0) / 60
    end = int(m.group("end")) + int(m.group("end_min") or 0) / 60
    if end <= start or (m.group("pm") and end < 12):
        end += 12
    elif not m.group("pm"):
        return None  # "10-12" is a range of hours, not a working day
    hours = end - start
    return hours if 0 < hours <= 16 else None


@_never_raise
def parse_desk_hours(text: str, answering: bool = False) -> float | None:
    """Hours sitting per working day: "8h", "9 to 5" (-> 8), "on my feet" (-> 0).

    Amounts with a unit come first ("10-12 hours" -> 12, "40 hours a week"
    -> 8), then not-sitting phrases, working-day spans and "all day"-style
    phrases. Bare numbers count when ``answering`` or when the message is
    about sitting ("about 6 at my desk").
    """
    t = _digits(normalise(text))
    for m in _HOURS.finditer(t):
        if _negated_number(t, m.start()):
            continue
        hours = float({"a": 1, "an": 1}.get(m.group("n")) or m.group("n"))
        hours = max(hours, float(m.group("low") or 0))
        if m.group("unit") == "minute":
            hours /= 60
        if m.group("weekly"):
            hours /= 5
        return round(hours, 1) if hours <= 24 else None
    if any(not m.negated for m in _mentions(t, _NOT_SITTING)):
        return 0.0
    for m in _WORKDAY.finditer(t):
        hours = _workday_hours(m)
        if hours is not None:
            return round(hours, 1)
    shares = [m for m in _mentions(t, _DAY_SHARE) if not m.negated]
    if shares:
        return _DAY_SHARE_HOURS[shares[0].key]
    if answering or _DESK_CONTEXT.search(t):
        numbers = _bare_numbers(t)
        if numbers:
            return max(numbers) if max(numbers) <= 24 else None
    if answering and _BARE_NONE.fullmatch(t):
        return 0.0
    return None


# --------------------------------------------------------------------------
# 7. Training change

_SPORT_SYNONYMS = {
    "running": ("running", "run", "ran", "jog", "jogging", "marathon", "comrades",
                "(?:two|2) oceans", "parkrun", "park run", "trail run", "fun run"),
    "gym": ("gym", "bootcamp", "boot camp"),
    "crossfit": ("crossfit", "cross fit"),
    "weights": ("weights", "weight training", "lifting", "weightlifting", "powerlifting",
                "deadlift", "deadlifting", "squat", "bench press"),
    "cycling": ("cycling", "cycle", "bike", "biking", "mtb", "spinning", "spin class",
                "94\\.7", "cycle challenge"),
    "soccer": ("soccer", "football"),
    "swimming": ("swimming", "swim"),
    "hiking": ("hiking", "hike"),
    "dance": ("dance", "dancing"),
    "walking": ("walking", "walk"),
}
_PLAIN_SPORTS = ("padel", "squash", "rugby", "netball", "yoga", "pilates", "tennis", "golf",
                 "cricket", "hockey", "boxing", "surfing", "climbing", "rowing", "triathlon",
                 "volleyball", "basketball", "martial arts", "karate")
_SPORTS = _table({**_SPORT_SYNONYMS, **{s.replace(" ", "_"): (s,) for s in _PLAIN_SPORTS}})

_TRAINING_CUES = _table({
    "increased": (
        "more(?! pain| sore| stiff| painful)", "increased", "increase", "upped",
        "ramped up", "stepped up", "doubled", "tripled", "added", "adding", "extra",
        "heavier", "harder", "longer",
        "(?<!pain )(?<!it )(?<!that )(?:started|starting|began|took up|taken up|taking up)",
        "joined", "signed up", "training for", "preparing for", "back into", "returned to",
        "new (?:\\w+ )?(?:programme|program|routine|sport|class|coach|plan|training|gym|season)",
    ),
    "decreased": (
        "stopped", "stop", "quit", "gave up", "given up", "no longer", "cut back", "cut down",
        "cutting back", "reduced", "less", "fewer", "not as much", "haven't been",
        "have not been", "hasn't been", "not been", "(?:taking|took|taken) a break", "break from",
        "resting", "paused", "backed off", "eased off",
        "(?:can't|couldn't|cannot|unable to) (?:train|run|play|exercise|go)",
    ),
    "not_training": (
        "(?:don't|do not|never) (?:train|exercise|work out|do any|do sport|play sport|play any)",
        "not (?:very |really )?active", "inactive", "no (?:sport|exercise|training)",
        "not sporty", "sedentary", "couch potato",
    ),
    "unchanged": (
        "same", "as always", "as usual", "as normal", "usual", "normal", "nothing (?:has )?changed",
        "nothing's changed", "no change", "not changed", "(?:hasn't|haven't) changed",
        "unchanged", "consistent", "no different", "nothing different", "nothing new", "still",
    ),
})
# Strongest signal first: a rise in load is what the triage cares about most.
_TRAINING_PRIORITY = ("increased", "decreased", "not_training", "unchanged")
_FROM_TO = re.compile(r"\bfrom (?P<a>[a-z0-9.]+) to (?P<b>[a-z0-9.]+)\b")


def _nearest_sport(sports: list[_Mention], start: int, end: int) -> str | None:
    if not sports:
        return None
    nearest = min(sports, key=lambda s: max(s.start - end, start - s.end, 0))
    return nearest.key.replace("_", " ")


_EXERCISE = re.compile(r"\b(?:train\w*|exercis\w*|gym|work(?:ing)? out|workouts?|sports?|"
                       r"fitness|active|activity|activities)\b")


@_never_raise
def parse_training_change(text: str, answering: bool = True) -> tuple[str, str | None] | None:
    """Recent change in training: ("increased"|"decreased"|"unchanged"|"not_training", sport).

    The sport is the one named nearest the deciding phrase, canonicalised
    ("comrades" -> "running"); None for "not_training" or when none is named.
    A negated rise or fall ("haven't increased anything") counts as unchanged. Unasked
    (``answering`` false), only a message about exercise or a sport counts.
    """
    t = normalise(text)
    sports = _mentions(t, _SPORTS)
    if not answering and not sports and not _EXERCISE.search(t):
        return None  # unasked, "since I started working from home" is not about training
    votes: dict[str, tuple[int, int]] = {}
    cues = _mentions(t, _TRAINING_CUES)
    about_exercise = [m.span() for m in re.finditer(r"[^.!?;]+", t)
                      if any(m.start() <= sport.start < m.end() for sport in sports)
                      or _EXERCISE.search(m.group())]
    # "since I started working from home. I've cut back on rugby": the sentence about
    # exercise decides, when one has a cue.
    cues = [c for c in cues if any(start <= c.start < end for start, end in about_exercise)] \
        or cues
    for cue in cues:
        key = cue.key
        if cue.negated:
            if key not in ("increased", "decreased"):
                continue
            key = "unchanged"
        votes.setdefault(key, (cue.start, cue.end))
    # "went from 3 to 6 runs a week"
    for m in _FROM_TO.finditer(t):
        a, b = number_from_words(m.group("a")), number_from_words(m.group("b"))
        if a is not None and b is not None and a != b:
            votes.setdefault("increased" if b > a else "decreased", (m.start(), m.end()))
    for value in _TRAINING_PRIORITY:
        if value in votes:
            sport = None if value == "not_training" else _nearest_sport(sports, *votes[value])
            return value, sport
    return None


# --------------------------------------------------------------------------
# 8. Who the patient is: someone writing for a relative, and the patient's age

_RELATIONS = {
    "he": ("dad", "father", "husband", "son", "grandfather", "grandpa", "granddad", "oupa",
           "boyfriend", "brother", "uncle", "fiance", "stepdad", "pa", "baba"),
    "she": ("mum", "mom", "mother", "wife", "daughter", "grandmother", "grandma", "gran",
            "granny", "ouma", "girlfriend", "sister", "aunt", "aunty", "auntie", "fiancee",
            "stepmom", "stepmum", "ma", "mama", "gogo"),
    "they": ("partner", "friend", "child", "kid", "teenager", "parent", "spouse", "client",
             "colleague", "neighbour", "neighbor", "boss", "employee"),
}
_RELATION_PRONOUN = {word: pronoun for pronoun, words in _RELATIONS.items() for word in words}
_RELATION_WORD = "|".join(sorted(_RELATION_PRONOUN, key=len, reverse=True))
# "writing for my dad", "asking on behalf of my wife", "my husband can't type, he says ...";
# not "my mum had cancer", which is family history, not the person being asked about.
_WRITING_FOR = re.compile(
    rf"\b(?:writ\w*|ask\w*|messag\w*|enquir\w*|inquir\w*|typ\w*|contact\w*|here|book\w*|"
    rf"help\w*|chat\w*|text\w*|whatsapp\w*)\s+(?:\w+\s+){{0,2}}?(?:for|on behalf of|about)\s+"
    rf"my\s+(?:\w+\s+)?(?P<rel>{_RELATION_WORD})\b"
    rf"|\bmy\s+(?P<rel2>{_RELATION_WORD})\s+(?:can'?t|cannot|doesn'?t|is not able to|isn't able to)"
    rf"\s+(?:type|text|write|use (?:the |a )?(?:phone|chat|computer))"
    rf"|\bmy\s+(?P<rel3>{_RELATION_WORD})\s+(?:asked|wants|told|says|said|would like)\s+me\b"
    rf"|\bfor my\s+(?P<rel4>{_RELATION_WORD})\b(?=[^.?!]*\b(?:he|she|his|her|they)\b)"
    rf"|\bhelp\w*\s+my\s+(?P<rel5>{_RELATION_WORD})\b"
    rf"|\bon behalf of my\s+(?:\w+\s+)?(?P<rel6>{_RELATION_WORD})\b"
)
# Without a "writing for" frame: "my gran is in pain", "my husband's back went", when the
# writer says nothing about their own body (then the relative is someone else).
_RELATIVE_IN_PAIN = re.compile(
    rf"\bmy\s+(?P<rel>{_RELATION_WORD})(?:'s)?\b(?=[^.?!]{{0,60}}\b(?:pain|sore|hurt\w*|ache\w*|"
    rf"aching|back|neck|spine|injur\w*|stiff|struggl\w*|trouble)\b)")
_WRITERS_OWN_BODY = re.compile(
    r"\bmy\s+(?:own\s+)?(?:lower |upper |mid )?(?:back|neck|spine|shoulders?|legs?|arms?|hips?)\b"
    r"|\b(?:i'm|i am|i have|i've|i)\b[^.?!]{0,20}\b(?:pain|sore|hurt\w*|ache\w*)\b|\bmine\b")
_AGE = re.compile(
    r"\b(?:i'm|i am|he's|he is|she's|she is|they're|they are|who is|who's|aged?|age:?)\s+"
    r"(?P<a>\d{1,3})\b"
    r"(?!\s*(?:hours?|h|weeks?|days?|months?|%|/|kg|km|minutes?|times?|out of|on|x))"
    r"|\b(?P<b>\d{1,3})\s*(?:years?|y)\s*old\b|\b(?P<c>\d{1,3})\s*y/?o\b"
    rf"|\bmy\s+(?:{_RELATION_WORD})\s*(?:\(\s*|,\s*)(?P<d>\d{{1,3}})\b"
    r"(?!\s*(?:hours?|h|weeks?|days?|months?|%|/|kg|km|minutes?|times?|out of|x))"
)


class Writer(NamedTuple):
    relation: str
    pronoun: str
    explicit: bool = True  # "writing for my dad", not only "my dad's back is sore"


@_never_raise
def parse_writer(text: str) -> Writer | None:
    """Who the patient is when someone writes for them: ("dad", "he"), else None."""
    t = normalise(text)
    m = _WRITING_FOR.search(t)
    if m is not None:
        relation = next(g for g in m.group("rel", "rel2", "rel3", "rel4", "rel5", "rel6") if g)
        explicit = True
    else:
        m = _RELATIVE_IN_PAIN.search(t)
        if m is None or _WRITERS_OWN_BODY.search(t):
            return None
        relation, explicit = m.group("rel"), False
    pronoun = _RELATION_PRONOUN[relation]
    if pronoun == "they":
        later = re.search(r"\b(he|his|him|she|her)\b", t[m.end():])
        if later:
            pronoun = "he" if later.group(1) in ("he", "his", "him") else "she"
    return Writer(relation, pronoun, explicit)


@_never_raise
def parse_age(text: str) -> int | None:
    """The patient's age when stated ("he's 70", "I'm 45 years old", "81yo")."""
    m = _AGE.search(_digits(normalise(text)))
    if m is None:
        return None
    age = int(next(g for g in m.group("a", "b", "c", "d") if g))
    # A bare "I'm 7" is more likely a pain score than a child typing.
    youngest = 13 if m.group("a") else 1
    return age if youngest <= age <= 110 else None


# Words that, alone, are a reply to being asked something, not a description of it.
_FILLER = set(
    "yes yeah yea ya ja jy yep yup ok okay okey k kk sure please pls plz thanks thank you ta "
    "no nope nah not really idea idk dunno know don't i am i'm sure maybe hmm um umm uh "
    "lol cool fine alright right good great the a of it that this so well haha "
    "eish yoh shame".split())


def is_real_answer(text: str) -> bool:
    """A free-text answer says something beyond "yes", "ok", "no idea" or "yes please"."""
    words = re.findall(r"[a-z']+", normalise(text))
    return any(word not in _FILLER for word in words)


# What eases or worsens the pain, when the patient volunteers it unasked.
_EASES_WORSENS = re.compile(
    r"\b(?:worse|better|eases?|easier|helps?|relie\w*|aggravat\w*|triggers?|flares? up|"
    r"(?:mostly|especially|only|usually|just|even) when|whenever|hurts? (?:more|less|when))\b")


@_never_raise
def parse_eases_worsens(text: str) -> str | None:
    """The patient's own words when they say what makes it better or worse, else None."""
    t = normalise(text)
    return t[:300] if _EASES_WORSENS.search(t) and is_real_answer(t) else None


# A typed yes or no, in lay and South African forms, to a yes/no question.
_YES = re.compile(
    r"^\W*(?:yes|yeah|yea|ya|yep|yup|ja|jaa|jy|yebo|ewe|sure|definitely|correct|"
    r"that'?s right|it is|it does|i have|i do|i think so|afraid so|sadly yes|true)\b")
_NO = re.compile(
    r"^\W*(?:no|nope|nah|nee|never|not really|not at all|cha|hayi|i don'?t think so|"
    r"it'?s not|it isn'?t|it doesn'?t|i haven'?t|i don'?t|none)\b"
    r"|\b(?:goes away when|only when i sit|not new|had (?:it|that) for years)\b")


@_never_raise
def parse_yes_no(text: str) -> bool | None:
    """True for a typed yes, False for a typed no, None when the text says neither."""
    t = normalise(text)
    if t in ("/affirm", "/deny"):
        return t == "/affirm"
    yes, no = bool(_YES.search(t)), bool(_NO.search(t))
    return None if yes == no else yes


_BOOKING_REQUEST = re.compile(
    r"\b(?:make|get) (?:a|an|me a) (?:new )?(?:booking|appointment)\b|"
    r"\b(?:can|could|may) (?:i|we|you) (?:\w+ )?(?:book|make an appointment|get an appointment|"
    r"see (?:a|the|someone|somebody))|\b(?:i'?d|i would|we'?d|want to|wanna|like to|need to|"
    r"please) (?:\w+ )?(?:book|make an appointment|get an appointment)|\bbook (?:me|him|her|them|"
    r"us|in|an appointment|a session|an assessment)\b")


def asks_to_book(text: str) -> bool:
    """A request to book inside a longer message ("... can I book her in?")."""
    return bool(_BOOKING_REQUEST.search(normalise(text)))


_CORRECTION = re.compile(
    r"\b(?:actually|i meant|i mean|correction|sorry,? (?:it'?s|it is|i meant)|no wait|"
    r"let me (?:correct|change|fix|update)|(?:change|update|fix) (?:that|my answer)|"
    r"(?:that was|i (?:said|put|typed|wrote) (?:that |it )?) ?wrong|wrong answer|my (?:mistake|bad)|"
    r"typo|not \d+(?:\.\d+)?\b|more like|rather)\b")


def is_correction(text: str) -> bool:
    """The patient corrects an earlier answer ("actually it's 4 weeks, not 2")."""
    return bool(_CORRECTION.search(normalise(text)))


# Built at import (about 0.8 s), so no patient's first message waits for it.
_speller()
