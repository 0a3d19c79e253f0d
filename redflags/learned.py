"""The learned second layer: a text classifier that can only ask, never escalate or dismiss.

When the deterministic rules find nothing present and nothing to ask about, a linear model
over word 1-2-gram and character 2-5-gram TF-IDF estimates whether the message may describe
a red flag, and which family. At or above a threshold the assistant asks ONE yes/no
question about that family (intent `red_flag_unsure`, rule `learned:<family>`); the answer
decides, through the dialogue's own rules. Below it, nothing happens: the model cannot
dismiss what the rules found, and it is never consulted when they found something.

Training data (`load_examples`): the red-flag corpus in `redflags/corpus/`, the project's
labelled sets in `tests/data/` (every set whose name contains "holdout" is left out), and
as negatives every NLU training example whose intent is not `red_flag`/`red_flag_unsure`.
The threshold is chosen on a stratified validation split: the lowest score that keeps the
layer's questions on ordinary validation messages at or under `max_false_ask` (3 %), which
is the highest recall the budget allows. The model saved is the one fitted on the training
split, so the validation numbers printed at training are the deployed model's.
"""

from dataclasses import dataclass, field
import logging
from pathlib import Path
import re
import time
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import joblib
import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

from redflags.levels import FLAG_LEVELS

logger = logging.getLogger(__name__)

NONE = "none"
FAMILIES = tuple(FLAG_LEVELS)
MODEL_FILE = "asking.joblib"
DEFAULT_CORPUS = ("redflags/corpus", "tests/data")
EXCLUDED_NAME = "holdout"  # frozen and hold-out sets are never trained or tuned on
RED_FLAG_INTENTS = {"red_flag", "red_flag_unsure"}
DEFAULT_MAX_FALSE_ASK = 0.03
DEFAULT_VALIDATION_FRACTION = 0.2
DEFAULT_SEED = 17
_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a family or "none"
    origin: str  # the file (and kind) it came from, for the report


# ------------------------------------------------------------------------- training data

def _corpus_files(paths: Iterable[str]) -> List[Path]:
    files: List[Path] = []
    for path in map(Path, paths):
        candidates = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        files += [f for f in candidates if f.exists() and EXCLUDED_NAME not in f.name.lower()]
    return files


def _from_labelled_set(data: Dict, origin: str) -> List[Example]:
    """tests/data's layout: red_flags (flags), near_misses (why), ambiguous (family)."""
    examples = []
    for item in data.get("red_flags", []):
        for flag in item.get("flags", []):
            examples.append(Example(item["text"], flag, f"{origin}:red_flags"))
    for item in data.get("near_misses", []):
        examples.append(Example(item["text"], NONE, f"{origin}:near_misses"))
    for item in data.get("ambiguous", []):
        examples.append(Example(item["text"], item["family"], f"{origin}:ambiguous"))
    return examples


def _from_corpus_items(items: Sequence[Dict], origin: str) -> List[Example]:
    """The corpus' layout: a list of {text, label (family or none), kind, source}."""
    examples = []
    for item in items:
        if not isinstance(item, dict) or not item.get("text"):
            continue
        labels = item.get("label", NONE)
        for label in labels if isinstance(labels, list) else [labels]:
            label = str(label or NONE)
            if label in FAMILIES or label == NONE:
                examples.append(Example(str(item["text"]), label,
                                        f"{origin}:{item.get('kind', '-')}"))
    return examples


def load_labelled_files(paths: Iterable[str] = DEFAULT_CORPUS) -> List[Example]:
    examples: List[Example] = []
    for path in _corpus_files(paths):
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        if isinstance(data, dict) and "red_flags" in data:
            examples += _from_labelled_set(data, path.name)
        elif isinstance(data, dict):
            items = data.get("items") or data.get("examples") or []
            examples += _from_corpus_items(items, path.name)
        elif isinstance(data, list):
            examples += _from_corpus_items(data, path.name)
    return examples


_FIRST_PERSON = re.compile(r"\b(i'm|i am|i've|i was|i|my|me|myself|mine)\b", re.I)
_TOLD_BY_RELATIVE = {
    "he": {"i'm": "he's", "i am": "he is", "i've": "he's", "i was": "he was", "i": "he",
           "my": "his", "me": "him", "myself": "himself", "mine": "his"},
    "she": {"i'm": "she's", "i am": "she is", "i've": "she's", "i was": "she was", "i": "she",
            "my": "her", "me": "her", "myself": "herself", "mine": "hers"},
}


