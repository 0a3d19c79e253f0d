"""`make eval-questions`: patients' questions, answered right, honestly not, or wrongly.

Each item (tests/faq/faq_questions_dev.yml, and the frozen tests/holdout/faq_questions_frozen.yml,
both written from clinic FAQ pages and patient forums by someone who had not read the NLU data)
is one question and its topic. The trained model parses it and the reply is decided as the
assistant decides it (actions/questions.py). Printed: per topic, answered right, answered with
another topic's answer (wrong), or not answered ("not sure" buttons, reception, or no answer).
`not_covered` questions are right when sent to reception or met with "not sure", never with
an answer. Never tune on the frozen set.
"""

import argparse
import asyncio
import logging
from collections import Counter, defaultdict
from typing import Any, Dict, List, Optional, Tuple

import structlog
import yaml

from actions.questions import NOT_COVERED, choose, topic_of, ranking

# The reply an intent other than the FAQ gives a question, by the topic it answers.
INTENT_ANSWERS = {"request_booking": "booking", "manage_booking": "cancellation",
                  "ask_needling_for_me": "dn_how_it_fits"}
# Topic names in the assistant's responses (utter_faq/<name>) that the sets spell shorter.
TOPIC_NAMES = {"practice_location": "location", "practice_hours": "hours",
               "practice_contact": "contact", "practice_cost": "cost",
               "practice_medical_aid": "medical_aid", "practice_what_to_wear": "what_to_wear",
               "practice_cancellation": "cancellation", "practice_parking": "parking"}


def is_validation(item: Dict[str, Any]) -> bool:
    """The development set's third kept out of data/nlu/faq.yml, to choose thresholds on."""
    return int(item["id"][1:]) % 3 == 0


def reply(parse_data: Dict[str, Any], gated: bool, confidence: float,
          margin: float) -> Tuple[str, Optional[str]]:
    """("answer", topic), ("not_sure", the closest topics joined) or ("none", intent)."""
    intent = parse_data["intent"]["name"]
    if intent in INTENT_ANSWERS:
        return "answer", INTENT_ANSWERS[intent]
    if intent != "faq":
        return "none", intent
    closest: List[str] = []
    if gated:
        topic, closest = choose(parse_data, confidence, margin)
    else:  # the top topic, as Rasa's own utter_faq answers
        topic = topic_of(ranking(parse_data)[0]) if ranking(parse_data) else None
    if topic is None:
        return "not_sure", ",".join(TOPIC_NAMES.get(t, t) for t in closest)
    return "answer", TOPIC_NAMES.get(topic, topic)


def score(items, parses, gated, confidence, margin) -> Dict[str, Counter]:
    counts: Dict[str, Counter] = defaultdict(Counter)
    for item, parse_data in zip(items, parses):
        kind, topic = reply(parse_data, gated, confidence, margin)
        wanted = item["topic"]
        if kind == "answer" and topic == NOT_COVERED:
            outcome = "right" if wanted == NOT_COVERED else "unanswered"
        elif kind == "answer":
            outcome = "right" if topic == wanted else "wrong"
        elif kind == "not_sure" and wanted == NOT_COVERED:
            outcome = "right"
        else:
            outcome = "unanswered"
        counts[wanted][outcome] += 1
        if kind == "not_sure" and wanted in (topic or "").split(","):
            counts[wanted]["offered"] += 1  # one tap away: among the buttons
        counts[wanted][f"{kind}:{topic if kind != 'not_sure' else ''}"] += 1
    return counts


def summary(counts: Dict[str, Counter]) -> str:
    total = sum(counts.values(), Counter())
    n = sum(total[k] for k in ("right", "wrong", "unanswered"))
    return (f"{n} questions: right {total['right']} = {total['right'] / n:.1%}, wrong answer "
            f"{total['wrong']} = {total['wrong'] / n:.1%}, not answered {total['unanswered']}"
            f" = {total['unanswered'] / n:.1%} (of which the topic was among the buttons "
            f"{total['offered']})")


async def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import load_agent
    agent = await load_agent(model_path=model)
    return [await agent.parse_message(text) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--model", default="models/triage.tar.gz")
    parser.add_argument("--ungated", action="store_true",
                        help="answer the top topic whatever its confidence (Rasa's utter_faq)")
    parser.add_argument("--sweep", action="store_true",
                        help="right and wrong rates over confidence and margin thresholds")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument("--validation", action="store_true",
                        help="only the items kept out of training (number divisible by 3)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for path in args.sets:
        with open(path, encoding="utf-8") as handle:
            items = yaml.safe_load(handle)["items"]
        if args.validation and "holdout" not in path:
            items = [item for item in items if is_validation(item)]
        parses = asyncio.run(parse_all(args.model, [item["text"] for item in items]))
        if args.sweep:
            for confidence in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
                for margin in (0.0, 0.1, 0.2, 0.3, 0.5):
                    print(f"confidence {confidence:.1f} margin {margin:.1f}: "
                          f"{summary(score(items, parses, True, confidence, margin))}")
            continue
        from actions.questions import ANSWER_CONFIDENCE, ANSWER_MARGIN
        counts = score(items, parses, not args.ungated, ANSWER_CONFIDENCE, ANSWER_MARGIN)
        print(f"\n{path} ({'ungated' if args.ungated else 'gated'}): {summary(counts)}")
        for topic in sorted(counts):
            c = counts[topic]
            n = c["right"] + c["wrong"] + c["unanswered"]
            given = ", ".join(f"{k} {v}" for k, v in c.most_common()
                              if ":" in k and not k.endswith(f":{topic}"))
            print(f"  {topic:18} n={n:3}  right {c['right'] / n:6.1%}  wrong {c['wrong']:2}  "
                  f"not answered {c['unanswered']:2}   {given}")
        if args.misses:
            for item, parse_data in zip(items, parses):
                kind, topic = reply(parse_data, not args.ungated, ANSWER_CONFIDENCE,
                                    ANSWER_MARGIN)
                if kind != "answer" or topic != item["topic"]:
                    print(f"  {item['id']} {item['topic']} -> {kind}:{topic}: {item['text']!r}")


if __name__ == "__main__":
    main()
