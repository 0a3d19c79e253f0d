"""`make eval-safety`'s counting: expected levels, questions apart from escalations."""

from redflags.detector import RedFlagDetector
from redflags.evaluate import Layer, as_labelled_set, evaluate


def test_level_writer_and_why_are_counted():
    labelled = {
        "red_flags": [
            {"text": "fell off a ladder on saturday", "flags": ["trauma_fracture"],
             "level": "emergency", "writer": "patient"},
            # A fever alone is urgent; expecting emergency, the emergency check after the
            # urgent advice ("weakened immunity? injecting? very unwell?") catches it.
            {"text": "fever and chills since yesterday", "flags": ["infection"],
             "level": "emergency", "writer": "relative"},
            # Severe pain has no emergency combination: expecting emergency is "below".
            {"text": "constant pain, nothing helps, not even lying down",
             "flags": ["severe_unremitting"], "level": "emergency", "writer": "relative"},
            {"text": "my bum goes numb when I sit for long", "flags": ["cauda_equina"]},
        ],
        "near_misses": [{"text": "no numbness down there", "why": "negated"},
                        {"text": "can needling cause infection?", "why": "practice_question"}],
    }
    report = evaluate(Layer(RedFlagDetector()), labelled)
    assert report["per_family_hit"]["trauma_fracture"] == 1
    assert report["per_family_checked"]["infection"] == 1
    assert report["per_family_hit"]["infection"] == 0
    assert report["per_family_under"]["severe_unremitting"] == 1
    assert report["per_family_asked"]["cauda_equina"] == 1  # one question: caught, not strict
    assert report["by_key"]["writer"]["relative"] == {"caught": 1, "under": 1}
    assert report["false_alarms"] == [] and report["near_miss_by_why"]["negated"] == 1


def test_the_corpus_layout_reads_as_red_flags_and_near_misses():
    data = {"items": [{"text": "a", "label": "cancer", "kind": "positive"},
                      {"text": "b", "label": "none", "kind": "negated"}]}
    labelled = as_labelled_set(data)
    assert labelled["red_flags"][0]["flags"] == ["cancer"]
    assert labelled["near_misses"][0]["why"] == "negated"