# Made from other examples: trained on, never validated on (it would make the false-ask
# budget look roomier than real messages are).
AUGMENTED = "augmented:"


def ordinary_complaints() -> List[Example]:
    """Plain complaints, the commonest message a back-pain practice gets ("I've got bad back
    pain", "his neck has been sore for two weeks"): the corpus has few of them."""
    who = ["i've got", "i have", "i've had", "got", "my", "he's got", "she has", "his",
           "her", "my dad has", "my wife's got", "my husband has had", "mom has", "i get"]
    what = ["bad back pain", "back pain", "a sore back", "terrible lower back pain",
            "neck pain", "a stiff neck", "upper back pain", "back is bad", "back is killing me",
            "back has been giving trouble", "back is sore", "pain in the back", "backache",
            "a bad back", "lower back ache", "back has been bad", "back is playing up"]
    when = ["", " for two weeks", " since monday", " for a while now", " again", " today",
            " after gym", " from sitting", " for about a month", " since the weekend",
            ", can you help", " please help", " and it's getting me down"]
    return [Example(f"{a} {b}{c}", NONE, AUGMENTED + "ordinary complaint")
            for a in who for b in what for c in when]


def told_by_relative(text: str) -> List[str]:
    """The same ordinary message as a relative would write it ("my back" -> "his back"), so
    the model does not learn that a third person alone means a red flag."""
    return [_FIRST_PERSON.sub(lambda m: words[m.group(1).lower()], text)
            for words in _TOLD_BY_RELATIVE.values()] if _FIRST_PERSON.search(text) else []


def nlu_negatives(pairs: Iterable[Tuple[str, str]]) -> List[Example]:
    """(text, intent) pairs from the NLU data: everything not a red-flag intent is ordinary,
    as written by the patient and as written by a relative about them."""
    examples = []
    for text, intent in pairs:
        if not text or not intent or intent.split("/")[0] in RED_FLAG_INTENTS:
            continue
        plain = _MARKUP.sub(lambda m: m.group(1) or m.group(2), text)
        origin = f"nlu:{intent.split('/')[0]}"
        examples.append(Example(plain, NONE, origin))
        examples += [Example(variant, NONE, AUGMENTED + origin)
                     for variant in told_by_relative(plain)]
    return examples


def nlu_pairs_from_files(path: str = "data/nlu") -> List[Tuple[str, str]]:
    """(text, intent) from Rasa YAML NLU files, without importing Rasa."""
    pairs = []
    for file in sorted(Path(path).glob("*.yml")):
        with open(file, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        for block in data.get("nlu", []):
            intent = block.get("intent")
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if intent and line.startswith("- "):
                    pairs.append((line[2:].strip(), intent))
    return pairs


def _dedupe(examples: Iterable[Example]) -> List[Example]:
    seen, unique = set(), []
    for example in examples:
        key = (" ".join(example.text.lower().split()), example.label)
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return unique


# ------------------------------------------------------------------------- the model

# Every message to a back-pain practice says these; in the corpus they sit mostly beside red
# flags, so a model that saw them would ask about "I've got bad back pain".
_TOPIC_WORDS = re.compile(
    r"\b(?:back|backs|backache|pain|pains|painful|sore|ache|aches|aching|achy|hurt|hurts|"
    r"hurting|neck|lower|upper|spine)\b")


def without_topic_words(text: str) -> str:
    return _TOPIC_WORDS.sub(" ", text.lower())


def build_pipeline(seed: int = DEFAULT_SEED) -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(preprocessor=without_topic_words, ngram_range=(1, 2),
                                  sublinear_tf=True, min_df=1,
                                  token_pattern=r"(?u)\b\w[\w'/]*\b")),
        ("chars", TfidfVectorizer(preprocessor=without_topic_words, analyzer="char_wb",
                                  ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                  max_features=120_000)),
    ])
    classifier = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000,
                                    random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


def gate(result) -> Optional[Set[str]]:
    """Which families the learned layer may NOT ask about, or None when it may not ask at all.

    The layer is consulted only when the rules found nothing present and nothing to ask;
    a family the rules found and discounted (negated, past, someone else's, benign) is
    theirs to judge: "no tingling in my saddle area" gets no question about cauda equina.
    """
    if result.present or result.unsure_flags:
        return None
    return {d.flag for d in result.discounted}


