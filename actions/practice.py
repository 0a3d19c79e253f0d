"""The practice's details (practice.yml) and the session start that puts them into slots."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

PRACTICE_FILE = Path(os.environ.get("PRACTICE_FILE", Path(__file__).parent.parent / "practice.yml"))


@lru_cache(maxsize=1)
def practice_details() -> Dict[Text, Any]:
    with open(PRACTICE_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def practice_slots() -> Dict[Text, Text]:
    details = practice_details()
    emergency = details.get("emergency", {})
    return {
        "practice_name": details["name"],
        "practice_address": details["address"],
        "practice_hours": details["hours"],
        "practice_phone": details["phone"],
        "practice_booking_url": details["booking_url"],
        "emergency_ambulance": str(emergency.get("ambulance", "10177")),
        "emergency_cell": str(emergency.get("cell_phone", "112")),
    }


class ActionSessionStart(Action):
    """Starts a session with the practice's details, keeping what the patient told us."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        # Carry every slot over: red flags and the triage level must survive a new session.
        carried = [
            SlotSet(name, value) for name, value in tracker.current_slot_values().items()
            if value is not None and name != "requested_slot"
        ]
        details = [SlotSet(name, value) for name, value in practice_slots().items()]
        return [SessionStarted(), *carried, *details, ActionExecuted("action_listen")]
