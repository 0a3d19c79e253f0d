"""One measured hot spot in Rasa 3.6, removed without changing what is checked.

Profiling our triage bot under load (py-spy, README "Benchmark") put 41% of the Rasa
server's CPU in `RemoteAction._validate_action_result`, nearly all of it in
`jsonschema.validate` checking Rasa's own, constant response schema again on every
custom-action call (a turn here makes three or four). The schema is checked once here and
every action server response is still validated against it, with the same error.
"""

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    # As jsonschema.validate reports it: the most relevant error, with Rasa's hint added.
    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Called after serving.kind_failures.install(), which refuses any Rasa but 3.6."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]