def _question(probabilities: np.ndarray, classes: Sequence[str], closed: Set[str],
              threshold: float, closed_threshold: float) -> Optional[Tuple[str, float, str]]:
    """(family, score, why) for the question to ask, or None.

    The families the rules left open share one score, their summed probability, against
    `threshold`. A family the rules found but discounted gets a second look only when the
    model alone is very sure of it (`closed_threshold`, set higher on validation): that is
    where the rules' scope words misjudge new phrasings ("my wife says she can't ...").
    """
    open_score, open_best, closed_best = 0.0, None, None
    for p, c in zip(probabilities, classes):
        if c == NONE:
            continue
        if c in closed:
            if closed_best is None or p > closed_best[0]:
                closed_best = (float(p), c)
        else:
            open_score += float(p)
            if open_best is None or p > open_best[0]:
                open_best = (float(p), c)
    if open_best is not None and open_score >= threshold:
        return open_best[1], open_score, "open"
    if closed_best is not None and closed_best[0] >= closed_threshold:
        return closed_best[1], closed_best[0], "second look"
    return None


class FastScorer:
    """The fitted pipeline's arithmetic for one message, without scikit-learn's per-call
    checks (about 4 ms a message through `predict_proba`, a few tenths of one here).

    Same numbers: each TF-IDF block is sublinear tf x idf, L2-normalised on its own (as
    FeatureUnion stacks them), then the multinomial logistic regression's softmax (a
    sigmoid when there are only two classes).
    """

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        classifier: LogisticRegression = pipeline.named_steps["classifier"]
        self.blocks = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            self.blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_,
                                vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self.coef_t = np.ascontiguousarray(classifier.coef_.T)  # features x classes
        self.intercept = classifier.intercept_
        self.classes = list(classifier.classes_)
        self.binary = len(self.classes) == 2  # one family and none: a sigmoid, not softmax

    def probabilities(self, text: str) -> np.ndarray:
        columns: List[int] = []
        values: List[float] = []
        for analyzer, vocabulary, idf, offset in self.blocks:
            counts: Dict[int, int] = {}
            for gram in analyzer(text):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weight = (1.0 + np.log(np.fromiter(counts.values(), dtype=float,
                                               count=len(counts)))) * idf[index]
            weight /= np.sqrt(weight @ weight)
            columns.append(index + offset)
            values.append(weight)
        logits = self.intercept.copy()
        if columns:
            logits += np.concatenate(values) @ self.coef_t[np.concatenate(columns)]
        if self.binary:
            positive = 1.0 / (1.0 + np.exp(-logits[0]))
            return np.array([1.0 - positive, positive])
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()


@dataclass
class AskingModel:
    """A fitted pipeline, its threshold and the validation numbers it was chosen on."""

    pipeline: Pipeline
    threshold: float
    closed_threshold: float = 1.01  # above 1: never second-guess what the rules discounted
    report: Dict = field(default_factory=dict)
    _fast: Optional[FastScorer] = field(default=None, repr=False, compare=False)

    @property
    def classes(self) -> List[str]:
        return list(self.pipeline.classes_)

    def ask(self, text: Optional[str],
            closed: Iterable[str] = ()) -> Optional[Tuple[str, float]]:
        """(family, score) when the message deserves one question, else None.

        `closed`: families the rules already judged in this message (negated, historical,
        someone else's, benign): the layer does not second-guess those, so their
        probability does not count towards the score.
        """
        if not text or not text.strip():
            return None
        if self._fast is None:
            self._fast = FastScorer(self.pipeline)
        question = _question(self._fast.probabilities(text[:2000]), self._fast.classes,
                             set(closed), self.threshold, self.closed_threshold)
        return question[:2] if question else None

    def save(self, directory: Path) -> Path:
        path = Path(directory) / MODEL_FILE
        joblib.dump({"pipeline": self.pipeline, "threshold": self.threshold,
                     "closed_threshold": self.closed_threshold, "report": self.report}, path)
        return path

    @classmethod
    def load(cls, directory: Path) -> "AskingModel":
        stored = joblib.load(Path(directory) / MODEL_FILE)
        return cls(stored["pipeline"], stored["threshold"],
                   stored.get("closed_threshold", 1.01), stored.get("report", {}))


def choose_threshold(risk_ordinary: np.ndarray, max_false_ask: float,
                     exact: Optional[int] = None) -> float:
    """The lowest threshold that asks on at most `max_false_ask` of ordinary messages
    (or on at most `exact` of them)."""
    if len(risk_ordinary) == 0:
        return 0.5
    allowed = exact if exact is not None else int(np.floor(max_false_ask * len(risk_ordinary)))
    ranked = np.sort(risk_ordinary)[::-1]
    # Ask only when strictly above the (allowed+1)-th highest ordinary score.
    bar = ranked[allowed] if allowed < len(ranked) else 0.0
    return float(np.nextafter(max(bar, 0.0), 1.0))


