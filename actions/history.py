"""What the conversation's events say about the latest turns."""

from typing import Optional, Set, Text

from rasa_sdk import Tracker


def slots_set_since_user_message(tracker: Tracker) -> Set[Text]:
    names = set()
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot":
            names.add(event["name"])
    return names


def said_in_reply_to_previous_message(tracker: Tracker, response: Text) -> bool:
    """Whether the assistant answered the patient's previous message with `response`."""
    user_messages_passed = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            user_messages_passed += 1
            if user_messages_passed == 2:
                return False
        elif kind == "bot" and user_messages_passed == 1 and \
                (event.get("metadata") or {}).get("utter_action") == response:
            return True
    return False


def question_before_user_message(tracker: Tracker) -> Optional[Text]:
    """The response of the assistant's last message before the patient's latest one, when
    it asked something with buttons (the summary check, the booking offer)."""
    seen_user_message = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user_message:
                return None
            seen_user_message = True
        elif kind == "bot" and seen_user_message:
            response = (event.get("metadata") or {}).get("utter_action")
            return response if (event.get("data") or {}).get("buttons") and response else None
    return None
