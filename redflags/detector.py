"""Runs the red-flag rules over one message with a blank spaCy English pipeline."""

from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

import spacy
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from redflags import context
from redflags.levels import FLAG_LEVELS, FLAG_SOURCES, combined_level, escalate
from redflags.rules import RULES, Rule
from redflags.spelling import SpellingFixer

# Longer than any sensible chat message; the rest is still scanned, in chunks.
CHUNK_CHARS = 5000
NEGATED_INSIDE = "negated-inside"


@dataclass(frozen=True)
class Detection:
    flag: str
    level: str
    # present | unsure | negated | historical | other_person | hypothetical | benign
    status: str
    trigger: str
    start: int
    end: int
    rule: str
    source: str
    cue: Optional[str] = None
    raised_by: Optional[str] = None  # the combination that raised the level (levels.escalate)

    def as_dict(self) -> Dict:
        return asdict(self)


@dataclass
class DetectionResult:
    present: List[Detection] = field(default_factory=list)
    unsure: List[Detection] = field(default_factory=list)
    discounted: List[Detection] = field(default_factory=list)
    # Signs that never escalate alone but raise a flag's level (limb numbness, sepsis signs).
    signs: List[Detection] = field(default_factory=list)

    @property
    def flags(self) -> List[str]:
        return sorted({d.flag for d in self.present})

    @property
    def unsure_flags(self) -> List[str]:
        return sorted({d.flag for d in self.unsure} - set(self.flags))

    @property
    def level(self) -> str:
        return combined_level((d.flag, d.level) for d in self.present)


def _compile_token(token: str) -> Dict:
    optional = token.endswith("?") and token != "?"
    token = token.rstrip("?") if optional else token
    if token == "_":
        spec: Dict = {"OP": "?"}
        return spec
    if token.startswith("#"):
        spec = {"NORM": {"REGEX": r"^\d+(\.\d+)?" + re.escape(token[1:]) + "$"}}
    else:
        words = token.split("|")
        if any(word.endswith("*") for word in words):
            alternatives = "|".join(
                re.escape(word[:-1]) + ".*" if word.endswith("*") else re.escape(word)
                for word in words
            )
            spec = {"NORM": {"REGEX": f"^(?:{alternatives})$"}}
        else:
            spec = {"NORM": {"IN": words}}
    if optional:
        spec["OP"] = "?"
    return spec


def compile_pattern(pattern: str) -> List[Dict]:
    return [_compile_token(token) for token in pattern.split()]


def _vocabulary() -> Set[str]:
    words: Set[str] = set()
    for rule in RULES:
        for pattern in rule.patterns:
            for token in pattern.split():
                words.update(w for w in token.rstrip("?").split("|") if w.isalpha())
        words.update(rule.benign)
        words.update(rule.confirm)
        for group in rule.dismiss_when:
            words.update(group)
        for phrase in rule.resolved_after:
            words.update(phrase.split())
    for phrases in (context.NEGATION_BEFORE, context.NEGATION_AFTER, context.HISTORY,
                    context.RELATIVES):
        for phrase in phrases:
            words.update(phrase.split())
    return words