def train(examples: Sequence[Example],
          rules_gate: Optional[Callable[[str], Optional[Set[str]]]] = None,
          max_false_ask: float = DEFAULT_MAX_FALSE_ASK,
          validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
          seed: int = DEFAULT_SEED) -> AskingModel:
    """Fit on a stratified training split; choose and report the threshold on the rest.

    `rules_gate(text)` is `gate(detector.detect(text))`: the layer asks only where the
    rules leave a question open, so the false-ask budget is spent there, exactly as in
    use. Without it every validation message counts as open.
    """
    started = time.perf_counter()
    examples = _dedupe(examples)
    augmented = [e for e in examples if e.origin.startswith(AUGMENTED)]
    examples = [e for e in examples if not e.origin.startswith(AUGMENTED)]
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    train_idx, valid_idx = train_test_split(
        np.arange(len(examples)), test_size=validation_fraction, random_state=seed,
        stratify=labels)
    pipeline = build_pipeline(seed)
    pipeline.fit([texts[i] for i in train_idx] + [e.text for e in augmented],
                 [labels[i] for i in train_idx] + [e.label for e in augmented])
    model = AskingModel(pipeline, threshold=1.0)

    valid = [examples[i] for i in valid_idx]
    probabilities = pipeline.predict_proba([e.text for e in valid])
    classes = list(pipeline.classes_)
    gates = [rules_gate(e.text) if rules_gate else set() for e in valid]
    model.threshold, model.closed_threshold = choose_thresholds(
        valid, probabilities, classes, gates, max_false_ask)
    model.report = validation_report(valid, probabilities, classes, gates, model)
    model.report.update({
        "examples": len(examples) + len(augmented), "train": len(train_idx) + len(augmented),
        "validation": len(valid_idx),
        "max_false_ask": max_false_ask, "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "by_origin": _count_by_origin(examples + augmented),
    })
    return model


def _scores(probabilities, classes, gates) -> Tuple[np.ndarray, List, np.ndarray, List]:
    """Per message: open score and family, best discounted-family score and family."""
    open_s, open_f, closed_s, closed_f = [], [], [], []
    for row, closed in zip(probabilities, gates):
        if closed is None:  # the rules flagged or asked: the layer is not consulted
            open_s.append(-1.0), open_f.append(None), closed_s.append(-1.0), closed_f.append(None)
            continue
        opened = [(p, c) for p, c in zip(row, classes) if c != NONE and c not in closed]
        shut = [(p, c) for p, c in zip(row, classes) if c in closed]
        open_s.append(sum(p for p, _ in opened) if opened else -1.0)
        open_f.append(max(opened)[1] if opened else None)
        closed_s.append(max(shut)[0] if shut else -1.0)
        closed_f.append(max(shut)[1] if shut else None)
    return np.array(open_s), open_f, np.array(closed_s), closed_f


def _asked(open_s, open_f, closed_s, closed_f, threshold, closed_threshold) -> List:
    return [of if o >= threshold and of else (cf if c >= closed_threshold and cf else None)
            for o, of, c, cf in zip(open_s, open_f, closed_s, closed_f)]


def choose_thresholds(valid: Sequence[Example], probabilities: np.ndarray,
                      classes: Sequence[str], gates: List[Optional[Set[str]]],
                      max_false_ask: float) -> Tuple[float, float]:
    """Both thresholds: the pair that asks the right family on the most validation
    positives while asking on at most `max_false_ask` of the ordinary messages."""
    open_s, open_f, closed_s, closed_f = _scores(probabilities, classes, gates)
    ordinary = np.array([e.label == NONE for e in valid])
    labels = [e.label for e in valid]
    allowed = int(np.floor(max_false_ask * ordinary.sum()))
    candidates = sorted({1.01} | {round(float(x), 4) for x in
                                  np.quantile(closed_s[closed_s >= 0], np.linspace(0.5, 1, 26))}
                        if (closed_s >= 0).any() else {1.01})
    best = None
    for closed_threshold in candidates:
        by_closed = ordinary & (closed_s >= closed_threshold)
        left = allowed - int(by_closed.sum())
        if left < 0:
            continue
        threshold = choose_threshold(open_s[ordinary & ~by_closed], left / max(
            1, int((ordinary & ~by_closed).sum())), exact=left)
        asked = _asked(open_s, open_f, closed_s, closed_f, threshold, closed_threshold)
        right = sum(1 for a, label in zip(asked, labels) if label != NONE and a == label)
        key = (right, closed_threshold, threshold)
        if closed_threshold < threshold:
            continue  # a second look at what the rules discounted needs more, never less
        if best is None or key > best:
            best = key
    if best is None:  # no pair within the budget: ask only when nearly certain
        return 1.0, 1.0
    return best[2], best[1]


