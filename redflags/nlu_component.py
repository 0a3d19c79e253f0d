"""Rasa NLU graph component: the red-flag detector's verdict becomes part of every parse.

It runs last in the pipeline so nothing after it can undo it:
- a red flag forces the intent `red_flag` (confidence 1.0) and adds `red_flag` entities
  carrying the trigger words, the rule and the spec's source, for the audit trail;
- a message that needs one clarifying question forces `red_flag_unsure` with a
  `red_flag_question` entity naming the family;
- when the rules find nothing (or only negated, historical or someone else's signs) the
  neural classifier may not claim a red flag on its own: its red-flag guess is replaced
  by its next-best intent;
- a message with no letters at all (empty, emoji, binary) becomes `nlu_fallback`.
"""

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

from redflags.detector import Detection, DetectionResult, detect

RED_FLAG_INTENT = "red_flag"
UNSURE_INTENT = "red_flag_unsure"
RED_FLAG_ENTITY = "red_flag"
QUESTION_ENTITY = "red_flag_question"
EXTRACTOR = "RedFlagDetector"


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


def _forced(name: Text) -> Dict[Text, Any]:
    return {"name": name, "confidence": 1.0}


def _has_letters(text: Optional[Text]) -> bool:
    return bool(text) and any(ch.isalpha() for ch in text)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class RedFlagClassifier(GraphComponent, IntentClassifier):
    """Puts the deterministic red-flag verdict into the parse of every message."""

    @classmethod
    def required_components(cls) -> List:
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagClassifier":
        detect("warm up")  # build the spaCy pipeline now, not on a patient's first message
        return cls()

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
