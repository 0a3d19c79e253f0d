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
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

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


def nlu_negatives(pairs: Iterable[Tuple[str, str]]) -> List[Example]:
    """(text, intent) pairs from the NLU data: everything not a red-flag intent is ordinary."""
    return [Example(_MARKUP.sub(lambda m: m.group(1) or m.group(2), text), NONE,
                    f"nlu:{intent.split('/')[0]}")
            for text, intent in pairs
            if text and intent and intent.split("/")[0] not in RED_FLAG_INTENTS]


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

def build_pipeline(seed: int = DEFAULT_SEED) -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True,
                                  min_df=1, token_pattern=r"(?u)\b\w[\w'/]*\b")),
        ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5),
                                  sublinear_tf=True, min_df=2, max_features=120_000)),
    ])
    classifier = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000,
                                    random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


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
    report: Dict = field(default_factory=dict)
    _fast: Optional[FastScorer] = field(default=None, repr=False, compare=False)

    @property
    def classes(self) -> List[str]:
        return list(self.pipeline.classes_)

    def scores(self, texts: Sequence[str]) -> Tuple[np.ndarray, List[str]]:
        """P(any red flag) = 1 - P(none), and the likeliest family, per text."""
        probabilities = self.pipeline.predict_proba(list(texts))
        classes = self.classes
        none_index = classes.index(NONE)
        family_columns = [i for i, c in enumerate(classes) if c != NONE]
        risk = 1.0 - probabilities[:, none_index]
        best = probabilities[:, family_columns].argmax(axis=1)
        return risk, [classes[family_columns[i]] for i in best]

    def ask(self, text: Optional[str]) -> Optional[Tuple[str, float]]:
        """(family, score) when the message deserves one question, else None."""
        if not text or not text.strip():
            return None
        if self._fast is None:
            self._fast = FastScorer(self.pipeline)
        probabilities = self._fast.probabilities(text[:2000])
        classes = self._fast.classes
        risk = 1.0 - probabilities[classes.index(NONE)]
        if risk < self.threshold:
            return None
        family = max((c for c in classes if c != NONE),
                     key=lambda c: probabilities[classes.index(c)])
        return family, float(risk)

    def save(self, directory: Path) -> Path:
        path = Path(directory) / MODEL_FILE
        joblib.dump({"pipeline": self.pipeline, "threshold": self.threshold,
                     "report": self.report}, path)
        return path

    @classmethod
    def load(cls, directory: Path) -> "AskingModel":
        stored = joblib.load(Path(directory) / MODEL_FILE)
        return cls(stored["pipeline"], stored["threshold"], stored.get("report", {}))


def choose_threshold(risk_ordinary: np.ndarray, max_false_ask: float) -> float:
    """The lowest threshold that asks on at most `max_false_ask` of ordinary messages."""
    if len(risk_ordinary) == 0:
        return 0.5
    allowed = int(np.floor(max_false_ask * len(risk_ordinary)))
    ranked = np.sort(risk_ordinary)[::-1]
    # Ask only when strictly above the (allowed+1)-th highest ordinary score.
    bar = ranked[allowed] if allowed < len(ranked) else 0.0
    return float(np.nextafter(bar, 1.0))


def train(examples: Sequence[Example],
          rules_silent: Optional[Callable[[str], bool]] = None,
          max_false_ask: float = DEFAULT_MAX_FALSE_ASK,
          validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
          seed: int = DEFAULT_SEED) -> AskingModel:
    """Fit on a stratified training split; choose and report the threshold on the rest.

    `rules_silent(text)` says whether the deterministic rules found nothing (present or
    unsure) in a message; the layer is only consulted then, so the false-ask budget is
    spent on those messages. Without it every validation message counts.
    """
    started = time.perf_counter()
    examples = _dedupe(examples)
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    train_idx, valid_idx = train_test_split(
        np.arange(len(examples)), test_size=validation_fraction, random_state=seed,
        stratify=labels)
    pipeline = build_pipeline(seed)
    pipeline.fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    model = AskingModel(pipeline, threshold=1.0)

    valid = [examples[i] for i in valid_idx]
    risk, families = model.scores([e.text for e in valid])
    silent = np.array([rules_silent(e.text) if rules_silent else True for e in valid])
    ordinary = np.array([e.label == NONE for e in valid])
    # A question the rules would not have asked: only where they are silent.
    model.threshold = choose_threshold(np.where(silent, risk, 0.0)[ordinary], max_false_ask)
    model.report = validation_report(valid, risk, families, silent, model.threshold)
    model.report.update({
        "examples": len(examples), "train": len(train_idx), "validation": len(valid_idx),
        "max_false_ask": max_false_ask, "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "by_origin": _count_by_origin(examples),
    })
    return model


def _count_by_origin(examples: Sequence[Example]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for example in examples:
        key = example.origin.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


def validation_report(valid: Sequence[Example], risk: np.ndarray, families: List[str],
                      silent: np.ndarray, threshold: float) -> Dict:
    """Per family: the layer's own recall (asked about the right family) over all
    positives, and over the positives the rules missed; false asks on ordinary messages."""
    asks = (risk >= threshold) & silent
    per_family: Dict[str, Dict] = {}
    for family in FAMILIES:
        rows = [i for i, e in enumerate(valid) if e.label == family]
        missed_by_rules = [i for i in rows if silent[i]]
        right = [i for i in rows if risk[i] >= threshold and families[i] == family]
        per_family[family] = {
            "positives": len(rows),
            "layer_recall": len(right) / len(rows) if rows else None,
            "rules_silent": len(missed_by_rules),
            "asked_when_rules_silent": sum(1 for i in missed_by_rules
                                           if asks[i] and families[i] == family),
            "asked_any_family_when_rules_silent": sum(1 for i in missed_by_rules if asks[i]),
        }
    ordinary = [i for i, e in enumerate(valid) if e.label == NONE]
    return {
        "threshold": threshold,
        "per_family": per_family,
        "ordinary": len(ordinary),
        "false_asks": int(sum(asks[i] for i in ordinary)),
        "false_ask_rate": float(sum(asks[i] for i in ordinary) / len(ordinary)) if ordinary else 0.0,
        "false_asks_without_rules": int(sum(risk[i] >= threshold for i in ordinary)),
    }


def format_report(report: Dict) -> str:
    lines = [
        f"asking layer: {report.get('examples', '?')} examples "
        f"({report.get('train', '?')} train / {report.get('validation', '?')} validation, "
        f"stratified, seed {report.get('seed', '?')}); by origin {report.get('by_origin', {})}",
        f"threshold (P(red flag) = 1 - P(none)): {report['threshold']:.4f}, chosen for at "
        f"most {report.get('max_false_ask', DEFAULT_MAX_FALSE_ASK):.0%} questions on ordinary "
        f"validation messages where the rules are silent",
        f"{'family':28} {'pos':>5} {'layer recall':>13} {'rules silent':>13} "
        f"{'then asked':>11}",
    ]
    for family, row in report["per_family"].items():
        recall = "-" if row["layer_recall"] is None else f"{row['layer_recall']:.1%}"
        lines.append(f"{family:28} {row['positives']:5} {recall:>13} {row['rules_silent']:13} "
                     f"{row['asked_when_rules_silent']:5} right family "
                     f"({row['asked_any_family_when_rules_silent']} any)")
    lines.append(f"false asks on ordinary validation messages: {report['false_asks']}/"
                 f"{report['ordinary']} = {report['false_ask_rate']:.1%} (the layer alone, "
                 f"without the rules' silence: {report['false_asks_without_rules']})")
    return "\n".join(lines)
