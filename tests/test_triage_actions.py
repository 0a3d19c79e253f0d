"""Slot extraction and red-flag recording, without a tracker or a server."""

import datetime
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from actions.red_flags import (CHECKLIST_FLAGS, emergency_check_answer_updates,
                               emergency_check_updates, evidence_entry, record_flags)
from actions.summary import triage_summary
from actions.triage import extract_updates

TODAY = datetime.date(2026, 11, 25)
ROOT = Path(__file__).resolve().parent.parent


def extract(text, intent="inform", slots=None, requested=None, entities=None):
    slots = dict(slots or {})
    if requested:
        slots["requested_slot"] = requested
    return extract_updates(text, intent, entities or [], slots,
                           "triage_form" if requested else None, TODAY)


def test_a_first_message_can_answer_several_questions_at_once():
    updates = extract("my lower back has been sore for 2 weeks since I started crossfit",
                      intent="report_back_pain")
    assert updates["pain_location"] == "lower_back"
    assert updates["duration_weeks"] == pytest.approx(2.0)
    assert updates["training_change"] == "increased"
    assert "lower back" in updates["triage_summary"]


@pytest.mark.parametrize("requested, text, expected", [
    ("severity", "7", {"severity": 7}),
    ("severity", "about a 6 or 7", {"severity": 7}),
    ("desk_hours", "8", {"desk_hours": 8}),
    ("desk_hours", "I'm a nurse, on my feet all day", {"desk_hours": 0}),
    ("duration_weeks", "since the weekend", {"duration_weeks": 0.6}),
    ("duration_weeks", "a couple of months", {"duration_weeks": 8.7}),
    ("pain_radiates", "no", {"pain_radiates": "none"}),
    ("eases_worsens", "heat helps, bending hurts", {"eases_worsens": "heat helps, bending hurts"}),
])
def test_answers_to_the_question_asked(requested, text, expected):
    updates = extract(text, requested=requested)
    for slot, value in expected.items():
        assert updates[slot] == value


def test_a_bare_number_only_answers_the_question_that_was_asked():
    updates = extract("8", requested="desk_hours")
    assert updates["desk_hours"] == 8 and "severity" not in updates


def test_a_correction_overwrites_but_a_plain_answer_does_not():
    slots = {"pain_location": "lower_back", "pain_radiates": "none"}
    plain = extract("it hurts in my upper back when I sit", slots=slots, requested="onset")
    assert "pain_location" not in plain
    corrected = extract("actually it's more my upper back", intent="correct_info",
                        slots=slots, requested="onset")
    assert corrected["pain_location"] == "upper_back"
    assert corrected["corrected_slots"] == ["pain_location"]


def test_dont_know_skips_the_question_and_notes_it():
    updates = extract("no idea", intent="dont_know", requested="onset")
    assert updates["skipped_questions"] == ["onset"]


@pytest.mark.parametrize("text, intent, requested, slot, value", [
    ("yoh, ten hrs or so", "faq", "desk_hours", "desk_hours", 10),
    ("thanks, about 3 weeks now", "thank", "duration_weeks", "duration_weeks", 3),
    ("lower back, between the hips", "out_of_scope", "pain_location", "pain_location",
     "lower_back"),
])
def test_an_answer_the_classifier_took_for_a_digression_is_still_the_answer(
        text, intent, requested, slot, value):
    updates = extract(text, intent=intent, requested=requested)
    assert updates[slot] == (pytest.approx(value) if isinstance(value, int) else value)


@pytest.mark.parametrize("text, intent, requested", [
    ("what are your hours?", "faq", "desk_hours"),
    ("how long does a session take", "faq", "duration_weeks"),
    ("can I book for 3 weeks from now", "request_booking", "duration_weeks"),
])
def test_a_question_or_a_request_is_not_taken_for_the_answer(text, intent, requested):
    assert requested not in extract(text, intent=intent, requested=requested)


@pytest.mark.parametrize("text, requested, slot, value", [
    ("id say 2", "severity", "severity", 2),
    ("not sure, maybe 3 weeks", "duration_weeks", "duration_weeks", 3),
    ("dunno, about 6 hours i guess", "desk_hours", "desk_hours", 6),
])
def test_an_answer_in_the_text_wins_over_a_dont_know_intent(text, requested, slot, value):
    updates = extract(text, intent="dont_know", requested=requested)
    assert updates[slot] == pytest.approx(value) and "skipped_questions" not in updates


