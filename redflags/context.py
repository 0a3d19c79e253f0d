"""NegEx/ConText-style scopes: is a matched sign negated, in the past, or someone else's?

Our own scope rather than negspacy's, because negspacy negates a whole sentence from any
trigger ("not sure why, but I can't pee" style messages lose the flag) and treats "can't"
as a negation, while lay red flags are often phrased as "can't feel" or "can't pee".
Here a cue governs only a few tokens within its clause; a clause ends at a sentence end,
"but"/"however"-type words, or a comma/"and" that starts a new first-person clause.
"""

import datetime
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

# Multi-word cues are matched on token norms (lower case, "n't" -> "not").
NEGATION_BEFORE = [
    "no", "not", "never", "without", "none", "nor", "neither", "denies", "deny",
    "free of", "no sign of", "no signs of", "nothing like", "negative for", "zero",
    "no history of", "ruled out", "rule out", "absence of", "lack of",
]
NEGATION_AFTER = [
    "is fine", "are fine", "feel fine", "feels fine", "is normal", "are normal",
    "feels normal", "feel normal", "is ok", "are ok", "is okay", "are okay",
    "is good", "are good", "is alright", "are alright", "is perfect", "are perfect",
    "no problem", "no problems", "not a problem", "no issue", "no issues", "all good",
    "ruled out", "was ruled out", "came back clear", "came back negative",
    "unaffected", "is strong", "are strong", "feel strong", "working normally",
    "working fine", "fine", "normally", "as normal", "as usual",
]
# Phrases that contain a negation word but do not negate what follows.
PSEUDO_NEGATION = [
    "not sure", "not certain", "no idea", "not know", "not knowing", "no longer",
    "not only", "not just", "no matter", "not too sure", "not so sure", "no clue",
    "not able", "not feel", "not control", "not hold", "not stop", "not start",
    "not breathe", "not lift", "not walk", "not get", "not move", "not pee", "not wee",
    "not tell", "not help", "not helping", "not work", "not working", "not ease",
    "not go away", "not make", "not catch", "not empty",
    "not think", "no reason", "not dieting", "not trying", "without trying",
    "without dieting", "not on a diet", "no warning",
]
HISTORY = [
    "last year", "years ago", "year ago", "a year back", "years back", "as a child",
    "as a kid", "as a teenager", "as a teen", "when i was young", "when i was younger",
    "when i was little", "when i was small", "when i was a kid", "when i was a child",
    "when i was a teenager", "when i was in school", "used to", "long time ago",
    "long ago", "in the past", "decade ago", "decades ago", "back in", "childhood",
    "in my twenties", "in my teens", "previously had", "ages ago", "once before",
    "in high school", "at school", "at varsity", "at university", "for years",
    "for many years", "for ages", "since having", "since childbirth", "since my baby",
    "since my kids", "since the kids", "always had", "all my life", "long-standing",
]
RELATIVES = [
    "dad", "father", "mom", "mum", "mother", "mommy", "mummy", "ma", "pa", "brother",
    "sister", "bro", "sis", "wife", "husband", "hubby", "son", "daughter", "friend",
    "colleague", "boss", "neighbour", "neighbor", "gran", "granny", "grandma",
    "grandmother", "grandpa", "grandfather", "oupa", "ouma", "aunt", "auntie", "aunty",
    "uncle", "cousin", "boyfriend", "girlfriend", "partner", "fiance", "fiancee",
    "child", "kid", "kids", "baby", "family", "parents", "parent", "relative",
    "niece", "nephew", "boet", "buddy", "mate", "dog", "cat", "twin", "stepdad",
    "stepmom", "stepmum", "father-in-law", "mother-in-law", "sibling", "siblings",
    "children", "grandparents", "folks", "flatmate", "roommate", "housemate",
    "patient", "client", "guy", "lady", "man", "woman", "chap", "oke", "okes", "ou",
    "girl", "boy", "people", "husband's", "wife's",
]
OTHER_PERSON_BEFORE = (
    [f"my {r}" for r in RELATIVES]
    + [f"{p} {r}" for p in ("his", "her", "our", "their", "a", "the") for r in RELATIVES]
    + RELATIVES
    + ["family history", "family history of", "in the family", "he", "she", "her", "his",
       "their", "someone", "somebody"]
)
OTHER_PERSON_AFTER = ["runs in the family", "runs in my family", "in the family"]

# Negation words that, inside a matched phrase's gap ("legs are not weak"), negate it.
INSIDE_NEGATIONS = {"not", "no", "never", "nothing", "none"}
CLAUSE_BREAKS = {
    "but", "however", "although", "though", "except", "apart", "aside", "yet",
    "whereas", "besides", "otherwise", "anyway", "plus", ";", ":", "?", "!", "(", ")",
}
FIRST_PERSON = {"i", "im", "i'm", "me", "myself", "mine"}
CLAUSE_JOINERS = {",", "and", "so", "then", "now", "&", "-", "..", "...", "but"}
CLAUSE_STARTERS = FIRST_PERSON | {
    "my", "it", "its", "this", "the", "there", "since", "today", "yesterday", "also",
    "she", "he", "they", "we", "now", "then", "last", "this",
}
NEGATION_WINDOW = 6
OTHER_PERSON_WINDOW = 10
HISTORY_WINDOW = 10


