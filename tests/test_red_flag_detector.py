"""The red-flag detector on its own (no Rasa): the clinical bar and the scoping rules."""

from pathlib import Path

import pytest
import yaml

from redflags import detect
from redflags.detector import RedFlagDetector
from redflags.spelling import SpellingFixer
from redflags.evaluate import evaluate
from redflags.levels import combined_level

DATA = Path(__file__).parent / "data"
FAMILIES = {
    "cauda_equina", "progressive_neuro_deficit", "cardiac_vascular", "trauma_fracture",
    "cancer", "infection", "severe_unremitting",
}


@pytest.fixture(scope="module")
def detector():
    return RedFlagDetector()


def load(name):
    with open(DATA / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_labelled_set_is_big_enough_and_covers_every_family():
    labelled = load("red_flag_eval.yml")
    flags = [f for item in labelled["red_flags"] for f in item["flags"]]
    assert len(labelled["red_flags"]) >= 150 and len(labelled["near_misses"]) >= 80
    assert set(flags) == FAMILIES


@pytest.mark.parametrize("name", ["red_flag_eval.yml", "red_flag_holdout.yml",
                                  "red_flag_third.yml"])
def test_recall_and_false_alarms_meet_the_bar(detector, name):
    report = evaluate(detector, load(name))
    total = sum(report["per_family_total"].values())
    caught = sum(report["per_family_hit"].values()) + sum(report["per_family_asked"].values()) \
        + sum(report["per_family_checked"].values())
    if name == "red_flag_eval.yml":
        # The project's own set: every red flag escalated, none merely asked about.
        assert report["misses"] == [] and report["asked"] == []
    else:
        # Sets written later by people who never saw the rules: a miss here is reported
        # by `make eval-safety`; the test holds the line at what was measured.
        assert caught / total >= 0.98
    assert len(report["false_alarms"]) / report["near_miss_total"] <= 0.05


@pytest.mark.parametrize("text, flag, level", [
    ("hi my back is killing me and I peed myself this morning", "cauda_equina", "emergency"),
    ("cant feel anything when i wipe", "cauda_equina", "emergency"),
    ("my bladdr wont empty properly", "cauda_equina", "emergency"),
    ("pain down both legs", "cauda_equina", "emergency"),
    ("my left foot keeps slapping the ground when I walk", "progressive_neuro_deficit", "urgent"),
    ("tight chest and I'm short of breath", "cardiac_vascular", "emergency"),
    ("fell off a ladder on saturday", "trauma_fracture", "emergency"),
    ("I have osteoporosis and felt a crack lifting shopping", "trauma_fracture", "urgent"),
    ("I had breast cancer 5 years ago and now my back hurts", "cancer", "urgent"),
    ("fever and chills since yesterday", "infection", "urgent"),
    ("nothing helps, not even lying down", "severe_unremitting", "urgent"),
])
def test_red_flags_in_lay_words(text, flag, level):
    result = detect(text)
    assert flag in result.flags
    assert any(d.flag == flag and d.level == level for d in result.present)


@pytest.mark.parametrize("text, status", [
    ("no numbness down there", "negated"),
    ("I don't have any chest pain", "negated"),
    ("my legs aren't weak at all", "negated"),
    ("bladder and bowels are fine, no numbness", None),
    ("my dad had cancer", "other_person"),
    ("my wife had a fever all week", "other_person"),
    ("had a fever last year", "historical"),
    ("fell off my bike in 2015 but this is new", "historical"),
])
def test_negation_history_and_other_people_do_not_fire(text, status):
    result = detect(text)
    assert result.flags == []
    if status:
        assert status in {d.status for d in result.discounted}


def test_a_negation_does_not_reach_past_but():
    assert detect("no fever but I can't pee since this morning").flags == ["cauda_equina"]


def test_reporting_for_yourself_after_mentioning_someone_else_still_fires():
    assert detect("my wife says I've been wetting myself").flags == ["cauda_equina"]


@pytest.mark.parametrize("text, family", [
    ("my bum goes numb when I sit for long", "cauda_equina"),
    ("I leak a little when I sneeze", "cauda_equina"),
    ("chest feels sore after bench press yesterday", "cardiac_vascular"),
    ("I've lost some weight", "cancer"),
])
def test_ambiguous_messages_ask_instead_of_guessing(text, family):
    result = detect(text)
    assert result.flags == [] and result.unsure_flags == [family]


def test_detection_records_trigger_source_and_position():
    text = "Hello. I have had no sensation in the seat area since Tuesday."
    detection = detect(text).present[0]
    assert detection.flag == "cauda_equina"
    assert text[detection.start:detection.end] == detection.trigger
    assert "CES" in detection.source and detection.rule.startswith("ces_")


def test_combined_levels_follow_the_spec():
    assert combined_level([("progressive_neuro_deficit", "urgent")]) == "urgent"
    assert combined_level([("progressive_neuro_deficit", "urgent"),
                           ("cauda_equina", "emergency")]) == "emergency"
    assert combined_level([("cancer", "urgent"), ("progressive_neuro_deficit", "urgent")]) \
        == "emergency"


def test_spelling_fixer_fixes_slips_but_not_real_words():
    fixer = SpellingFixer({"bladder", "numbness", "leaking", "control", "breathing", "fever"})
    assert fixer.fix("bladdr") == "bladder"
    assert fixer.fix("numbnes") == "numbness"
    assert fixer.fix("controll") == "control"
    assert fixer.fix("brething") == "breathing"
    assert fixer.fix("fevr") == "fever"
    assert fixer.fix("leaning") == "leaning"


@pytest.mark.parametrize("junk", ["", "   ", "😀😀", "<b>hi</b>", "\x00\x01", "x" * 20_000])
def test_junk_never_raises(junk):
    assert detect(junk).flags == []


def test_a_flag_late_in_a_very_long_message_is_found():
    story = "my back has been stiff after gardening and long drives. " * 200
    assert detect(story + "Today I wet myself.").flags == ["cauda_equina"]


@pytest.mark.parametrize("text", ["five wks", "hey five days", "five hours or so"])
def test_real_words_are_not_taken_for_misspelt_red_flag_words(text):
    result = detect(text)
    assert result.flags == [] and result.unsure_flags == []