def test_questions_are_not_taken_as_answers():
    assert extract("does dry needling hurt my lower back?", intent="faq",
                   requested="severity") == {}


@pytest.mark.parametrize("slot", list(CHECKLIST_FLAGS))
def test_a_checklist_yes_records_its_flag(slot):
    updates = extract("yes", intent="affirm", requested=slot)
    flag, level = CHECKLIST_FLAGS[slot]
    assert updates[slot] is True
    assert updates["red_flags"] == [flag] and updates["triage_level"] == level
    assert updates["red_flag_evidence"][0]["rule"] == f"checklist:{slot}"


def test_a_checklist_no_records_nothing():
    updates = extract("no", intent="deny", requested="check_fever_unwell")
    assert updates == {"check_fever_unwell": False}


def test_flags_accumulate_and_the_level_never_goes_down():
    slots = {}
    slots.update(record_flags(slots, [evidence_entry("cauda_equina", "emergency", "wet myself",
                                                     "ces_bladder#0", "I wet myself")]))
    slots.update(record_flags(slots, [evidence_entry("infection", "urgent", "fever",
                                                     "infection_fever#0", "fever")]))
    assert slots["red_flags"] == ["cauda_equina", "infection"]
    assert slots["triage_level"] == "emergency"
    assert len(slots["red_flag_evidence"]) == 2


def test_a_denied_clarification_is_recorded_without_raising_the_level():
    updates = record_flags({}, [evidence_entry("cancer", "urgent", "no", "clarifying_question",
                                               "no", status="denied_by_patient")])
    assert "triage_level" not in updates and "red_flags" not in updates
    assert updates["red_flag_evidence"][0]["status"] == "denied_by_patient"


def test_summary_reads_like_plain_words():
    text = triage_summary({
        "pain_location": "lower_back", "pain_radiates": "leg", "pain_side": "left",
        "onset": "sudden", "onset_activity": "lifting a box", "duration_weeks": 0.4,
        "severity": 7.0, "desk_hours": 8.0, "training_change": "increased",
        "training_activity": "running", "skipped_questions": ["eases_worsens"],
    })
    assert "lower back, spreads into the left leg" in text
    assert "sudden (lifting a box)" in text and "about 3 days" in text
    assert "7/10" in text and "about 8 hours" in text
    assert "Not answered: what eases or worsens it" in text


def test_every_response_the_actions_use_is_in_the_domain():
    domain = Domain.load(str(ROOT / "domain.yml"))
    used = {"utter_noted_correction", "utter_noted_skip", "utter_default",
            "utter_leave_for_physio", "utter_noted_other_answer", "utter_noted_declined_safety",
            "utter_triage_summary_for_booking", "utter_clarifying_question_left",
            "utter_red_flag_cleared", "utter_booking_questions_first"}
    assert used <= set(domain.responses)
    for slot in ("red_flags", "red_flag_evidence", "triage_level", "latest_red_flag",
                 "triage_summary", "corrected_slots", "skipped_questions",
                 "declined_safety_questions", "booking_requested", "patient_relation",
                 "patient_pronoun", "patient_age"):
        assert slot in {s.name for s in domain.slots}


def test_after_the_summary_a_plain_answer_replaces_the_old_one():
    slots = {"duration_weeks": 2.0}
    assert "duration_weeks" not in extract("3 weeks", slots=slots)
    updates = extract_updates("it's been 3 weeks", "inform", [], slots, None, TODAY,
                              correcting=True)
    assert updates["duration_weeks"] == 3.0 and updates["corrected_slots"] == ["duration_weeks"]


@pytest.mark.parametrize("text, expected", [
    ("082 123 4567", "+27821234567"),
    ("+27 82 123 4567", "+27821234567"),
    ("my number is 0215550123", "+27215550123"),
    ("12345", None),
    ("call me", None),
])
def test_phone_numbers_are_parsed_with_south_africa_as_default(text, expected):
    from actions.callbacks import normalise_phone
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("my name is thandi mokoena", "Thandi Mokoena"),
    ("I'm Pieter", "Pieter"),
    ("Nomsa", "Nomsa"),
    ("082 123 4567", None),
    ("what are your hours? I want to know before I give my name", None),
])
def test_names_are_cleaned_up(text, expected):
    from actions.callbacks import clean_name
    assert clean_name(text) == expected