class RedFlagDetector:
    """Loads the pipeline and rules once; `detect` is then cheap (about a millisecond)."""

    def __init__(self) -> None:
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.speller = SpellingFixer(_vocabulary(), self.nlp.Defaults.stop_words)
        self.matcher = Matcher(self.nlp.vocab)
        # One matcher key per pattern ("rule#3"), so a match's alignment tells which of
        # its tokens filled a `_` wildcard slot.
        self.rules: Dict[str, Rule] = {}
        self._wildcard_slots: Dict[str, Set[int]] = {}
        for rule in RULES:
            for number, pattern in enumerate(rule.patterns):
                key = f"{rule.rule_id}#{number}"
                self.rules[key] = rule
                self._wildcard_slots[key] = {
                    slot for slot, token in enumerate(pattern.split()) if token == "_"
                }
                self.matcher.add(key, [compile_pattern(pattern)])
        self.cues = context.ContextCues(self.nlp)

    def _doc(self, text: str) -> Doc:
        doc = self.nlp(text)
        for token in doc:
            # spaCy's norm already expands "can't" -> "can" "not"; keep "'s" as is.
            token.norm_ = self.speller.fix(token.norm_.lower())
        return doc

    def detect(self, text: Optional[str], writing_for: Optional[str] = None) -> DetectionResult:
        result = DetectionResult()
        if not text or not text.strip():
            return result
        offset = 0
        for chunk in _chunks(text, CHUNK_CHARS):
            self._detect_chunk(chunk, offset, result, writing_for)
            offset += len(chunk)
        result.present, result.unsure = escalate(result.present, result.unsure, result.signs)
        return result

    def _detect_chunk(self, text: str, offset: int, result: DetectionResult,
                      writing_for: Optional[str] = None) -> None:
        doc = self._doc(text)
        cues = self.cues.cues(doc, writing_for)
        _in_the_first_person(doc, {start for start, _ in cues.get("PATIENT", [])})
        norms = [token.norm_ for token in doc]
        for span, rule, family in self._best_matches(doc):
            detection = self._judge(doc, norms, span, rule, family, cues, offset)
            if rule.kind == "sign":
                if detection.status == "present":
                    result.signs.append(detection)
            elif detection.status == "present":
                result.present.append(detection)
            elif detection.status == "unsure":
                result.unsure.append(detection)
            else:
                result.discounted.append(detection)

    def _best_matches(self, doc: Doc) -> List[Tuple[Span, Rule, str]]:
        """Longest match per family; a question only where no flag already covers it."""
        by_kind: Dict[Tuple[str, str], List[Span]] = {}
        for match_id, start, end, alignment in self.matcher(doc, with_alignments=True):
            key = doc.vocab.strings[match_id]
            rule = self.rules[key]
            # "legs are not weak": a negation that filled a wildcard negates the match.
            negated_inside = self._wildcard_negation(doc, start, alignment, key)
            label = f"{NEGATED_INSIDE}:{key}" if negated_inside else key
            span = Span(doc, start, end, label=label)
            families = rule.families + tuple(
                family for family, words in rule.also
                if _first_word_in(span.sent, words) is not None
            )
            for family in families:
                by_kind.setdefault((rule.kind, family), []).append(span)
        chosen: List[Tuple[Span, Rule, str]] = []
        flag_spans: List[Span] = []
        for (kind, family), spans in sorted(by_kind.items()):
            if kind == "sign":
                chosen += [(span, self._rule_of(span), family) for span in filter_spans(spans)]
        for (kind, family), spans in sorted(by_kind.items()):
            if kind == "flag":
                for span in filter_spans(spans):
                    chosen.append((span, self._rule_of(span), family))
                    flag_spans.append(span)
        for (kind, family), spans in sorted(by_kind.items()):
            if kind == "unsure":
                for span in filter_spans(spans):
                    if not any(_overlap(span, other) for other in flag_spans):
                        chosen.append((span, self._rule_of(span), family))
        return chosen

    @staticmethod
    def _key_of(span: Span) -> str:
        return span.label_.split(":", 1)[1] if _negated_inside(span) else span.label_

    def _rule_of(self, span: Span) -> Rule:
        return self.rules[self._key_of(span)]

    def _wildcard_negation(self, doc: Doc, start: int, alignment: List[int], key: str) -> bool:
        slots = self._wildcard_slots[key]
        return any(
            doc[start + offset].norm_ in context.INSIDE_NEGATIONS and slot in slots
            for offset, slot in enumerate(alignment)
        )

    def _judge(self, doc: Doc, norms: List[str], span: Span, rule: Rule, family: str,
               cues: Dict, offset: int) -> Detection:
        bounds = context.clause_bounds(doc, norms, span)
        status, cue = _effective_kind(rule, span), None
        if status == "benign":
            cue = _first_word_in(span.sent, rule.benign)
        other = context.other_person(doc, norms, span, cues, bounds)
        negation = "inside the phrase" if _negated_inside(span) else (
            context.negated(doc, norms, span, cues, bounds))
        past = context.historical(doc, span, cues, bounds)
        asking = context.hypothetical(doc, norms, span)
        if asking:
            status, cue = "hypothetical", asking
        elif negation:
            status, cue = "negated", negation
        elif other and (past or status != "present" or any(
                norm in OTHERS_PAST for norm in norms[bounds[0]:span.end])):
            status, cue = "other_person", other
        elif other:
            # Someone's current symptom in a message to the practice is usually the patient's
            # (the spec: when it is unclear whose it is, ask).
            status, cue = "unsure", f"whose? ({other})"
        elif past and rule.history == "discount":
            status, cue = "historical", past
        elif past and rule.history == "ask" and status == "present":
            status, cue = "unsure", past
        return Detection(
            flag=family,
            level=rule.level or FLAG_LEVELS[family],
            status=status,
            trigger=span.text,
            start=offset + span.start_char,
            end=offset + span.end_char,
            rule=self._key_of(span),
            source=FLAG_SOURCES[family],
            cue=cue,
        )


RESOLVED_WINDOW = 8
# "my dad had cancer", "my wife was ill": someone else's past, not the patient's present.
OTHERS_PAST = {"had", "was", "were", "died", "passed", "used"}


# A sign told in the past may be resolved later in its sentence or early in the next
# ("had a fever last month with the flu but that's long gone").
PAST_MARKERS = {"had", "was", "were", "ago", "last", "previous", "earlier", "after"}
# The next sentence's resolution must be about the sign ("It passed by Sunday"), not
# about something else ("My cold is better now").
REFERENTS = {"it", "that", "this", "which", "fever", "temperature", "temp", "flu"}
# "still hasn't gone", "never went away": a resolution word that says the opposite.
UNRESOLVED_BEFORE = {"not", "n't", "never", "still", "hasnt", "hasn't", "isnt", "isn't",
                     "havent", "haven't", "wont", "won't", "without"}
