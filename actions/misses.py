"""Not understood, and "so what now?".

Not understood: the question just asked outside a form (the summary check, the booking
offer) is asked again, as a form asks its own; twice running, the second reply offers
other ways on, rather than the same "sorry, I didn't get that" a patient has just read.
"So what now?" outside a form is answered from where the conversation stands."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.history import question_before_user_message, said_in_reply_to_previous_message
from redflags.levels import ESCALATED

# Not repeated: the not-understood replies themselves, a red-flag question, which a reply
# that is not a yes or no leaves unanswered for reception (actions/triage.py), and the
# greeting, whose buttons the not-understood reply already points to.
NOT_ASKED_AGAIN = {None, "utter_default", "utter_not_understood_again",
                   "utter_ask_red_flag_question", "utter_ask_red_flag_question_again",
                   "utter_greet"}


def unclear_reply(tracker: Tracker, response: Text, again: Text) -> Text:
    """`response` the first time a message is not understood, `again` the second time."""
    return again if said_in_reply_to_previous_message(tracker, response) else response


class ActionNotUnderstood(Action):
    def name(self) -> Text:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reply = unclear_reply(tracker, "utter_default", "utter_not_understood_again")
        dispatcher.utter_message(response=reply)
        if (tracker.latest_message.get("intent") or {}).get("name") != "nlu_fallback":
            # The dialogue's own fallback (config.yml): a reply no rule expects, such as "no"
            # to a greeting. As Rasa's default fallback does, the message is set aside, so
            # the conversation stands where it was and waits for the next one.
            return [UserUtteranceReverted()]
        question = question_before_user_message(tracker)
        if reply == "utter_default" and question not in NOT_ASKED_AGAIN \
                and not tracker.active_loop.get("name"):
            # As an action, not a message: the rules that follow the question then apply.
            return [FollowupAction(question)]
        return []


class ActionNextStep(Action):
    def name(self) -> Text:
        return "action_next_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot("triage_level") in ESCALATED:
            dispatcher.utter_message(response="utter_escalation_advice")
            return []
        if tracker.get_slot("booking_status") == "confirmed":
            dispatcher.utter_message(response="utter_next_step_booked")
            return []
        question = question_before_user_message(tracker)
        if question not in NOT_ASKED_AGAIN:
            return [FollowupAction(question)]
        if tracker.get_slot("triage_level") == "routine":
            return [FollowupAction("utter_offer_booking")]
        if tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_what_can_you_do")
            return []
        # The questions come next, so they start: a patient who asked "so what now?" three
        # times had heard what the assistant can do three times and nothing more.
        dispatcher.utter_message(response="utter_next_step_start_questions")
        return [FollowupAction("triage_form")]