def test_practice_details_come_from_the_configured_file(tmp_path, monkeypatch):
    from actions import practice
    custom = tmp_path / "practice.yml"
    custom.write_text("name: Test Physio\naddress: 1 Main Rd\nhours: 9 to 5\n"
                      "phone: 021 555 0000\nbooking_url: example\n"
                      "emergency: {ambulance: '999', cell_phone: '911'}\n")
    monkeypatch.setattr(practice, "PRACTICE_FILE", custom)
    practice.practice_details.cache_clear()
    try:
        slots = practice.practice_slots()
    finally:
        practice.practice_details.cache_clear()
    assert slots["emergency_ambulance"] == "999" and slots["emergency_cell"] == "911"
    assert slots["practice_name"] == "Test Physio"


@pytest.mark.parametrize("text", ["no thanks", "ok", "yes please", "skip", "lol", "hmm",
                                  "sorry wait"])
def test_answers_and_chat_fillers_are_not_taken_for_names(text):
    from actions.callbacks import clean_name
    assert clean_name(text) is None


def test_emergency_numbers_have_defaults_even_without_the_action_server():
    domain = Domain.load(str(ROOT / "domain.yml"))
    initial = {s.name: s.initial_value for s in domain.slots}
    assert initial["emergency_ambulance"] == "10177" and initial["emergency_cell"] == "112"


def test_yes_please_and_no_idea_are_not_what_eases_the_pain():
    for text, intent in (("yes please", "affirm"), ("ok", "inform"), ("no idea", "inform")):
        assert "eases_worsens" not in extract(text, intent=intent, requested="eases_worsens")
    assert extract("worse when I sit", requested="eases_worsens")["eases_worsens"] == \
        "worse when i sit"


def test_an_answer_to_another_question_is_kept():
    updates = extract("it's mostly when I look down at my laptop", requested="pain_radiates")
    assert "pain_radiates" not in updates
    assert updates["eases_worsens"] == "it's mostly when i look down at my laptop"


def test_a_booking_request_is_remembered():
    assert extract("can I just book please", intent="request_booking",
                   requested="onset")["booking_requested"] is True


def test_a_relative_writing_makes_them_the_patient():
    updates = extract("Hi, I'm writing for my dad, he's 70", intent="for_someone_else")
    assert updates["patient_relation"] == "dad" and updates["patient_pronoun"] == "he"
    assert updates["patient_age"] == 70
    assert "Patient: the writer's dad, aged 70" in updates["triage_summary"]


def test_a_relative_in_pain_is_the_patient_only_before_the_writer_has_answered():
    opening = extract("my gran (89) is in pain, her back has been bad")
    assert opening["patient_relation"] == "gran" and opening["patient_age"] == 89
    later = extract("my husband's back is sore too", slots={"pain_location": "neck"})
    assert "patient_relation" not in later


def test_rather_not_say_declines_a_safety_question_only_by_the_button():
    assert extract("/refuse_answer", intent="refuse_answer", requested="check_bladder_bowel")[
        "declined_safety_questions"] == ["check_bladder_bowel"]
    assert "declined_safety_questions" not in extract(
        "skip", intent="refuse_answer", requested="check_bladder_bowel")


def test_a_question_left_for_the_physio_and_answered_later_is_no_longer_skipped():
    slots = {"skipped_questions": ["pain_location", "onset"]}
    updates = extract("it's my lower back", slots=slots, requested="severity")
    assert updates["pain_location"] == "lower_back"
    assert updates["skipped_questions"] == ["onset"]


def test_a_clarifying_question_is_not_left_open_for_a_later_no():
    slots = {"awaiting_red_flag_answer": True, "pending_red_flag": "cauda_equina"}
    assert "awaiting_red_flag_answer" not in extract(
        "no it goes away when I stand up", slots=slots)
    updates = extract("where are you based?", intent="faq", slots=slots)
    assert updates["awaiting_red_flag_answer"] is False
    assert updates["red_flag_evidence"][-1]["status"] == "unanswered"
    assert updates.get("triage_level") is None


