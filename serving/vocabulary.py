"""A Rasa NLU graph component whose trained state is the set of words it saw, kept in the
model (serving/unknown_words.py, serving/word_slips.py)."""

import json
from typing import Any, Dict, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

VOCABULARY_FILE = "vocabulary.json"


class VocabularyComponent(GraphComponent):
    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Set[Text]] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.use(vocabulary or set())

    def use(self, vocabulary: Set[Text]) -> None:
        self.vocabulary = vocabulary

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VocabularyComponent":
        return cls(model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "VocabularyComponent":
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text("utf-8"))
        return cls(model_storage, resource, set(vocabulary))

    def keep(self, vocabulary: Set[Text]) -> Resource:
        """Uses `vocabulary` from now on and stores it in the model."""
        self.use(vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(vocabulary)), "utf-8")
        return self._resource
