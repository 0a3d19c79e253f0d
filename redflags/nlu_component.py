"""Rasa NLU graph component: the red-flag detector's verdict becomes part of every parse.

It runs last in the pipeline so nothing after it can undo it:
- a red flag forces the intent `red_flag` (confidence 1.0) and adds `red_flag` entities
  carrying the trigger words, the rule and the spec's source, for the audit trail;
- a message that needs one clarifying question forces `red_flag_unsure` with a
  `red_flag_question` entity naming the family, its level, and what asked (`rule`: the
  rule id, or `learned:<family>` for the learned layer, whose question also says whether
  it passed the second-look threshold, `strong`);
- when the rules find nothing present and nothing to ask, the learned layer
  (`redflags.learned`, fitted by `rasa train` and stored inside the trained model) may
  ask that one question; it never escalates or dismisses on its own;
- when the rules find nothing (or only negated, historical or someone else's signs) the
  neural classifier may not claim a red flag on its own: its red-flag guess is replaced
  by its next-best intent;
- a message with no letters at all (empty, emoji, binary) becomes `nlu_fallback`.
"""

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from redflags import learned
from redflags.detector import Detection, DetectionResult, detect
from redflags.levels import FLAG_LEVELS, FLAG_SOURCES

logger = logging.getLogger(__name__)

RED_FLAG_INTENT = "red_flag"
UNSURE_INTENT = "red_flag_unsure"
RED_FLAG_ENTITY = "red_flag"
QUESTION_ENTITY = "red_flag_question"
EXTRACTOR = "RedFlagDetector"
LEARNED_EXTRACTOR = "RedFlagAskingLayer"
# Code whose change must retrain the layer (the threshold depends on the rules' silence).
_FINGERPRINTED_CODE = ("rules.py", "context.py", "detector.py", "levels.py", "learned.py")


def _entity(detection: Detection, name: str) -> Dict[Text, Any]:
    return {
        "entity": name,
        "value": detection.flag,
        "start": detection.start,
        "end": detection.end,
        "confidence_entity": 1.0,
        "extractor": EXTRACTOR,
        "level": detection.level,
        "trigger": detection.trigger,
        "rule": detection.rule,
        "source": detection.source,
    }


def _learned_question(text: Text, family: Text, score: float, strong: bool) -> Dict[Text, Any]:
    return {
        "entity": QUESTION_ENTITY,
        "value": family,
        "start": 0,
        "end": len(text),
        "confidence_entity": round(score, 4),
        "extractor": LEARNED_EXTRACTOR,
        "level": FLAG_LEVELS[family],
        "trigger": text[:200],
        "rule": f"learned:{family}",
        "source": FLAG_SOURCES[family],
    }


def _forced(name: Text) -> Dict[Text, Any]:
    return {"name": name, "confidence": 1.0}


def _has_letters(text: Optional[Text]) -> bool:
    return bool(text) and any(ch.isalpha() for ch in text)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    """Puts the deterministic red-flag verdict, and the learned layer's question, into
    the parse of every message."""

    @classmethod
    def required_components(cls) -> List:
        # config.yml puts it last in the pipeline. It cannot require IntentClassifier: its
        # training node sees only the featurizers' output, never DIET's training node.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Labelled files or folders, relative to the project (names with "holdout"
            # are skipped); negatives also come from the NLU training data itself.
            "corpus": list(learned.DEFAULT_CORPUS),
            "max_false_ask": learned.DEFAULT_MAX_FALSE_ASK,
            "validation_fraction": learned.DEFAULT_VALIDATION_FRACTION,
            "random_seed": learned.DEFAULT_SEED,
        }

    def __init__(
        self,
        config: Optional[Dict[Text, Any]] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        asking: Optional[learned.AskingModel] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.asking = asking

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagClassifier":
        detect("warm up")  # build the spaCy pipeline now, not on a patient's first message
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RedFlagClassifier":
        detect("warm up")
        asking = None
        try:
            with model_storage.read_from(resource) as directory:
                asking = learned.AskingModel.load(directory)
                asking.ask("warm up")
        except (ValueError, FileNotFoundError):
            logger.warning("No learned asking layer in this model; the rules run alone.")
        return cls(config, model_storage, resource, asking)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the corpus or the rules change (Rasa cannot see either)."""
        digest = hashlib.sha256()
        corpus = config.get("corpus", learned.DEFAULT_CORPUS)
        for path in learned._corpus_files(corpus):
            digest.update(path.name.encode() + path.read_bytes())
        here = Path(__file__).parent
        for name in _FINGERPRINTED_CODE:
            digest.update((here / name).read_bytes())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the asking layer; print its threshold and validation numbers."""
        config = self.component_config
        examples = learned.load_labelled_files(config["corpus"])
        examples += learned.nlu_negatives(
            (m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples)
        examples += learned.ordinary_complaints()

        self.asking = learned.train(
            examples, rules_gate=lambda text: learned.gate(detect(text)),
            max_false_ask=config["max_false_ask"],
            validation_fraction=config["validation_fraction"], seed=config["random_seed"])
        print(f"RedFlagClassifier asking layer, thresholds {self.asking.threshold:.4f} (open) "
              f"and {self.asking.closed_threshold:.4f} (second look)\n"
              + learned.format_report(self.asking.report))
        with self._model_storage.write_to(self._resource) as directory:
            self.asking.save(directory)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._apply(message, detect(message.get(TEXT)))
        return messages

    def _apply(self, message: Message, result: DetectionResult) -> None:
        text = message.get(TEXT)
        entities = list(message.get(ENTITIES, []))
        if result.present:
            entities += [_entity(d, RED_FLAG_ENTITY) for d in result.present]
            self._force(message, RED_FLAG_INTENT)
        elif result.unsure_flags:
            asked = next(d for d in result.unsure if d.flag in result.unsure_flags)
            entities.append(_entity(asked, QUESTION_ENTITY))
            self._force(message, UNSURE_INTENT)
        elif not _has_letters(text):
            self._force(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)
        elif self.asking is not None and (
            question := self.asking.ask(text, closed=learned.gate(result))
        ):
            family, score = question
            entities.append(_learned_question(text, family, score,
                                              strong=score >= self.asking.closed_threshold))
            self._force(message, UNSURE_INTENT)
        else:
            self._demote_red_flag_guess(message)
        message.set(ENTITIES, entities, add_to_output=True)

    @staticmethod
    def _force(message: Message, intent_name: Text) -> None:
        ranking = [
            entry for entry in message.get(INTENT_RANKING_KEY, [])
            if entry.get("name") != intent_name
        ]
        message.set(INTENT, _forced(intent_name), add_to_output=True)
        message.set(INTENT_RANKING_KEY, [_forced(intent_name)] + ranking, add_to_output=True)

    @staticmethod
    def _demote_red_flag_guess(message: Message) -> None:
        intent = message.get(INTENT) or {}
        if intent.get("name") not in (RED_FLAG_INTENT, UNSURE_INTENT):
            return
        ranking = [
            entry for entry in message.get(INTENT_RANKING_KEY, [])
            if entry.get("name") not in (RED_FLAG_INTENT, UNSURE_INTENT)
        ]
        fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
        message.set(INTENT, ranking[0] if ranking else fallback, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
