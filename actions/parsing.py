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

import calendar
import datetime as dt
import functools
import html
import logging
import math
import re
from typing import NamedTuple

import dateparser
from word2number import w2n

from actions import clock
from redflags.spelling import CHAT_SPELLINGS, SpellingFixer, english_words

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
    "looks_like_question",
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
    text = re.sub(r"[a-z']+",
                  lambda m: CHAT_SPELLINGS.get(m.group()) or _speller().fix(m.group()), text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def _speller() -> SpellingFixer:
    """Slips are fixed towards the parsers' own words, read off their compiled patterns, and
    the English words they stem ("gradual" -> "gradually"), so a word added to a table is
    understood misspelt too ("graadually", "sread"). A real English word is never "fixed"
    ("leaning" is not "cleaning")."""
    stems = set(CHAT_SPELLINGS.values()) | set(_NUMBER_WORDS) | _FILLER | _CALENDAR_WORDS
    for value in globals().values():
        if isinstance(value, re.Pattern):
            stems.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", value.pattern)))
    english = english_words()
    stemmed = {word for word in english if any(
        word[:k] in stems for k in range(max(_MIN_STEM, len(word) - _MAX_SUFFIX), len(word)))}
    return SpellingFixer(stems | stemmed, english)


# Days and months, read by dateparser here and in the booking chat ("mnoday morning").
_CALENDAR_WORDS = {name.lower() for name in calendar.day_name} | {
    name.lower() for name in calendar.month_name if name} | {"morning", "afternoon", "evening"}


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
# "Not sure what you mean by spread" and "no idea" are unsure, not a denial.
_NEGATION = re.compile(
    r"\b(?:not(?! (?:sure|certain)\b)|no(?! (?:idea|clue)\b)|never|without|nothing|nor|cannot)\b"
    r"|n't\b")
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
        "base of {my} back",
        "where {my} belt",
    ),
    "mid_back": (
        "mid back", "middle back", "middle of {my} (?:back|spine)", "mid(?:dle)? spine",
        "ribs at {my} back",
        "back of {my} ribs", "behind {my} ribs", "thoracic",
    ),
    "upper_back": ("upper back", "upper spine", "top of {my} (?:back|spine)", "shoulder blade",
                   "between {my} shoulders", "scapula(?:e|s)?"),
    "neck": ("neck", "base of {my} skull", "cervical"),
})


@_never_raise
def parse_pain_location(text: str) -> str | None:
    """Where the back pain is: "lower_back", "mid_back", "upper_back" or "neck".

    The last place mentioned that is not negated wins, so corrections work;
    a plain "my back" is too vague and gives None.
    """
    t = normalise(text)
    asserted = [m for m in _mentions(t, _LOCATIONS) if not m.negated]
    # A place the pain runs to, a landmark or a place said to hurt only sometimes gives way
    # to the place that hurts; a message with only such places still names one.
    main = [m for i, m in enumerate(asserted)
            if not _aside(t, asserted[i - 1].end if i else None, m)]
    return (main or asserted)[-1].key if asserted else None


# "base of my neck, runs down between my shoulder blades": where it spreads to.
_SPREAD_VERB = re.compile(
    r"\b(?:runs?|running|shoots?|shooting|spreads?|spreading|radiat\w*|travels?|travelling|"
    r"goes|going|went|sends?|down|into|towards?)\b")
# "middle of my back just below the left shoulder blade": the blade only says where.
_LANDMARK = re.compile(
    r"\b(?:below|beneath|under|underneath|above|next to|near|beside)"
    r"(?: (?:just|the|my|left|right))* $")
_SECONDARY = re.compile(r"\b(?:sometimes|occasionally|at times|now and then|also)\b")
# "a rolled up towel behind my middle back helps": where a thing is put, not the pain.
_PROP_PLACED = re.compile(
    r"\b(?:towel|pillow|cushion|ball|roller|pad|heat pack|hot water bottle|ice pack|ice|brace|"
    r"wheat bag|support)(?: [a-z']+){0,3} (?:behind|under|against|on|across)"
    rf"(?: {_POSSESSIVE})? $")


