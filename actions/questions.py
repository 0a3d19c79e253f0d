"""Patients' questions: the right answer, or an honest "not sure" with the closest topics.

The response selector ranks every FAQ topic for a question. Its top topic is answered only
when it is clearly ahead; otherwise a wrong answer would be worse than none, so the patient
gets the two or three closest topics as buttons and the reception number. A question on a
topic the FAQ does not cover ("do you do home visits?") is sent to reception, and both it
and a question not understood are recorded (the question's text and the topics considered,
nothing else of the conversation) so the practice sees which answers to add.
"""

import datetime
import logging
from typing import Any, Dict, List, NamedTuple, Optional, Text

import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.callbacks import engine, unanswered_questions
from actions.practice import practice_details
from actions.red_flags import ask_emergency_check_again

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "faq"
# Where Rasa puts a selector's output when no retrieval intent is configured for it.
DEFAULT_SELECTOR = "default"
NOT_COVERED = "not_covered"
# Chosen on tests/faq/faq_questions_dev.yml (scripts/eval_questions.py --sweep): below these the
# top topic is wrong too often to be said with confidence.
ANSWER_CONFIDENCE = 0.8
ANSWER_MARGIN = 0.2
CLOSEST_SHOWN = 3
CLOSEST_MIN_CONFIDENCE = 0.05


# The buttons offered when not sure; a tap sends the question, answered with its topic
# whatever the classifier makes of it.
TOPIC_QUESTIONS = {
    "dn_what": "What is dry needling?",
    "dn_how_it_fits": "How does dry needling fit into my treatment?",
    "dn_hurt": "Does dry needling hurt?",
    "dn_feel": "What does dry needling feel like?",
    "dn_needles": "Are the needles sterile?",
    "dn_who_performs": "Who does the dry needling?",
    "dn_side_effects": "Are there side effects?",
    "dn_who_not": "Who shouldn't have dry needling?",
    "dn_sessions": "How many sessions will I need?",
    "dn_vs_acupuncture": "Is it the same as acupuncture?",
    "dn_evidence": "Does dry needling work?",
    "dn_aftercare": "What should I do after dry needling?",
    "practice_location": "Where are you?",
    "practice_hours": "What are your opening hours?",
    "practice_contact": "How can I contact the practice?",
    "practice_cost": "How much does a session cost?",
    "practice_medical_aid": "Do you take medical aid?",
    "practice_what_to_wear": "What should I wear?",
    "practice_cancellation": "What is your cancellation policy?",
    "practice_parking": "Is there parking?",
    "what_can_you_do": "What can you help me with?",
}
TOPIC_OF_QUESTION = {question.lower(): topic for topic, question in TOPIC_QUESTIONS.items()}


class Choice(NamedTuple):
    topic: Optional[Text]  # the topic answered, or None: not sure
    closest: List[Text]    # when not sure, the topics offered as buttons


def ranking(parse_data: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    selectors = parse_data.get("response_selector") or {}
    selector = selectors.get(RETRIEVAL_INTENT) or selectors.get(DEFAULT_SELECTOR) or {}
    return selector.get("ranking") or []


def topic_of(entry: Dict[Text, Any]) -> Text:
    return (entry.get("intent_response_key") or "").split("/", 1)[-1]


def choose(parse_data: Dict[Text, Any], confidence: float = ANSWER_CONFIDENCE,
           margin: float = ANSWER_MARGIN) -> Choice:
    tapped = TOPIC_OF_QUESTION.get((parse_data.get("text") or "").strip().lower())
    if tapped:
        return Choice(tapped, [])
    ranked = ranking(parse_data)
    if not ranked:
        return Choice(None, [])
    top = ranked[0]
    runner_up = ranked[1]["confidence"] if len(ranked) > 1 else 0.0
    if top["confidence"] >= confidence and top["confidence"] - runner_up >= margin:
        return Choice(topic_of(top), [])
    closest = [topic_of(entry) for entry in ranked
               if entry["confidence"] >= CLOSEST_MIN_CONFIDENCE
               and topic_of(entry) != NOT_COVERED][:CLOSEST_SHOWN]
    return Choice(None, closest)


# Answers that say one of the practice's own facts (practice.yml), and how a patient would
# name it; until the practice fills the fact in, reception is named instead.
PRACTICE_FACTS = {"practice_cost": ("fees", "our fees"),
                  "practice_medical_aid": ("medical_aid", "medical aid and claims"),
                  "practice_cancellation": ("cancellation", "cancelling or moving a booking"),
                  "practice_parking": ("parking", "parking and access")}
MAX_RECORDED_CHARS = 300


def record_unanswered(question: Text, outcome: Text, closest: List[Text]) -> None:
    """Kept for the practice; a storage failure must never cost the patient their reply."""
    try:
        with engine().begin() as connection:
            connection.execute(sa.insert(unanswered_questions).values(
                asked_at=datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
                question=question[:MAX_RECORDED_CHARS], outcome=outcome,
                closest_topics=",".join(closest)))
    except sa.exc.SQLAlchemyError as error:
        logger.error("could not record an unanswered question (%s)", type(error).__name__)


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        self._answer(dispatcher, tracker)
        ask_emergency_check_again(dispatcher, tracker)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        parse_data = tracker.latest_message or {}
        question = parse_data.get("text") or ""
        choice = choose(parse_data)
        if choice.topic is None:
            dispatcher.utter_message(response="utter_question_not_sure", buttons=[
                {"title": TOPIC_QUESTIONS[topic], "payload": TOPIC_QUESTIONS[topic]}
                for topic in choice.closest if topic in TOPIC_QUESTIONS])
            record_unanswered(question, "not_sure", choice.closest)
            return
        if choice.topic == NOT_COVERED:
            record_unanswered(question, NOT_COVERED, [])
        if choice.topic in PRACTICE_FACTS:
            key, named = PRACTICE_FACTS[choice.topic]
            fact = practice_details().get(key)
            if not fact:
                dispatcher.utter_message(response="utter_ask_reception", asked_about=named)
                return
            dispatcher.utter_message(response=f"utter_faq/{choice.topic}", **{key: fact})
            return
        dispatcher.utter_message(response=f"utter_faq/{choice.topic}")
