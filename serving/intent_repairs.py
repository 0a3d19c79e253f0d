"""Rasa NLU graph component: two repairs of the classifier's guess, where the guess is
known to mislead the dialogue.

- Ambiguity between intents the dialogue handles alike is not ambiguity. "I'm asking for my
  son, he's 25, he's got a stiff neck" scores report_back_pain and for_someone_else within
  the FallbackClassifier's ambiguity margin, and the patient heard "Sorry, I didn't quite
  get that" for a plain opening. Both start the questions, and the parsers read who the
  patient is, so the top intent stands.
- A short reply that opens with a bare yes or no word is that answer, not thanks: "no
  thank god" to "any chest pain?" was taken for thanks, and the question was lost. A longer
  message ("ja thanks, and my back is still sore") keeps the classifier's reading.
"""

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

# Intents that all lead into the triage questions, whose slots are read from the text.
HANDLED_ALIKE = {"report_back_pain", "for_someone_else", "inform"}
SOCIAL = {"thank"}
SHORT_REPLY_WORDS = 4
_LEADING_YES = re.compile(r"^\W*(?:yes|yess|yeah|yep|yup|ja|jip)\b", re.IGNORECASE)
_LEADING_NO = re.compile(
    r"^\W*(?:no(?! (?:worries|problem|prob|stress)\b)|nope|nah|nee)\b", re.IGNORECASE)


def _ranked(message: Message) -> List[Dict[Text, Any]]:
    return [entry for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME]


def repaired_intent(message: Message, threshold: float) -> Optional[Text]:
    """The intent this message should have, or None to keep the classifier's."""
    intent = (message.get(INTENT) or {}).get("name")
    text = message.get(TEXT) or ""
    ranked = _ranked(message)
    if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and len(ranked) >= 2:
        top, second = ranked[0], ranked[1]
        if top["confidence"] >= threshold and \
                {top["name"], second["name"]} <= HANDLED_ALIKE:
            return top["name"]
    if intent in SOCIAL and len(text.split()) <= SHORT_REPLY_WORDS:
        if _LEADING_YES.search(text):
            return "affirm"
        if _LEADING_NO.search(text):
            return "deny"
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentRepairs(GraphComponent):
    """After the FallbackClassifier (config.yml); `threshold` is that classifier's."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.4}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.threshold = config["threshold"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IntentRepairs":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            name = repaired_intent(message, self.threshold)
            if name is None:
                continue
            # The classifier's certainty about the message, now read as `name`.
            repaired = {"name": name, "confidence": _ranked(message)[0]["confidence"]}
            ranking = [entry for entry in _ranked(message) if entry["name"] != name]
            message.set(INTENT, repaired, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [repaired] + ranking, add_to_output=True)
        return messages