class ContextCues:
    """Finds every cue in a doc once; answers scope questions for matched spans."""

    def __init__(self, nlp) -> None:
        self._matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        for label, phrases in (
            ("NEG_BEFORE", NEGATION_BEFORE),
            ("NEG_AFTER", NEGATION_AFTER),
            ("PSEUDO", PSEUDO_NEGATION),
            ("HISTORY", HISTORY),
            ("OTHER_BEFORE", OTHER_PERSON_BEFORE),
            ("OTHER_AFTER", OTHER_PERSON_AFTER),
        ):
            self._matcher.add(label, [nlp.make_doc(phrase) for phrase in set(phrases)])

        self._years = Matcher(nlp.vocab)
        self._years.add("HISTORY", [[
            {"NORM": {"IN": ["in", "back", "around", "during"]}},
            {"NORM": {"REGEX": r"^(19|20)\d\d$"}},
        ]])
        self._ages = Matcher(nlp.vocab)  # "when I was 12"
        self._ages.add("HISTORY", [[
            {"NORM": "when"}, {"NORM": "i"}, {"NORM": "was"}, {"LIKE_NUM": True},
        ]])

    def cues(self, doc: Doc) -> Dict[str, List[Tuple[int, int]]]:
        found: Dict[str, List[Tuple[int, int]]] = {}
        for match_id, start, end in self._matcher(doc):
            found.setdefault(doc.vocab.strings[match_id], []).append((start, end))
        this_year = datetime.date.today().year
        for _, start, end in self._years(doc):
            if int(doc[end - 1].text) < this_year:  # "in 2008"; "in 2026" is not history
                found.setdefault("HISTORY", []).append((start, end))
        for _, start, end in self._ages(doc):
            found.setdefault("HISTORY", []).append((start, end))
        return found


def clause_bounds(doc: Doc, norms: Sequence[str], span: Span) -> Tuple[int, int]:
    """Token range of the clause that holds the span (`norms`: the doc's token norms)."""
    sentence = span.sent if doc.has_annotation("SENT_START") else doc[:]
    start, end = sentence.start, sentence.end
    for i in range(span.start - 1, sentence.start - 1, -1):
        if _breaks_clause(norms, i):
            start = i + 1
            break
    for i in range(span.end, sentence.end):
        if _breaks_clause(norms, i):
            end = i
            break
    return start, end


def _breaks_clause(norms: Sequence[str], i: int) -> bool:
    word = norms[i]
    if word in CLAUSE_BREAKS:
        return True
    # ", my legs ..." / "and I ..." starts a new statement.
    nxt = norms[i + 1] if i + 1 < len(norms) else ""
    return word in CLAUSE_JOINERS and nxt in CLAUSE_STARTERS


def _inside(start: int, end: int, ranges: List[Tuple[int, int]]) -> bool:
    return any(r_start <= start and end <= r_end for r_start, r_end in ranges)


def negated(doc: Doc, norms: Sequence[str], span: Span, cues: Dict,
            bounds: Tuple[int, int]) -> Optional[str]:
    """The negating cue's text when the span is negated, else None."""
    lo, hi = bounds
    pseudo = cues.get("PSEUDO", [])
    for start, end in cues.get("NEG_BEFORE", []):
        if lo <= start and end <= span.start and span.start - end <= NEGATION_WINDOW:
            if _inside(start, end, pseudo) or _answer_word(norms, start, end):
                continue
            if norms[start] == "without" and "not" in norms[lo:start]:
                continue  # "can't lie down without severe pain" is not a denial
            return doc[start:end].text
    for start, end in cues.get("NEG_AFTER", []):
        if span.end <= start and end <= hi and start - span.end <= 4:
            if not _inside(start, end, pseudo):
                return doc[start:end].text
    return None


def _answer_word(norms: Sequence[str], start: int, end: int) -> bool:
    """A lone "no" answering a question ("no, I wet myself") negates nothing after it."""
    if norms[start:end] != ["no"]:
        return False
    nxt = norms[end] if end < len(norms) else ""
    prev = norms[start - 1] if start > 0 else "."
    return prev in {".", "!", "?", ",", "oh", "um", "well"} and nxt in (
        CLAUSE_STARTERS | {",", ".", "!", "-", "but", "actually", "yes", "ja"}
    )


def historical(doc: Doc, span: Span, cues: Dict, bounds: Tuple[int, int]) -> Optional[str]:
    """The cue's text when the sign is described as in the past (a year or more)."""
    lo, hi = bounds
    for start, end in cues.get("HISTORY", []):
        near = span.start - end <= HISTORY_WINDOW and start - span.end <= HISTORY_WINDOW
        if lo <= start and end <= hi and near:
            return doc[start:end].text
    return None


def other_person(doc: Doc, norms: Sequence[str], span: Span, cues: Dict,
                 bounds: Tuple[int, int]) -> Optional[str]:
    """The cue's text when the sign belongs to someone other than the patient."""
    lo, hi = bounds
    for start, end in cues.get("OTHER_BEFORE", []):
        if lo <= start and end <= span.start and span.start - end <= OTHER_PERSON_WINDOW:
            if not (FIRST_PERSON | {"my"}).intersection(norms[end:span.start]):
                return doc[start:end].text
    for start, end in cues.get("OTHER_AFTER", []):
        if span.end <= start and end <= hi:
            return doc[start:end].text
    return None
