"""Whose symptoms they are, the spec's emergency combinations, and its listed false alarms.

Spec: shared/clinic/red_flags.md ("Who the symptoms belong to", the level column, and the
"must NOT fire on" column). Each message is one the rules were not written from word by word.
"""

import pytest

from redflags import detect


# ---------------------------------------------------------------- who the symptoms belong to

@pytest.mark.parametrize("text, flag, level", [
    ("I'm writing for my dad, he's 70. He's had back pain for a week. Since yesterday he "
     "can't pee properly and his legs feel weak.", "cauda_equina", "emergency"),
    ("my wife says she can't feel her bum", "cauda_equina", "emergency"),
    ("Hi. My son says his feet feel numb. Both of them. Started on Sunday.",
     "cauda_equina", "emergency"),
    ("Asking on behalf of my mum. She fell down the stairs last night and her back is agony.",
     "trauma_fracture", "emergency"),
    ("Hello, my husband is 58. He has a fever and chills. His back is killing him.",
     "infection", "urgent"),
    ("I'm messaging for my gran, she is 81. She had a small fall at home this morning. She "
     "has osteoporosis.", "trauma_fracture", "urgent"),
    ("Writing on behalf of my father. He had prostate cancer a few years ago and now his "
     "back hurts at night.", "cancer", "urgent"),
])
def test_someone_writing_for_the_patient_describes_the_patient(text, flag, level):
    result = detect(text)
    assert flag in result.flags, result
    assert result.level == level, result


@pytest.mark.parametrize("text, flag", [
    ("my father tripped over the dog last week and now he can't lift his foot properly",
     "trauma_fracture"),
    ("my girlfriend had an epidural on Monday and since then she's got a high fever and her "
     "back is burning", "infection"),
    ("my husband came off his motorbike on the N2 and now his lower back is agony",
     "trauma_fracture"),
    ("my daughter has been feverish since the weekend and now her back is so stiff she can "
     "hardly move", "infection"),
])
def test_a_message_about_a_relatives_symptoms_now_is_about_the_patient(text, flag):
    """No "writing for" frame, but nothing about the writer's own body either: the relative
    whose symptoms are told in the present is the patient, not someone else."""
    assert flag in detect(text).flags


@pytest.mark.parametrize("text, flag, level", [
    ("she can't control her bladder since yesterday and her back is agony",
     "cauda_equina", "emergency"),
    ("hi, she's been wetting herself and her back is killing her", "cauda_equina", "emergency"),
    ("he says his legs are going weak and he wet himself", "cauda_equina", "emergency"),
    ("she had a bad fall down the stairs yesterday and her back is agony",
     "trauma_fracture", "emergency"),
])
def test_a_patient_introduced_only_as_she_or_he_is_the_patient(text, flag, level):
    """Nobody else is named and the writer says nothing of their own body: the person is the
    one the writer asks about, and their words about "her bladder" read as "my bladder"."""
    result = detect(text)
    assert flag in result.flags and result.level == level, result


@pytest.mark.parametrize("text", [
    "she had cancer years ago, my back hurts",
    "my physio said she thinks it's a disc, she had one patient who lost bladder control",
])
def test_she_is_someone_else_when_the_writer_describes_their_own_pain_or_names_her(text):
    assert detect(text).flags == []


@pytest.mark.parametrize("text", [
    "my mum had cancer",
    "My brother hurt his back at rugby today, but it's my neck I'm asking about, it's sore",
    "my friend had sciatica and it got better with physio",
    "My father had a heart attack at 60 so I'm a bit worried, but I feel fine.",
    "My husband was in a car accident last month. I'm booking for myself though, just a "
    "stiff back.",
    "I'm writing for my dad, he's 70. He strained his back gardening. My mum had breast "
    "cancer years ago, which is why he worries.",
    "my son still wets himself at night, he's 5",
])
def test_family_history_and_other_peoples_past_illness_are_discounted(text):
    assert detect(text).flags == []


def test_writing_for_someone_does_not_adopt_a_third_persons_history():
    result = detect("Booking for my husband, he is 64. His brother had bowel cancer. He hurt "
                    "his back lifting the lawnmower.")
    assert "cancer" not in result.flags


# ---------------------------------------------------------------- levels per the spec