def test_the_summary_lists_what_was_not_asked_and_declined():
    summary = triage_summary({"pain_location": "neck",
                              "declined_safety_questions": ["check_bladder_bowel"]},
                             finished=True)
    assert "Not asked: whether it spreads, how it started" in summary
    assert "Safety questions not answered: bladder or bowels" in summary


def test_what_they_were_doing_after_saying_how_it_started_is_kept():
    updates = extract("picking up my toddler", slots={"onset": "sudden"},
                      requested="duration_weeks")
    assert updates["onset_activity"] == "picking up my toddler"
    assert "duration_weeks" not in updates


def test_a_correction_said_in_passing_replaces_the_old_answer():
    updates = extract("oh sorry, it's 4 weeks not 2", slots={"duration_weeks": 2.0},
                      requested="eases_worsens")
    assert updates["duration_weeks"] == 4 and updates["corrected_slots"] == ["duration_weeks"]
    assert "eases_worsens" not in updates


@pytest.mark.parametrize("text, slots, requested, expected", [
    ("actually more like a 2, not 4", {"severity": 4}, "eases_worsens", {"severity": 2}),
    ("actually more like a 6, not 8", {"severity": 8, "desk_hours": None}, "desk_hours",
     {"severity": 6}),
    ("sorry, 6 hours not 8", {"desk_hours": 8.0, "severity": 3}, "training_change",
     {"desk_hours": 6.0}),
])
def test_a_bare_number_correcting_an_earlier_answer_changes_that_answer(
        text, slots, requested, expected):
    updates = extract(text, slots=slots, requested=requested)
    assert {k: updates.get(k) for k in expected} == expected
    assert requested not in updates and updates["corrected_slots"] == list(expected)


def test_a_number_after_not_that_matches_no_earlier_answer_corrects_nothing():
    updates = extract("actually more like a 2, not 4", slots={"severity": 5},
                      requested="eases_worsens")
    assert "severity" not in updates


@pytest.mark.parametrize("text, intent, expected", [
    ("hang on", "affirm", None),                 # a guess: the question is asked again
    ("huh", "affirm", None),
    ("sorry my phone", "deny", None),
    ("/affirm", "affirm", True),                 # a button
    ("ag ja please", "thank", True),             # read as a yes, whatever the classifier
    ("yes I have had that, since Monday", "affirm", True),
    ("I have had a bit of that since Monday", "affirm", True),  # long enough to trust
])
def test_a_safety_question_takes_a_said_yes_or_no_not_a_guessed_one(text, intent, expected):
    updates = extract(text, intent=intent, requested="check_saddle_numbness")
    assert updates.get("check_saddle_numbness") is expected


def urgent_fever_awaiting_its_check():
    slots = record_flags({}, [evidence_entry("infection", "urgent", "fever", "infection_fever#4",
                                             "fever since Sunday")])
    slots.update(emergency_check_updates(slots))
    return slots


def test_an_urgent_flag_with_an_emergency_combination_gets_its_check_once():
    slots = urgent_fever_awaiting_its_check()
    assert slots["emergency_check"] == "infection" and slots["awaiting_emergency_check"]
    slots.update(emergency_check_answer_updates(slots, False, "no"))
    assert slots["triage_level"] == "urgent" and not slots["awaiting_emergency_check"]
    assert emergency_check_updates(slots) == {}  # asked once
    # Fragile bones alone found the trauma family: there is no fall to ask about.
    bones = record_flags({}, [evidence_entry("trauma_fracture", "urgent", "prednisone",
                                             "trauma_bone_risk#3", "on prednisone")])
    assert emergency_check_updates(bones) == {}


