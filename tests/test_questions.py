"""Patients' questions against the real model and action server: the right answer, an honest
"reception can tell you", or "not sure" with the closest topics, never another topic's answer."""

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from actions.questions import NOT_COVERED, TOPIC_QUESTIONS, choose

pytestmark = pytest.mark.conversation
DOMAIN = yaml.safe_load(Path(__file__).resolve().parent.parent.joinpath("domain.yml").read_text())


def domain_text(response):
    return DOMAIN["responses"][response][0]["text"].replace(
        "{practice_phone}", "the number on our website")


def answered_with(assistant, sender, text):
    """The responses the assistant answered `text` with, as the tracker records them."""
    assistant.say(sender, text)
    events = assistant.tracker(sender)["events"]
    last_user = max(i for i, event in enumerate(events) if event["event"] == "user")
    return [(event.get("metadata") or {}).get("utter_action") for event in events[last_user:]
            if event["event"] == "bot"]


@pytest.mark.parametrize("topic", sorted(TOPIC_QUESTIONS))
def test_each_topic_button_is_answered_with_its_own_topic(assistant, topic):
    replies = answered_with(assistant, assistant.new_sender(), TOPIC_QUESTIONS[topic])
    assert replies[0] in (f"utter_faq/{topic}", "utter_ask_reception")


@pytest.mark.parametrize("question, topic", [
    ("is the needle used once and thrown away?", "dn_needles"),
    ("what should I do after a session, can I go to gym?", "dn_aftercare"),
    ("who actually does the needling, is it a proper physio?", "dn_who_performs"),
])
def test_the_questions_that_got_another_topics_answer_get_their_own(assistant, question,
                                                                    topic):
    messages = assistant.say(assistant.new_sender(), question)
    offered = [button["payload"] for message in messages for button in message.get("buttons", [])]
    answer = domain_text(f"utter_faq/{topic}")
    # Its own answer, or "not sure" with its topic one tap away: never another topic's answer.
    assert messages[0]["text"] == answer or (
        "not sure" in messages[0]["text"] and TOPIC_QUESTIONS[topic] in offered)


def test_a_practice_fact_not_filled_in_is_left_to_reception(assistant):
    sender = assistant.new_sender()
    reply = assistant.texts(sender, "do you take discovery medical aid?")
    assert "Reception can tell you about medical aid" in reply
    assert "address" not in reply


def test_a_question_on_a_topic_not_covered_goes_to_reception_and_is_recorded(assistant):
    sender = assistant.new_sender()
    question = "do you do home visits for elderly patients?"
    reply = assistant.texts(sender, question)
    assert "That's one for reception" in reply
    with sa.create_engine(assistant.practice_db_url).connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT question, outcome FROM unanswered_questions")).fetchall()
    assert (question, NOT_COVERED) in [tuple(row) for row in rows]


def test_a_question_mid_triage_is_answered_and_the_question_asked_again(assistant):
    sender = assistant.new_sender()
    assistant.texts(sender, "my lower back is sore")
    messages = assistant.say(sender, "before I answer, are your needles sterile?")
    reply = "\n".join(message.get("text", "") for message in messages)
    offered = [button["payload"] for message in messages for button in message.get("buttons", [])]
    # Answered, or the honest "not sure" with that topic one tap away; never another answer.
    assert "used once" in reply or TOPIC_QUESTIONS["dn_needles"] in offered
    assert "spread" in messages[-1]["text"]
    assert assistant.slots(sender)["pain_radiates"] is None
    assert "used once" in assistant.texts(sender, TOPIC_QUESTIONS["dn_needles"])


def ranked(*pairs):
    return {"response_selector": {"default": {"ranking": [
        {"intent_response_key": f"faq/{topic}", "confidence": confidence}
        for topic, confidence in pairs]}}}


def test_a_clear_winner_is_answered_and_a_close_call_offers_the_closest_topics():
    assert choose(ranked(("dn_hurt", 0.9), ("dn_feel", 0.05))).topic == "dn_hurt"
    close = choose(ranked(("dn_hurt", 0.5), ("dn_feel", 0.4), (NOT_COVERED, 0.06),
                          ("dn_what", 0.04)))
    assert close.topic is None and close.closest == ["dn_hurt", "dn_feel"]
    assert choose({}).topic is None
    tapped = choose({"text": TOPIC_QUESTIONS["dn_evidence"], **ranked(("dn_what", 0.5))})
    assert tapped.topic == "dn_evidence"