RECURRING = ("coming back", "comes back", "came back", "back again", "comes and goes",
             "on and off", "off and on")


# The rules are written as the patient says it ("wet myself", "my legs"); a relative's
# words about the patient are read the same way ("he wet himself", "her legs").
FIRST_PERSON_FORMS = {"himself": "myself", "herself": "myself", "his": "my", "him": "me"}
# "her" before one of these is "me" ("help her", "her and me"), before a noun "my".
NOT_A_NOUN = {"and", "or", "to", "up", "down", "out", "in", "on", "at", "with", "from", "for",
              "too", "again", "now", "today", "so", "but", "back"}


def _in_the_first_person(doc: Doc, patient: Set[int]) -> None:
    for i in patient:
        token = doc[i]
        if token.norm_ == "her":
            after = doc[i + 1] if i + 1 < len(doc) else None
            token.norm_ = "my" if after is not None and after.is_alpha and \
                after.norm_ not in NOT_A_NOUN else "me"
        elif token.norm_ in FIRST_PERSON_FORMS:
            token.norm_ = FIRST_PERSON_FORMS[token.norm_]


def _resolved(span: Span, phrases: Iterable[str]) -> bool:
    doc = span.doc
    near = doc[span.end:min(span.sent.end, span.end + RESOLVED_WINDOW)]
    reach = [(near, False)]
    if PAST_MARKERS & {t.norm_ for t in span.sent}:
        next_start = span.sent.end
        reach = [(doc[span.end:span.sent.end], False),
                 (doc[next_start:min(len(doc), next_start + RESOLVED_WINDOW)], True)]
    for part, needs_referent in reach:
        words = [t.norm_ for t in part]
        text = " " + " ".join(words) + " "
        if any(f" {phrase} " in text and f" {phrase} normal " not in text
               for phrase in RECURRING):
            return False
        for phrase in phrases:
            at = _find(words, phrase.split())
            if at is None or UNRESOLVED_BEFORE & set(words[max(0, at - 3):at]):
                continue
            if not needs_referent or REFERENTS & set(words[:at]):
                return True
    return False


def _find(words: List[str], phrase: List[str]) -> Optional[int]:
    return next((i for i in range(len(words) - len(phrase) + 1)
                 if words[i:i + len(phrase)] == phrase), None)


def _negated_inside(span: Span) -> bool:
    return span.label_.startswith(NEGATED_INSIDE + ":")


def _effective_kind(rule: Rule, span: Span) -> str:
    """present / unsure / benign after the sentence's benign and confirming words."""
    following = " ".join(t.norm_ for t in span.doc[span.end:span.end + 2])
    if any((following + " ").startswith(phrase + " ") for phrase in rule.benign_next):
        return "benign"
    if rule.normal_below and any(
        30 <= _reading(t.norm_) < rule.normal_below for t in span if t.like_num
    ):
        return "benign"  # "temp was 36.8": a normal reading
    if rule.resolved_after and _resolved(span, rule.resolved_after):
        return "benign"  # "the fever broke on Monday"
    benign = _first_word_in(span.sent, rule.benign) is not None
    confirmed = _first_word_in(span.sent, rule.confirm) is not None
    if rule.dismiss_when and not confirmed and all(
        _first_word_in(span.sent, group) is not None for group in rule.dismiss_when
    ):
        return "benign"  # "both legs sore after the parkrun"
    if rule.kind in ("flag", "sign") or confirmed:
        if not benign or confirmed:
            return "present"
        return {"soften": "unsure", "ask": "unsure", "ignore": "benign"}[rule.benign_effect]
    if benign and rule.benign_effect in ("soften", "ignore"):
        return "benign"
    return "unsure"


def _reading(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return 0.0


def _first_word_in(span: Span, words: Iterable[str]) -> Optional[str]:
    wanted = set(words)
    if not wanted:
        return None
    return next((t.text for t in span if t.norm_ in wanted), None)


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _chunks(text: str, size: int) -> List[str]:
    """Split long text at whitespace so no word is cut in two."""
    chunks = []
    while len(text) > size:
        cut = text.rfind(" ", 0, size)
        cut = cut if cut > 0 else size
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks


@lru_cache(maxsize=1)
def _shared_detector() -> RedFlagDetector:
    return RedFlagDetector()


def detect(text: Optional[str], writing_for: Optional[str] = None) -> DetectionResult:
    """Red flags in one patient message (the module-wide detector is built on first use).

    `writing_for`: the relative the conversation is known to be about ("dad"), whose
    he/his/him are then the patient even in a message that does not say so again."""
    return _shared_detector().detect(text, writing_for)