@pytest.mark.parametrize("text, intent, status, level", [
    ("yes I'm on chemo", "red_flag", "present", "emergency"),
    ("had a back op in March", "inform", "present", "emergency"),
    ("can someone call me", "request_human", "unanswered", "urgent"),
])
def test_a_typed_reply_to_the_check_is_read_for_its_answer(text, intent, status, level):
    slots = urgent_fever_awaiting_its_check()
    updates = extract_updates(text, intent, [], slots, None)
    assert updates["awaiting_emergency_check"] is False
    [entry] = [e for e in updates["red_flag_evidence"] if e["rule"] == "emergency_check:infection"]
    assert entry["status"] == status and {**slots, **updates}["triage_level"] == level


def test_a_reply_that_does_not_answer_the_check_gets_it_once_more_then_leaves_it():
    slots = urgent_fever_awaiting_its_check()
    first = extract_updates("can I book for Thursday?", "request_booking", [], slots, None)
    assert first["emergency_check_asked_again"] is True
    assert "awaiting_emergency_check" not in first and "red_flag_evidence" not in first
    slots.update(first)
    second = extract_updates("my back is still sore", "inform", [], slots, None)
    assert second["awaiting_emergency_check"] is False
    [entry] = [e for e in second["red_flag_evidence"] if e["rule"] == "emergency_check:infection"]
    assert entry["status"] == "unanswered"


def test_a_yes_button_to_the_check_is_left_to_the_rules():
    updates = extract_updates("/affirm", "affirm", [], urgent_fever_awaiting_its_check(), None)
    assert "awaiting_emergency_check" not in updates


def test_inside_the_questions_a_clarifying_question_is_asked_once_more_then_left():
    slots = {"awaiting_red_flag_answer": True, "pending_red_flag": "cauda_equina",
             "requested_slot": "onset"}
    first = extract_updates("about three weeks now", "inform", [], slots, "triage_form", TODAY)
    assert "awaiting_red_flag_answer" not in first and first["duration_weeks"] == \
        pytest.approx(3.0)
    second = extract_updates("it's sore", "inform", [], {
        **slots, "requested_slot": "red_flag_question_again"}, "triage_form", TODAY,
        clarifying_asked_again=True)
    assert second["awaiting_red_flag_answer"] is False
    assert second["red_flag_evidence"][-1]["status"] == "unanswered"
    leaving = extract_updates("can someone call me?", "request_human", [], slots,
                              "triage_form", TODAY)
    assert leaving["awaiting_red_flag_answer"] is False


@pytest.mark.parametrize("text, intent, answer", [
    ("no thank god", "thank", False),
    ("none of that", "out_of_scope", False),
    ("yes unfortunately", "out_of_scope", True),
])
def test_a_typed_yes_or_no_answers_a_safety_question_whatever_the_classifier_thinks(
        text, intent, answer):
    updates = extract_updates(text, intent, [], {"requested_slot": "check_bladder_bowel"},
                              "triage_form", TODAY, confidence=0.95)
    assert updates["check_bladder_bowel"] is answer
    assert (updates.get("triage_level") == "emergency") is answer


@pytest.mark.parametrize("text, intent", [("no idea", "dont_know"), ("no idea", "inform"),
                                          ("i don't know", "deny_unsure")])
def test_no_idea_at_a_safety_question_is_not_a_no(text, intent):
    updates = extract_updates(text, intent, [], {"requested_slot": "check_leg_weakness"},
                              "triage_form", TODAY, confidence=0.95)
    assert "check_leg_weakness" not in updates


def test_a_question_at_a_safety_question_is_not_taken_for_its_answer():
    assert extract_updates("no idea, what do you mean by leaking?", "faq", [],
                           {"requested_slot": "check_bladder_bowel"}, "triage_form", TODAY,
                           confidence=0.95) == {}


def test_no_two_conditional_variants_of_a_response_can_match_at_once():
    """Rasa picks at random among the variants whose conditions all hold, so two variants
    that can hold together (no slot asked for different values) would make a reply chance."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    ambiguous = []
    for name, variants in domain.responses.items():
        conditional = [v for v in variants if v.get("condition")]
        for i, first in enumerate(conditional):
            for second in conditional[i + 1:]:
                a = {c["name"]: c["value"] for c in first["condition"]}
                b = {c["name"]: c["value"] for c in second["condition"]}
                if first.get("channel") == second.get("channel") and not any(
                        slot in b and b[slot] != value for slot, value in a.items()):
                    ambiguous.append((name, a, b))
    assert ambiguous == []