def _aside(t: str, previous_end: int | None, m: _Mention) -> bool:
    """Whether a place is mentioned by the way (see above), judged on the words before it."""
    before = _CLAUSE_BREAK.split(t[:m.start])[-1]
    if _SECONDARY.search(before) or _PROP_PLACED.search(before) or _LANDMARK.search(before):
        return True
    if previous_end is None:
        return False
    between = t[previous_end:m.start]
    return not re.search(r"[.!?]", between) and bool(_SPREAD_VERB.search(between))


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
# Limbs that are not where the pain goes: an exercise ("leg press", "arm day"), a limb being
# moved ("lifting my arms hurts"), and the shoulders, which sit beside the neck and upper back
# ("my shoulders and upper back are stiff") unless the pain runs into them.
_LIMB_EXERCISE = re.compile(
    r" (?:press|day|curl|raise|extension|workout|session|machine|exercise|stretch|thrust|lift)")
_LIMB_MOVED = re.compile(
    r"\b(?:lift|rais|mov|bend|straighten|turn|stretch|cross|lower|swing|rotat|relax|shrug|"
    rf"us|hold|put|stick)(?:e|es|ed|ing|s)? (?:up )?(?:{_POSSESSIVE} )?(?:\w+ )?$")
_INTO_SHOULDER = re.compile(
    rf"\b(?:into|down|to|through|towards?)(?: (?:{_POSSESSIVE}|the|left|right|top of|both))* $")


def _limb_stated(t: str, limb: _Mention) -> bool:
    if limb.negated or _LIMB_EXERCISE.match(t, limb.end) or _LIMB_MOVED.search(t, 0, limb.start):
        return False
    return not limb.text.startswith("shoulder") or bool(_INTO_SHOULDER.search(t, 0, limb.start))

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
    asserted = [m for m in limbs if _limb_stated(t, m)]
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
        "(?:just|it|back|neck) went", "twinge[ds]?",
        # an event word in any form: "popped", "seized up", "zap, pow"
        "(?:pop|click|snap|crack|twang|spasm)(?:ped|ed|ping|ing)?", "exploded", "seized",
        "went into spasm", "gave out", "zap", "pow", "jolt(?:ed)?",
        # an injury done to the back: "strained my lower back", "did my neck in"; "I hurt my
        # back" alone is how many people say it is sore, so only with what they were doing
        "(?:injured|strained|tweaked|wrenched|did|threw out|sprained|jarred|cricked|ricked|"
        "torqued|buggered|stuffed) (?:{my} )?(?:\\w+ )?(?:back|neck|spine)",
        "hurt (?:{my} )?(?:\\w+ )?(?:back|neck|spine|it|myself) (?:when|while|lifting|picking|"
        "carrying|moving|playing|doing|at (?:the )?gym)",
        "(?:injured|strained|tweaked|torqued) (?:it|myself)",
        # a pain got at a moment, in the past: "stood up and got a sharp pain"
        "(?:got|felt|had) (?:a|this|that|such a) (?:[a-z]+ ){0,3}?"
        "(?:pain|twinge|jolt|shock|pull|tear)",
        "felt (?:it|something) (?:go|give|pull|tear)", "pulled (?:something|a muscle)",
        "felt {my} (?:\\w+ )?(?:back|neck) (?:go|give|pull|tear|snap|pop)", "bolt of",
        "collapsed",
        "woke up", "instantly", "immediately", "straight away", "at once", "in one go",
        "locked", "gave way", "jarred", "tweaked", "twisted", "put {my} back out",
    ),
    "gradual": (
        "slow(?:ly)?", "gradual(?:ly)?", "crept", "creeping", "over time", "bit by bit",
        "little by little", "(?:built|building|build) up", "worse and worse", "progressively",
        "over (?:the )?(?:past |last )?(?:few |couple of |\\d+ )?(?:days|weeks|months)",
        "no (?:specific |particular )?(?:incident|injury|reason)",
        "nothing specific", "didn't do anything", "on and off",
        "over the years",
        # a posture kept too long: "scrunched at the computer", "hunched over my phone"
        "(?:(?:hunch|slouch|scrunch)(?:ed|ing)|bent) (?:over|at) (?:{my} )?(?:\\w+ )?(?:desk|computer|"
        "laptop|pc|phone|screen)",
    ),
})
# When no onset word says how, a pinned moment still says it was sudden: "it happened on
# Thursday", "on the 5th rep of my second set".
_ONSET_MOMENT = re.compile(
    r"\bhappened (?:on|at|when|while|during|today|yesterday|this|last|in the|\w+day)\b"
    r"|\b(?:on|at|during) (?:the|my) (?:\w+ ){0,3}?(?:rep|set|lift|attempt|swing|serve|"
    r"stroke|tackle|jump|landing|stride|pull)s?\b")