def _count_by_origin(examples: Sequence[Example]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for example in examples:
        key = example.origin.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


def validation_report(valid: Sequence[Example], probabilities: np.ndarray,
                      classes: Sequence[str], gates: List[Optional[Set[str]]],
                      model: "AskingModel") -> Dict:
    """Per family, over the validation positives: how many the rules caught (flag or
    question), how many more the layer then asked about the right family, and how many
    it asked on as a second look at a discounted family; false asks on ordinary ones."""
    open_s, open_f, closed_s, closed_f = _scores(probabilities, classes, gates)
    asked = _asked(open_s, open_f, closed_s, closed_f, model.threshold,
                   model.closed_threshold)
    second = [a is not None and not (o >= model.threshold and of)
              for a, o, of in zip(asked, open_s, open_f)]
    per_family: Dict[str, Dict] = {}
    for family in FAMILIES:
        rows = [i for i, e in enumerate(valid) if e.label == family]
        left_open = [i for i in rows if gates[i] is not None]
        right = [i for i in left_open if asked[i] == family]
        per_family[family] = {
            "positives": len(rows),
            "rules_caught": len(rows) - len(left_open),
            "rules_left_open": len(left_open),
            "asked_right_family": len(right),
            "second_look": sum(1 for i in right if second[i]),
            "layer_recall": len(right) / len(left_open) if left_open else None,
            "caught": (len(rows) - len(left_open) + len(right)) / len(rows) if rows else None,
        }
    ordinary = [i for i, e in enumerate(valid) if e.label == NONE]
    false_asks = sum(1 for i in ordinary if asked[i] is not None)
    return {
        "threshold": model.threshold,
        "closed_threshold": model.closed_threshold,
        "per_family": per_family,
        "ordinary": len(ordinary),
        "false_asks": false_asks,
        "false_asks_second_look": sum(1 for i in ordinary if second[i]),
        "false_ask_rate": false_asks / len(ordinary) if ordinary else 0.0,
    }


def format_report(report: Dict) -> str:
    lines = [
        f"asking layer: {report.get('examples', '?')} examples "
        f"({report.get('train', '?')} train / {report.get('validation', '?')} validation, "
        f"stratified, seed {report.get('seed', '?')}); by origin {report.get('by_origin', {})}",
        f"thresholds: {report['threshold']:.4f} on the families the rules left open, "
        f"{report['closed_threshold']:.4f} for a second look at a family they discounted; "
        f"chosen for at most {report.get('max_false_ask', DEFAULT_MAX_FALSE_ASK):.0%} "
        f"questions on ordinary validation messages",
        f"{'family':28} {'positives':>9} {'rules acted':>13} {'layer asked':>12} "
        f"{'(2nd look)':>10} {'layer recall':>13} {'caught':>7}",
    ]
    for family, row in report["per_family"].items():
        recall = "-" if row["layer_recall"] is None else f"{row['layer_recall']:.1%}"
        caught = "-" if row["caught"] is None else f"{row['caught']:.1%}"
        lines.append(f"{family:28} {row['positives']:9} {row['rules_caught']:13} "
                     f"{row['asked_right_family']:12} {row['second_look']:10} {recall:>13} "
                     f"{caught:>7}")
    rows = report["per_family"].values()
    positives = sum(r["positives"] for r in rows)
    rules = sum(r["rules_caught"] for r in rows)
    right = sum(r["asked_right_family"] for r in rows)
    lines.append(f"rules alone: {rules}/{positives} = {rules / positives:.1%}; "
                 f"with the layer's questions: {rules + right}/{positives} = "
                 f"{(rules + right) / positives:.1%}")
    lines.append(f"false asks on ordinary validation messages: {report['false_asks']}/"
                 f"{report['ordinary']} = {report['false_ask_rate']:.1%} "
                 f"({report['false_asks_second_look']} of them second looks)")
    return "\n".join(lines)
