"""The short "Here's what I've noted" summary, built from the triage slots."""

from typing import Any, Dict, List, Optional, Text

LOCATION_WORDS = {
    "lower_back": "lower back",
    "mid_back": "middle of the back",
    "upper_back": "upper back",
    "neck": "neck",
}
TRAINING_WORDS = {
    "increased": "doing more than usual",
    "decreased": "doing less than usual",
    "unchanged": "no change",
    "not_training": "not training",
}
QUESTION_WORDS = {
    "pain_location": "where it hurts",
    "pain_radiates": "whether it spreads",
    "onset": "how it started",
    "duration_weeks": "how long",
    "severity": "how bad",
    "eases_worsens": "what eases or worsens it",
    "desk_hours": "sitting hours",
    "training_change": "training",
}


def _duration(weeks: float) -> Text:
    days = round(weeks * 7)
    if days < 14:
        return f"about {days} day{'s' if days != 1 else ''}"
    if weeks < 9:
        return f"about {round(weeks)} weeks"
    if weeks < 104:
        return f"about {round(weeks / 4.345)} months"
    return f"about {round(weeks / 52)} years"


def _spread(slots: Dict[Text, Any]) -> Optional[Text]:
    radiates, side = slots.get("pain_radiates"), slots.get("pain_side")
    if radiates is None:
        return None
    if radiates == "none":
        return "stays in one area"
    if side == "both":
        return f"spreads into both {radiates}s"
    return f"spreads into the {side + ' ' if side else ''}{radiates}"


SAFETY_QUESTION_WORDS = {
    "check_bladder_bowel": "bladder or bowels",
    "check_saddle_numbness": "numbness around the bottom or genitals",
    "check_leg_weakness": "leg weakness",
    "check_fever_unwell": "fever or feeling unwell",
    "check_cancer_history": "cancer or weight loss",
    "check_recent_trauma": "a fall or accident",
    "check_chest_breathing": "chest pain or breathing",
}


def _patient(slots: Dict[Text, Any]) -> Optional[Text]:
    relation, age = slots.get("patient_relation"), slots.get("patient_age")
    if relation:
        who = f"the writer's {relation}"
        return f"Patient: {who}, aged {age:g}" if age is not None else f"Patient: {who}"
    return f"Age: {age:g}" if age is not None else None


def triage_summary(slots: Dict[Text, Any], finished: bool = False) -> Text:
    """Bullet lines in plain words; only what the patient actually told us.

    `finished`: the questions are over, so anything unanswered is listed as not asked.
    """
    lines: List[Text] = []
    patient = _patient(slots)
    if patient:
        lines.append(patient)
    location = LOCATION_WORDS.get(slots.get("pain_location") or "")
    spread = _spread(slots)
    if location or spread:
        lines.append("Where: " + ", ".join(p for p in (location, spread) if p))
    if slots.get("onset"):
        started = slots["onset"]
        if slots.get("onset_activity"):
            started += f" ({slots['onset_activity']})"
        lines.append(f"Started: {started}")
    if slots.get("duration_weeks") is not None:
        lines.append(f"How long: {_duration(float(slots['duration_weeks']))}")
    if slots.get("severity") is not None:
        lines.append(f"Worst pain: {int(slots['severity'])}/10")
    if slots.get("eases_worsens"):
        lines.append(f"Better or worse with: {slots['eases_worsens']}")
    if slots.get("desk_hours") is not None:
        lines.append(f"Sitting on a work day: about {slots['desk_hours']:g} hours")
    if slots.get("training_change"):
        training = TRAINING_WORDS[slots["training_change"]]
        if slots.get("training_activity"):
            training += f" ({slots['training_activity']})"
        lines.append(f"Training: {training}")
    skipped = [QUESTION_WORDS[s] for s in slots.get("skipped_questions") or []
               if s in QUESTION_WORDS]
    if skipped:
        lines.append("Not answered: " + ", ".join(skipped))
    if finished:
        not_asked = [words for name, words in QUESTION_WORDS.items()
                     if slots.get(name) is None and name not in (slots.get("skipped_questions") or [])]
        if not_asked:
            lines.append("Not asked: " + ", ".join(not_asked))
    declined = [SAFETY_QUESTION_WORDS[s] for s in slots.get("declined_safety_questions") or []
                if s in SAFETY_QUESTION_WORDS]
    if declined:
        lines.append("Safety questions not answered: " + ", ".join(declined))
    return "\n".join(f"• {line}" for line in lines) or "• (nothing yet)"