# "feels like it needs to be popped" wishes for an event, it does not report one.
_WISHED = re.compile(
    r"\b(?:needs?|wants?|like|trying|tried) (?:to )?(?:be )?(?:an? )?(?:good |little |proper )?$")
_ACTIVITY_LEAD = re.compile(r"\b(?:when|(?<!a )while|whilst|during|after) ")  # not "for a while"
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
    r"^(?:it|it's|that|this|the pain|woke|waking|last|yesterday|today|start\w*|began|begin\w*|"
    r"(?:the )?(?:day|night|morning|evening|weekend|season)\b|"
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
    cues = [m for m in _mentions(t, _ONSET_CUES) if not _WISHED.search(t, 0, m.start)]
    if cues:
        first = cues[0]
        if first.negated:
            return ("gradual" if first.key == "sudden" else "sudden"), activity
        return first.key, activity
    if _ONSET_MOMENT.search(t):
        return "sudden", activity
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
# "after a day at work", "within an hour it was stiff": a time inside the story.
_NOT_DURATION_BEFORE = re.compile(
    r"\b(?:twice|once|times|per|every|hours?|sessions?|after|within|into) $")
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


# "been lifting about 2 years", "took a few days off the gym": how long they have done
# something, not how long it has hurt, unless the same clause names the pain ("lifting for 8
# years and had back pain from it that whole time").
_DOING = re.compile(
    r"\b(?:doing|done|did|working|worked|labour|labor|rested|train\w*|exercis\w*|gym|sports?|"
    r"workouts?)\b")
_PAIN_WORD = re.compile(
    r"\b(?:pain\w*|sore\w*|hurt\w*|ache\w*|aching|stiff\w*|injur\w*|issues?|problems?|trouble|"
    r"agony|twinge\w*|spasm\w*|niggle\w*|back|neck|spine"
    r"|it(?:'s| has| had)? (?:\w+ )?(?:started|began|begun|came|been|happened))\b")
# A date with the moment it began in its clause: "woke up with it this morning", "last night
# i bent over and it went". Unasked, a date elsewhere is when something else happened.
_BEGAN = re.compile(
    r"\b(?:woke|(?:started|began)(?! (?:\w+ing|to|doing)\b)|came on|came back|happened|hurt)\b")


# "been running for 5 years and now my back is sore": "now" starts another time.
_DURATION_CLAUSE_BREAK = re.compile(r"[,.;!?]| (?:and |but |so )?(?:now|then) ")


def _clause_at(text: str, at: int) -> str:
    start = max((m.end() for m in _DURATION_CLAUSE_BREAK.finditer(text, 0, at)), default=0)
    end = _DURATION_CLAUSE_BREAK.search(text, at)
    return text[start:end.start() if end else len(text)]