@pytest.mark.parametrize("text", [
    "I slipped on the wet floor at work and now my arm is tingling and my hand feels weak",
    "Fell off my bike on Saturday. Since then I've got pins and needles in both hands",
    "I had a fall in the garden, now my left leg feels numb",
])
def test_any_trauma_followed_by_limb_numbness_or_weakness_is_an_emergency(text):
    result = detect(text)
    assert "trauma_fracture" in result.flags and result.level == "emergency"
    trauma = next(d for d in result.present if d.flag == "trauma_fracture")
    assert trauma.level == "emergency" and trauma.raised_by


@pytest.mark.parametrize("text", [
    "we rolled the bakkie on the N1 last night",
    "I dived into the shallow end of the pool and hit my head, now my neck is sore",
    "jumped off the roof of the garage and landed badly",
    "got tackled hard at rugby on Saturday and my neck hasn't been right since",
    "I fell about 3 metres off scaffolding at work",
    "taxi drove into us at the robot",
])
def test_major_trauma_in_everyday_words_is_an_emergency(text):
    result = detect(text)
    assert "trauma_fracture" in result.flags and result.level == "emergency"


@pytest.mark.parametrize("text", [
    "I've got osteoporosis and I tripped on the pavement yesterday",
    "on prednisone for years for my lungs, and my back went when I lifted a box",
])
def test_minor_fall_or_lift_with_fragile_bones_is_urgent(text):
    result = detect(text)
    assert result.flags == ["trauma_fracture"] and result.level == "urgent"


@pytest.mark.parametrize("text, why", [
    ("fever and back pain, and I had rigors last night", "sepsis"),
    ("I have a fever and my husband says I'm confused this morning", "sepsis"),
    ("I'm on chemo and now I have a temperature of 38.5 with back pain", "immunity"),
    ("I inject heroin and I've got a fever with this back pain", "drugs"),
    ("had a spinal injection two weeks ago and now I have a fever", "procedure"),
    ("fever and back pain and my legs feel weak", "neuro"),
])
def test_infection_emergencies(text, why):
    result = detect(text)
    infection = next(d for d in result.present if d.flag == "infection")
    assert infection.level == "emergency", (why, result)
    assert result.level == "emergency"


def test_fever_and_back_pain_alone_stays_urgent():
    result = detect("I've had a fever since yesterday and my back is sore")
    assert result.flags == ["infection"] and result.level == "urgent"


def test_cancer_with_a_neurological_sign_is_an_emergency():
    result = detect("I had breast cancer and now my back hurts and my legs feel numb")
    assert "cancer" in result.flags and result.level == "emergency"


def test_every_escalation_records_its_trigger_rule_and_source():
    result = detect("fell off my bike and now my hands are tingling")
    assert result.level == "emergency"
    for d in result.present:
        assert d.trigger and d.rule and d.source and d.level


# ---------------------------------------------------------------- false alarms the spec lists

@pytest.mark.parametrize("text", [
    "both my legs are sore after the parkrun on Saturday",
    "my legs are aching after standing at work all day",
    "both legs stiff and tired from the hike",
    "My temperature is normal, 36.8",
    "I had a fever on Monday but it's gone now",
    "the fever broke two days ago, back still sore",
    # A fever told in the past and resolved later on: not a present sign.
    "had a high fever last week with flu, it went down by Friday and now only my back hurts",
    "I had a temperature after the flu jab. It passed by Sunday, just a stiff back now",
    "my son had flu and a fever two weeks ago but he's fine now, his back aches from rugby",
    "can needling cause infection?",
    "do you treat whiplash from an old car accident?",
    "Is dry needling safe for people with osteoporosis?",
])
def test_the_specs_false_alarms_do_not_escalate_or_ask(text):
    result = detect(text)
    assert result.flags == [], result
    assert result.unsure_flags == [], result


def test_a_question_about_the_practice_still_escalates_the_writers_own_sign():
    assert detect("do you treat whiplash? I was in a car crash yesterday").flags == [
        "trauma_fracture"]


@pytest.mark.parametrize("text", [
    "I had a fever on Monday and it still hasn't gone, my back is worse",
    "had a fever last week, it went away but keeps coming back, and my back aches",
    "I've got a fever and my back is sore. My cold is better now",
])
def test_a_fever_that_has_not_passed_still_escalates(text):
    assert "infection" in detect(text).flags
