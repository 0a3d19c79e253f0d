"""NegEx/ConText-style scopes: is a matched sign negated, in the past, or someone else's?

Who the symptoms belong to (spec, "Who the symptoms belong to"): a relative or partner
writing for the patient ("I'm writing for my dad, he's 70", "my wife says she can't feel
her bum") describes the patient, so those signs count as if the patient wrote them. Only
other people's history or illness that is not the reason for writing is discounted ("my
mum had cancer", "my friend had sciatica"). `patient_tokens` finds the words that name the
patient; `other_person` ignores those.

Our own scope rather than negspacy's, because negspacy negates a whole sentence from any
trigger ("not sure why, but I can't pee" style messages lose the flag) and treats "can't"
as a negation, while lay red flags are often phrased as "can't feel" or "can't pee".
Here a cue governs only a few tokens within its clause; a clause ends at a sentence end,
"but"/"however"-type words, or a comma/"and" that starts a new first-person clause.
"""

import datetime
from typing import Dict, List, Optional, Sequence, Set, Tuple

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
RELATIVE_SET = set(RELATIVES)
OTHER_PERSON_BEFORE = (
    [f"my {r}" for r in RELATIVES]
    + [f"{p} {r}" for p in ("his", "her", "our", "their", "a", "the") for r in RELATIVES]
    + RELATIVES
    + ["family history", "family history of", "in the family", "he", "she", "her", "his",
       "their", "someone", "somebody"]
    # Something heard or read about, not lived: "a colleague told me about foot drop".
    + ["told me about", "tells me about", "telling me about", "read about", "reading about",
       "heard about", "hearing about", "article about", "story about", "someone in my",
       "somebody in my", "a friend of mine", "brother-in-law", "sister-in-law",
       "brother-in-law's", "sister-in-law's", "whose", "read that", "heard that"]
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
# Someone writing for the patient. RELATIVE is filled in from RELATIVES below.
PROXY_VERBS = ["writing", "write", "asking", "ask", "messaging", "message", "texting",
               "enquiring", "inquiring", "contacting", "booking", "book", "calling", "chatting",
               "worried", "concerned", "here", "enquiry", "query", "help", "appointment"]
REPORTING_VERBS = ["says", "say", "tells", "telling", "reckons", "complains", "complaining",
                   "mentions", "reports", "keeps", "thinks", "swears"]
PRONOUNS = {"he", "she", "him", "her", "his", "hers", "himself", "herself"}
# The writer is a patient too ("I'm booking for myself though"): relatives stay other people.
WRITER_IS_PATIENT = ["for myself", "my own", "i am the one", "the one with", "for me it",
                     "for me its", "for me is", "booking for me", "as for me", "me i have"]
ADULT_AGE = 16  # "he's 70" names an adult patient; "he's 5" (bed-wetting) does not
# The people one writes to a physio for (spec: "a parent, a partner, an adult child").
CLOSE_FAMILY = {
    "dad", "father", "mom", "mum", "mother", "mommy", "mummy", "ma", "pa", "brother", "sister",
    "wife", "husband", "hubby", "son", "daughter", "gran", "granny", "grandma", "grandmother",
    "grandpa", "grandfather", "oupa", "ouma", "boyfriend", "girlfriend", "partner", "fiance",
    "fiancee", "stepdad", "stepmom", "stepmum", "father-in-law", "mother-in-law",
}
# Words that put a relative's symptoms in the present ("now he says", "since this morning");
# a bare "had" or "has" does not ("my mum had cancer" is family history).
NOW_WORDS = {"now", "today", "tonight", "since", "says", "tells", "keeps",
             "yesterday", "currently", "suddenly", "anymore"}
NOW_PAIRS = {("this", "morning"), ("this", "afternoon"), ("this", "evening"),
             ("this", "week"), ("last", "night")}
# What the writer says of their own body or state ("my back", "I'm fine", "mine is ..."):
# then the relatives in the message are other people.
OWN_BODY = {"back", "neck", "leg", "legs", "arm", "arms", "spine", "shoulder", "shoulders",
            "hip", "hips", "knee", "knees", "bum", "bladder", "bowel", "bowels", "foot", "feet",
            "pain", "rug", "lower", "upper", "chest", "stomach", "tailbone", "sciatica", "disc",
            "symptoms", "body", "own"}
OWN_STATE = {"hurt", "hurts", "sore", "pain", "ache", "aches", "aching", "fine", "ok", "okay",
             "injured", "numb", "fell", "slipped", "suffer", "suffering"}

NEGATION_WINDOW = 6
OTHER_PERSON_WINDOW = 10
HISTORY_WINDOW = 10


def _proxy_patterns() -> List[List[Dict]]:
    rel = {"NORM": {"IN": RELATIVES}}
    third = {"NORM": {"IN": ["him", "her", "them"]}}
    age = {"LIKE_NUM": True}
    return [
        # "writing for my dad", "asking on behalf of my mum", "worried about my husband"
        [{"NORM": {"IN": PROXY_VERBS}}, {"NORM": {"IN": ["on"]}, "OP": "?"},
         {"NORM": {"IN": ["behalf"]}, "OP": "?"}, {"NORM": {"IN": ["for", "about", "of"]}},
         {"NORM": {"IN": ["my", "our"]}, "OP": "?"}, rel],
        [{"NORM": "behalf"}, {"NORM": "of"}, {"NORM": {"IN": ["my", "our"]}, "OP": "?"}, rel],
        [{"NORM": {"IN": PROXY_VERBS}}, {"NORM": "for"}, third],
        [{"IS_SENT_START": True, "NORM": "for"}, {"NORM": {"IN": ["my", "our"]}}, rel],
        # "my dad is 70", "my dad, he's 82", "my mom who is 75"
        [{"NORM": {"IN": ["my", "our"]}}, rel, {"IS_PUNCT": True, "OP": "?"},
         {"NORM": {"IN": ["he", "she", "who"]}, "OP": "?"}, {"NORM": {"IN": ["is", "'s"]}}, age],
        [{"NORM": {"IN": ["my", "our"]}}, rel, {"NORM": {"IN": ["is", "'s"]}},
         {"NORM": "the"}, {"NORM": "patient"}],
        # "can you see him", "should I take her to", "can you help my dad"
        [{"NORM": {"IN": ["take", "bring", "get", "see", "help", "book", "drive", "treat"]}},
         third, {"NORM": {"IN": ["to", "in", "today", "now", "?", "urgently"]}}],
        [{"NORM": {"IN": ["see", "help", "book", "treat"]}}, {"NORM": {"IN": ["my", "our"]}},
         rel],
        [{"NORM": {"IN": ["should", "can", "must", "does"]}}, {"NORM": {"IN": ["he", "she"]}},
         {"NORM": {"IN": ["go", "come", "see", "be", "wait"]}}],
        # "I'm his daughter"
        [{"NORM": {"IN": ["i", "am"]}}, {"NORM": {"IN": ["am", "'m"]}, "OP": "?"},
         {"NORM": {"IN": ["his", "her"]}}, rel],
    ]


def _age_patterns() -> List[List[Dict]]:
    return [[{"NORM": {"IN": ["he", "she"]}}, {"NORM": {"IN": ["is", "'s"]}},
             {"LIKE_NUM": True}]]


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
        self._owner = Matcher(nlp.vocab)
        self._owner.add("PROXY", _proxy_patterns())
        self._owner.add("AGE", _age_patterns())
        self._owner.add("REPORTS", [[
            {"NORM": {"IN": ["my", "our"]}}, {"NORM": {"IN": RELATIVES}},
            {"NORM": {"IN": REPORTING_VERBS}}]])
        self._writer = PhraseMatcher(nlp.vocab, attr="NORM")
        self._writer.add("WRITER", [nlp.make_doc(p) for p in WRITER_IS_PATIENT])

    def cues(self, doc: Doc, writing_for: Optional[str] = None) -> Dict[str, List[Tuple[int, int]]]:
        """`writing_for`: the relative the conversation is already known to be about."""
        found: Dict[str, List[Tuple[int, int]]] = {}
        for match_id, start, end in self._matcher(doc):
            found.setdefault(doc.vocab.strings[match_id], []).append((start, end))
        this_year = datetime.date.today().year
        for _, start, end in self._years(doc):
            if int(doc[end - 1].text) < this_year:  # "in 2008"; "in 2026" is not history
                found.setdefault("HISTORY", []).append((start, end))
        for _, start, end in self._ages(doc):
            found.setdefault("HISTORY", []).append((start, end))
        found["PATIENT"] = [(i, i + 1) for i in sorted(self.patient_tokens(doc, writing_for))]
        return found

    def patient_tokens(self, doc: Doc, writing_for: Optional[str] = None) -> Set[int]:
        """Indices of the words that name the patient when someone writes for them.

        With a proxy frame ("writing for my dad", "he's 70", "can you see her"), in this
        message or earlier in the conversation (`writing_for`), the named relative, wherever
        it recurs, and every he/she/his/her are the patient. A relative who "says" something
        is the patient for the rest of that sentence ("my wife says she can't feel her bum").
        Neither applies when the writer says they are the patient.
        """
        if self._writer(doc):
            return set()
        named: Set[str] = {writing_for} if writing_for else set()
        proxy = bool(writing_for)
        reported: Set[int] = set()
        for match_id, start, end in self._owner(doc):
            label = doc.vocab.strings[match_id]
            span = doc[start:end]
            relatives = {t.norm_ for t in span if t.norm_ in RELATIVE_SET}
            if label == "AGE":
                if _number(doc[end - 1].text) >= ADULT_AGE:
                    proxy = True
            elif label == "PROXY":
                if any(t.like_num for t in span) and _number(span[-1].text) < ADULT_AGE:
                    continue
                proxy = True
                named |= relatives
            elif label == "REPORTS":
                sentence = span.sent if doc.has_annotation("SENT_START") else doc[:]
                reported |= {i for i in range(start, sentence.end)
                             if doc[i].norm_ in PRONOUNS or doc[i].norm_ in relatives}
        if not proxy:
            relative = _relative_told_about_now(doc)
            if relative:
                proxy, named = True, named | {relative}
            else:
                proxy = _only_an_unnamed_person(doc)
        tokens = set(reported)
        if proxy:
            tokens |= {t.i for t in doc if t.norm_ in named or t.norm_ in PRONOUNS}
        return tokens


def _writer_describes_self(norms: Sequence[str]) -> bool:
    for i, norm in enumerate(norms):
        if norm == "mine":
            return True
        ahead = norms[i + 1:i + 4]
        if norm == "my" and any(word in OWN_BODY for word in ahead[:2]):
            return True
        if norm in {"i", "i'm", "im", "me"} and any(word in OWN_STATE for word in ahead):
            return True
    return False


def _relative_told_about_now(doc: Doc) -> Optional[str]:
    """The close relative a message is about ("my husband fell, now he says his leg feels
    weak"): the first "my <relative>", when the writer says nothing of their own body and
    something puts the relative's symptoms in the present."""
    norms = [t.norm_ for t in doc]
    if _writer_describes_self(norms):
        return None
    now = any(n in NOW_WORDS for n in norms) or any(
        pair in NOW_PAIRS for pair in zip(norms, norms[1:]))
    if not now:
        return None
    return next((norms[i + 1] for i in range(len(norms) - 1)
                 if norms[i] in ("my", "our") and norms[i + 1] in CLOSE_FAMILY), None)


# People a pronoun may point to who are not the patient ("my physio said she ...").
CARERS = {"physio", "physiotherapist", "doctor", "dr", "gp", "chiro", "chiropractor", "nurse",
          "surgeon", "specialist", "therapist", "osteo", "osteopath", "trainer", "coach",
          "teacher", "biokineticist", "someone", "somebody", "anyone", "everyone"}


def _only_an_unnamed_person(doc: Doc) -> bool:
    """A message about "she" or "he" that names nobody else and nothing of the writer's own
    body ("she can't feel when she needs to pee"): the person is the one the writer asks
    about, the patient, as the spec says their current symptoms count."""
    norms = [t.norm_ for t in doc]
    return any(n in PRONOUNS for n in norms) and not _writer_describes_self(norms) and \
        not any(n in RELATIVE_SET or n in CARERS for n in norms)


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


# A question about the practice or in general, not about the writer: "can needling cause
# infection?", "do you treat whiplash from an old car accident?".
QUESTION_STARTS = {"can", "could", "does", "do", "will", "would", "is", "are", "should",
                   "how", "what", "which", "when", "may", "did", "if", "any"}
GREETINGS = {"hi", "hello", "hey", "morning", "afternoon", "evening", "good", "quick",
             "question", "sorry", ",", ":", "-", "just", "and", "also", "so", "ok", "okay"}
GENERAL_WORDS = {"you", "your", "needling", "needles", "needle", "physio", "physiotherapy",
                 "physiotherapist", "treatment", "treat", "treating", "practice", "massage",
                 "session", "sessions", "cause", "causes", "risk", "risks", "safe", "people",
                 "patients", "someone", "anyone", "common", "possible", "happen", "clinic"}
WRITER_WORDS = FIRST_PERSON | {"my", "we", "our", "us", "am"} | PRONOUNS


def hypothetical(doc: Doc, norms: Sequence[str], span: Span) -> Optional[str]:
    """The question's first word when the sign sits in a general question to the practice."""
    sentence = span.sent if doc.has_annotation("SENT_START") else doc[:]
    words = [t for t in sentence if not t.is_space]
    if not words or "?" not in words[-1].text:
        return None
    first = next((t for t in words if t.norm_ not in GREETINGS), None)
    if first is None or first.norm_ not in QUESTION_STARTS:
        return None
    sentence_norms = {t.norm_ for t in words}
    if sentence_norms & WRITER_WORDS or not sentence_norms & GENERAL_WORDS:
        return None
    return first.text


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def other_person(doc: Doc, norms: Sequence[str], span: Span, cues: Dict,
                 bounds: Tuple[int, int]) -> Optional[str]:
    """The cue's text when the sign belongs to someone other than the patient."""
    lo, hi = bounds
    patient = {start for start, _ in cues.get("PATIENT", [])}
    for start, end in cues.get("OTHER_BEFORE", []):
        if patient.intersection(range(start, end)):
            continue  # the relative writing for, or the pronoun, is the patient
        if lo <= start and end <= span.start and span.start - end <= OTHER_PERSON_WINDOW:
            if not (FIRST_PERSON | {"my"}).intersection(norms[end:span.start]):
                return doc[start:end].text
    for start, end in cues.get("OTHER_AFTER", []):
        if span.end <= start and end <= hi:
            return doc[start:end].text
    return None