def _about_doing(text: str, at: int) -> bool:
    """Whether the clause around ``at`` tells of an activity and not of the pain."""
    clause = _clause_at(text, at)
    doing = _DOING.search(clause) or _mentions(clause, _SPORTS)
    return bool(doing) and not _PAIN_WORD.search(clause)


def _began_then(text: str, at: int) -> bool:
    clause = _clause_at(text, at)
    return bool(_BEGAN.search(clause) or _mentions(clause, _ONSET_CUES))


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
            or _about_doing(text, m.start())
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
    t = _OUT_OF_TEN.sub(" ", _digits(normalise(text)))  # "a 5/10" is a score, not 5 October
    weeks = _quantity_weeks(t, answering)
    if weeks is None:
        # After "since", "in", "started"...; then a short reply as a whole ("yesterday").
        fragments = [t[m.end():] for m in _DATE_LEAD.finditer(t)
                     if not _about_doing(t, m.end())][:6]
        fragments += [t] if len(t.split()) <= 5 else []
        fragments += [t[m.start():] for m in _DATE_HINT.finditer(t)
                      if (answering or _began_then(t, m.start()))
                      and not _about_doing(t, m.start())][:6]
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
    "(?:manual|physical|skilled|hard) (?:labour|labor|work|job)",
)})
# Unasked, minutes are how long until something ("after 5-10 mins", "any ride over 15 min"),
# and an hour after "within"/"after" is a time in the story ("within an hour it was stiff").
_NOT_DESK_TIME = re.compile(r"\b(?:within|after|into|over|for the first) $")
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
        if _negated_number(t, m.start()) or (not answering and (
                m.group("unit") == "minute" or _NOT_DESK_TIME.search(t, 0, m.start()))):
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
        numbers = _bare_numbers(_OUT_OF_TEN.sub("score", t))  # "a 3 out of 10" is a score
        if numbers:
            return max(numbers) if max(numbers) <= 24 else None
    if answering and _BARE_NONE.fullmatch(t):
        return 0.0
    return None


# --------------------------------------------------------------------------
# 7. Training change

_SPORT_SYNONYMS = {
    "running": ("running", "run", "ran", "jog", "jogging", "marathon", "comrades",
                "(?:two|2) oceans", "parkrun", "park run", "trail run", "fun run",
                # running programmes and race distances ("5k" is normalised to "5 k")
                "couch to \\d+ k", "c25k", "bridge to \\d+ k", "\\d+ k", "half marathon"),
    "gym": ("gym", "bootcamp", "boot camp"),
    "crossfit": ("crossfit", "cross fit"),
    "weights": ("weights", "weight training", "lifting", "weightlifting", "powerlifting",
                "deadlift(?:ed|ing)?", "squat(?:ted|ting)?", "bench press", "deload\\w*"),
    "cycling": ("cycling", "cycle", "bike", "biking", "mtb", "spinning", "spin class",
                "ride", "riding", "rode", "cycled",
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

# Verbs come in every form ("upped", "upping"); "the harder we went" and "longer than 15 min"
# compare, they do not say the training changed.
_TRAINING_CUES = _table({
    "increased": (
        "(?<!the )more(?! pain| sore| stiff| painful)", "increas(?:e|ed|es|ing)",
        "up(?:ped|ping)", "(?:ramp|step)(?:ed|ped|ing|ping|s)? up", "doubl(?:e|ed|ing)",
        "tripl(?:e|ed|ing)", "add(?:ed|ing)", "extra", "heavier",
        "(?<!the )(?:harder|longer|further)(?! than (?:\\d|an? |about|around))",
        "build(?:ing)? up (?:my|the)", "built up (?:my|the)",
        "(?<!the )(?<!a )start(?:ed|ing|s)?", "began", "begun", "(?:took|taken|taking|take) up",
        "joined", "signed up", "training for", "preparing for", "back into", "returned to",
        "back to (?:full |proper |normal )?(?:training|running|the gym|gym|lifting|racing)",
        "(?:longest|furthest|fastest|biggest|heaviest) (?:\\w+ )?(?:run|ride|swim|session|"
        "lift|week|race|hike) (?:yet|ever)",
        "back on (?=(?:the |my )?(?:\\w+ )?(?:bike|road|court|field|pitch|mat|trails?|track|"
        "water|wall|programme|program|plan|routine|training))",
        "start of (?:the |my )?(?:\\w+ )?season", "week \\d+ of",
        "new (?:\\w+ )?(?:programme|program|routine|sport|class|coach|plan|training|gym|season)",
        "(?:my )?first (?:ever )?(?:race|marathon|half|\\d+ k|triathlon|tri|event|competition|"
        "meet|season|class|session)",
    ),
    "decreased": (
        "stop(?:ped|ping|s)?(?! for the (?:day|session|rest))", "quit", "gave up", "given up",
        "no longer", "cut(?:ting)? (?:back|down)", "reduc(?:e|ed|ing)", "less", "fewer",
        "not as much", "haven't been", "have not been", "hasn't been", "not been",
        "(?:taking|took|taken|take) (?:a break|(?:a |some )?(?:few )?(?:\\w+ )?(?:time|days?|"
        "weeks?|months?) off)", "break from", "rest(?:ed|ing)", "paused", "backed off",
        "eased off", "deload\\w*", "neglect\\w*", "skip(?:ped|ping)", "slack(?:ed|ing) off",
        "(?:scaled|dialled|dialed|toned) (?:back|down)", "lighter", "lightened",
        "(?:has |have |it's |its )?dropped",
        "(?:only|just) (?:light|easy|gentle|short)", "now (?:i )?(?:can )?only",
        "the only thing i can do",
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
        "unchanged", "consistent", "no different", "nothing different", "nothing new",
        # "still" about the training, not the pain ("still feel it", "still sore")
        "still (?=(?:\\w+ ){0,2}(?:train|run|jog|play|go|going|doing|do|lift|cycl|swim|gym|"
        "exercis|walk|ride|riding))",
    ),
})
# "Started" about the pain is not starting a sport: "it only started last week", "I started
# getting back pain", "the pain started when I...".
_PAIN_STARTED = re.compile(
    r"(?:start(?:ed|ing|s)?|began|begun) (?:getting|having|feeling|hurting|aching|noticing|"
    r"to (?:hurt|ache|feel|get|notice|bother|play up))\b")
_PAIN_SUBJECT = re.compile(
    r"\b(?:it|pain|that|this|back|neck|ache|problem|trouble|issue|symptoms?)"
    r"(?:'s| has| had| was| is| all| only| just| first| really| actually| kind of| sort of)* $")
# A sport after a negation of now ("I'm not running at the moment", "haven't squatted since"),
# not of habit ("I don't run", which is not training at all).
_NOT_NOW = re.compile(
    r"(?:haven't|hasn't|hadn't|wasn't|weren't|isn't|aren't|'m not|am not|"
    r"are not|is not|not been|no longer|won't)(?: (?:been|able|to|really|currently|doing|do|done|"
    r"going|gone|the|any|much|my|go|play|playing|had|a|being|for|on|at))* $")
# Strongest signal first: a rise in load is what the triage cares about most.
_TRAINING_PRIORITY = ("increased", "decreased", "not_training", "unchanged")
_FROM_TO = re.compile(r"\bfrom (?:about |around |roughly |almost |maybe )?(?P<a>[a-z0-9.]+)"
                      r"(?: \w+)? to (?:about |around |roughly |almost |maybe )?(?P<b>[a-z0-9.]+)\b")


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
        if key == "increased" and (_PAIN_STARTED.match(t, cue.start)
                                   or _PAIN_SUBJECT.search(t, 0, cue.start)):
            continue
        if cue.negated:
            if key not in ("increased", "decreased"):
                continue
            key = "unchanged"
        votes.setdefault(key, (cue.start, cue.end))
    for sport in sports:
        if _NOT_NOW.search(t, 0, sport.start):
            votes.setdefault("decreased", (sport.start, sport.end))
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
    "eish yoh shame "
    # deferring to someone else: "not sure, you'd have to ask him"
    "you you'd have to ask him her them".split())


def is_real_answer(text: str) -> bool:
    """A free-text answer says something beyond "yes", "ok", "no idea" or "yes please"."""
    words = re.findall(r"[a-z']+", normalise(text))
    return any(word not in _FILLER for word in words)


# What eases or worsens the pain, when the patient volunteers it unasked. Five structures,
# each in any tense: a verb that changes the pain ("heat helps", "sets it off", "it eased
# off"); a pain word with its condition ("stiff getting out of bed", "doesn't hurt during a
# run"); an activity as the subject of a pain word ("bending forward is the worst", "lifting
# my arms hurts"); "when I X, it Y" ("when I get up it shoots down"); "it starts N miles into
# a run". A bare "better"/"worse" is how the pain went over time ("got better after a couple
# of weeks", "today somewhat better"), so it counts only with a cause or a condition.
_CONDITION = (
    r"(?:when|whenever|while|whilst|during|if|once|as soon as|each time|every time|any time|"
    r"going from|getting (?:up|out|in|into|off|on|down|dressed)|first thing|"
    r"in the mornings?|at night|the (?:more|harder|longer|further|faster)|"
    r"after(?! (?:a|an|\d+|a couple|a few|several|some|about|around|that|this)\b))"
)
_PAIN_NOW = (
    r"(?:hurts|hurting|(?:\w+n't|not|does|do|it|can|will|would|to) hurt|aches|aching|sore|"
    r"stiff(?:er)?|painful|agony|unbearable|excruciating|kills|killing|worse|worst|better|"
    r"easier|tight(?:er)?|twinges|pinch(?:es|ing)|throbs|throbbing|mostly|especially|only|"
    r"usually|just|even|always)"
)
_PAIN_PREDICATE = (
    r"(?:hurts?|kills|aggravates|(?:is|are|was|were|feels|gets)"
    r"(?: (?:really|very|so|super|quite|a bit|the|an?|just|absolutely|pure|much|always))*"
    r" (?:worst|worse|better|best|fine|ok|okay|no problem|agony|excruciating|unbearable|"
    r"painful|sore|stiff|hard|difficult|impossible|issue|problem|killer|nightmare|easier))"
)
# A new subject ends the activity phrase: "working on the couch and now my neck is sore".
_NEW_SUBJECT = r"(?:i|i'm|it|it's|its|he|she|we|they|now|then|but|so|my (?:back|neck))"
_EASES_WORSENS = re.compile(
    r"\b(?:"
    # a verb that changes the pain
    r"help(?:s|ed)?(?<!need help)(?<!some help)(?<!for help)(?<!you help)(?<!any help)"
    r"(?! (?:me|you|us|with|please)\b)|(?:is|been|was) helping"
    r"|ease[sd]?(?! of\b)|easing|relie\w*|sooth\w*|loosen(?:s|ed)?|settle[sd]|calms? (?:it )?down"
    r"|aggravat\w*|trigger\w*|flar(?:e|es|ed|ing) up|(?:hurts?|aches?) (?:more|less)"
    r"|(?:brings?|brought|bringing|sets?|setting|kicks?|kicked) (?:it|them|the pain|this|that)"
    r" (?:on|off)"
    r"|(?:make|makes|made|making) (?:it|things|the pain|my \w+(?: \w+)?) (?:\w+ )?"
    r"(?:worse|better|sore|hurt|ache|flare|easier|stiff)"
    r"|(?:that|what|which) (?:does|did|gets|got|sets off|starts|aggravates) it"
    r"|(?:don't|do not|hardly|barely|never|can't|cannot) (?:even )?(?:feel|notice)"
    r" (?:it|a thing|anything)"
    r"|(?:can't|cannot|couldn't|can barely|can hardly|could barely|struggle to|unable to)"
    r" (?:\w+ )?(?:bend|sit|stand|walk|lift|turn|move|sleep|drive|look|run|get up|straighten|"
    r"twist|reach)"
    r"|goes away (?:when|with|if|after|once)|takes? the edge off|too (?:much|long|many|far)"
    r"|overdo\w*"
    r"|(?:worse|better|easier) (?:[a-z']+ ){0,2}?(?:with|without|as)"
    # a pain word and its condition
    rf"|{_PAIN_NOW}(?: [a-z']+){{0,3}}? {_CONDITION}"
    # an activity as the subject of a pain word
    r"|(?!(?:morning|evening|nothing|something|anything|everything|during|thing|feeling)\b)"
    rf"[a-z]{{2,}}ing(?: (?!{_NEW_SUBJECT}\b)[a-z']+){{0,5}}? {_PAIN_PREDICATE}"
    # when I X, it Y
    r"|(?:when|whenever|if|every time|each time|any time|as soon as|once) (?:i|i'm|im)"
    r"(?: [a-z']+){1,8}? (?:it|it's|that|my (?:\w+ )?(?:back|neck))(?: \w+)?"
    r" (?:hurts?|shoots?|seiz\w*|aches?|kills?|twinges?|catch(?:es)?|flares?|spasms?|throbs?|"
    r"burns?|stabs?|pinch(?:es)?|locks?|twangs?|(?:is|gets) (?:worse|sore|agony|bad|better))"
    # it starts N miles into a run
    r"|it (?:starts|kicks in|comes on|comes back)(?: hurting| aching| to hurt| to ache)"
    r"(?:(?: [a-z']+){0,4}? (?:after|into|when|whenever|once|if|during))?"
    r"|it (?:starts|kicks in|comes on|comes back)(?: [a-z'\d]+){0,4}? (?:after|into|when|whenever|"
    r"once|if|during)"
    r")\b"
)


# A sixth structure, for the ways of saying it the five miss ("squats are the worst", "stress
# makes my shoulders tense up", "sitting on the toilet has me in tears"): one clause that
# names a condition (a posture, movement, daily task, place or remedy) and an effect on the
# pain, unless the clause tells how it began ("sat down and excruciating pain shot down").
def _words(text: str) -> str:
    return "|".join(sorted((w.strip().replace(" ", r"\s+") for w in text.split(",") if w.strip()),
                           key=len, reverse=True))


_CONDITION_WORDS = _words(
    "sit, sits, sitting, sat, stand, stands, standing, stood, walk, walks, walking, walked, "
    "bend, bends, bending, bent, lift, lifts, lifting, carry, carrying, twist, twisting, turn, "
    "turns, turning, reach, reaching, lean, leaning, lie, lying, lay, laying, sleep, sleeping, "
    "slept, get up, getting up, gets up, stand up, standing up, getting out, getting in, "
    "stairs, climb, climbing, drive, drives, driving, drove, ride, riding, rides, cycling, run, "
    "runs, running, jog, jogging, squat, squats, squatting, deadlift, deadlifts, lunges, "
    "cough, coughing, sneeze, sneezing, look down, looking down, typing, move, moving, "
    "movement, movements, hoovering, vacuuming, gardening, housework, dishes, chores, chair, "
    "chairs, couch, sofa, bed, mattress, pillow, pillows, car, desk, computer, laptop, pc, "
    "phone, screen, toilet, bike, heat, heating pad, hot water bottle, ice, ice pack, shower, "
    "showers, bath, baths, massage, massages, stretch, stretches, stretching, painkillers, "
    "painkiller, pills, tablets, ibuprofen, anti-inflammatories, panado, voltaren, rest, "
    "resting, exercise, exercises, yoga, pilates, tens, stress, tension, posture")
_CONDITION_WORD = re.compile(rf"\b(?:{_CONDITION_WORDS})\b")
_EFFECT_WORD = re.compile(
    rf"\b(?:{_words('worse, worst, better, best, easier, harder, helps, help, helped, helping, eases, ease, eased, easing, relief, relieves, relieved, soothes, soothing, hurts, hurt, hurting, painful, sore, sorer, aches, ache, aching, agony, kills, killing, struggle, struggling, difficult, impossible, unbearable, excruciating, aggravates, aggravate, triggers, trigger, flares, flare, tense, tight, tighter, stiff, stiffer, hard to, in tears, done much')})\b"
    rf"|\b(?:can't|cannot|couldn't|can barely|can hardly|unable to) (?:even )?(?:{_CONDITION_WORDS})\b")
_HOW_IT_BEGAN = re.compile(
    r"\b(?:started|starts|began|begun|came on|woke up|since|(?:hurt|did) (?:my|his|her)|"
    r"put (?:my|his|her) back out|tweaked|strained|injured|buggered|pulled|gave me|"
    r"felt (?:my|it|something)|snapped|went ping|popped|(?:getting|got) better)\b")
_FACTOR_CLAUSE_BREAK = re.compile(r"[.;!?]+|,? \bbut\b")


def _condition_and_effect(t: str) -> bool:
    for clause in _FACTOR_CLAUSE_BREAK.split(t):
        condition, effect = _CONDITION_WORD.search(clause), _EFFECT_WORD.search(clause)
        if condition and effect and condition.group() != effect.group() \
                and not _HOW_IT_BEGAN.search(clause):
            return True
    return False


@_never_raise
def parse_eases_worsens(text: str) -> str | None:
    """The patient's own words when they say what makes it better or worse, else None."""
    t = normalise(text)
    said = _EASES_WORSENS.search(t) or _condition_and_effect(t)
    return t[:300] if said and is_real_answer(t) else None


# A typed yes or no, in lay and South African forms, to a yes/no question.
_YES = re.compile(
    r"^\W*(?:yes|yeah|yea|ya|yep|yup|ja|jaa|jy|yebo|ewe|sure|definitely|correct|uh-? ?huh|mhm|"
    r"that'?s right|it is|it does|i have|i do|i think so|afraid so|sadly yes|true)\b")
# "No idea" and "I don't know" are not a no.
_NO = re.compile(
    r"^\W*(?:no(?! (?:idea|clue)\b)|nope|nah|nee|never|not really|not at all|cha|hayi|"
    r"i don'?t think so|it'?s not|it isn'?t|it doesn'?t|i haven'?t|"
    r"i don'?t(?! (?:know|remember|understand|get|recall)\b)|none)\b"
    r"|\b(?:goes away when|only when i sit|not new|had (?:it|that) for years)\b")


_LEADING_INTERJECTIONS = re.compile(
    r"^(?:\W*(?:%s)\b)+" % "|".join(sorted(_INTERJECTIONS - {"ja", "ok", "okay", "uh"})))


@_never_raise
def parse_yes_no(text: str) -> bool | None:
    """True for a typed yes, False for a typed no, None when the text says neither."""
    t = normalise(text)
    if t in ("/affirm", "/deny"):
        return t == "/affirm"
    t = _LEADING_INTERJECTIONS.sub("", t)  # "ag ja please", "shame no"
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


_QUESTION = re.compile(
    r"\?|^(?:(?:so|ok|okay|and|but|hi|hey),? )?(?:what|how|when|where|why|who|which|is|are|do|"
    r"does|did|can|could|will|would|should|may)\b")


def looks_like_question(text: str) -> bool:
    """The message asks something ("what are your hours?"), rather than answering."""
    return bool(_QUESTION.search(normalise(text)))


# Built at import (about 0.8 s), so no patient's first message waits for it.
_speller()
