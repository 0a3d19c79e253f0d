"""The NLU component: the detector's verdict wins over the neural classifier."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from redflags.nlu_component import RedFlagClassifier


def parse(text, intent="inform", ranking=None):
    message = Message(data={
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9},
                                      {"name": "inform", "confidence": 0.05}],
    })
    RedFlagClassifier().process([message])
    return message


def test_a_red_flag_forces_the_intent_with_full_confidence_and_audit_entities():
    message = parse("I can't feel my bum when I wipe", intent="faq")
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    entity = message.get("entities")[0]
    assert entity["entity"] == "red_flag" and entity["value"] == "cauda_equina"
    assert entity["extractor"] == "RedFlagDetector" and entity["source"]
    assert entity["level"] == "emergency"


def test_an_unclear_sign_forces_the_clarifying_intent():
    message = parse("my bum goes numb when I sit at my desk")
    assert message.get("intent")["name"] == "red_flag_unsure"
    assert message.get("entities")[0]["entity"] == "red_flag_question"


def test_the_classifier_alone_cannot_claim_a_red_flag():
    ranking = [{"name": "red_flag", "confidence": 0.8}, {"name": "inform", "confidence": 0.15}]
    message = parse("no numbness or tingling at all", intent="red_flag", ranking=ranking)
    assert message.get("intent")["name"] == "inform"
    assert all(r["name"] != "red_flag" for r in message.get("intent_ranking"))


@pytest.mark.parametrize("text", ["", "😀😀", "?!", "\x00\x01"])
def test_a_message_without_letters_is_not_understood(text):
    assert parse(text, intent="affirm").get("intent")["name"] == "nlu_fallback"


def test_ordinary_messages_keep_their_intent():
    assert parse("lower back, about 3 weeks").get("intent")["name"] == "inform"


# ---------------------------------------------------------------- the learned asking layer

import yaml  # noqa: E402
from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from redflags import learned  # noqa: E402

# A small corpus in the real corpus' layout: phrasings the rules do not cover, so only the
# learned layer can notice them.
POSITIVE = ["things feel odd in the loo department", "the loo department feels odd lately",
            "loo department odd this week", "odd loo department since sunday"]
ORDINARY = ["what time do you open on saturday", "can I book for thursday",
            "my lower back is stiff after gardening", "thanks, see you then", "hello there",
            "how much is a session", "is there parking", "my neck is stiff from my desk",
            "do you take medical aid", "I would like to cancel", "ok great", "bye"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("asking")
    items = [{"text": t, "label": "cauda_equina", "kind": "positive", "source": "test"}
             for t in POSITIVE] * 5
    items += [{"text": t, "label": "none", "kind": "ordinary", "source": "test"}
              for t in ORDINARY] * 5
    corpus = root / "corpus.yml"
    corpus.write_text(yaml.safe_dump({"items": items}), encoding="utf-8")
    (root / "red_flag_holdout.yml").write_text("this file must never be read: [", "utf-8")
    (root / "storage").mkdir()
    storage = LocalModelStorage(root / "storage")
    resource = Resource("red_flag_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**RedFlagClassifier.get_default_config(), "corpus": [str(root)],
              "validation_fraction": 0.3}
    component = RedFlagClassifier.create(config, storage, resource, context)
    nlu = TrainingData([Message(data={"text": t, "intent": "inform"}) for t in ORDINARY])
    component.train(nlu)
    return RedFlagClassifier.load(config, storage, resource, context)


def parse_with(component, text):
    message = Message(data={"text": text, "intent": {"name": "inform", "confidence": 0.9},
                            "intent_ranking": [{"name": "inform", "confidence": 0.9}]})
    component.process([message])
    return message


def test_the_layer_is_trained_persisted_and_loaded_with_a_threshold(trained):
    assert trained.asking is not None and 0 < trained.asking.threshold <= 1
    assert trained.asking.report["validation"] > 0


def test_the_learned_layer_asks_one_question_naming_the_family(trained):
    message = parse_with(trained, "the loo department is odd now")
    assert message.get("intent") == {"name": "red_flag_unsure", "confidence": 1.0}
    [question] = message.get("entities")
    assert question["entity"] == "red_flag_question" and question["value"] == "cauda_equina"
    assert question["rule"] == "learned:cauda_equina" and question["level"] == "emergency"
    assert question["source"]


def test_the_learned_layer_never_escalates_or_overrides_the_rules(trained):
    assert parse_with(trained, "what time do you open on saturday").get("intent")["name"] \
        == "inform"
    flagged = parse_with(trained, "I can't feel my bum when I wipe")
    assert flagged.get("intent")["name"] == "red_flag"
    assert all(e["extractor"] == "RedFlagDetector" for e in flagged.get("entities"))


def test_an_untrained_component_runs_the_rules_alone():
    assert RedFlagClassifier().asking is None
    assert parse("the loo department is odd now").get("intent")["name"] == "inform"


def test_holdout_files_are_never_part_of_the_corpus(tmp_path):
    (tmp_path / "red_flag_holdout.yml").write_text("red_flags: [{text: x, flags: [cancer]}]")
    (tmp_path / "ok.yml").write_text("items: [{text: hello, label: none}]")
    assert [e.text for e in learned.load_labelled_files([str(tmp_path)])] == ["hello"]


def test_the_threshold_keeps_false_asks_within_budget():
    import numpy as np
    ordinary = np.linspace(0, 1, 100)
    threshold = learned.choose_threshold(ordinary, 0.03)
    assert (ordinary >= threshold).sum() <= 3


def test_the_fast_scorer_gives_scikit_learns_probabilities(trained):
    import numpy as np
    texts = POSITIVE + ORDINARY + ["", "something else entirely 123"]
    expected = trained.asking.pipeline.predict_proba(texts)
    scorer = learned.FastScorer(trained.asking.pipeline)
    assert np.allclose([scorer.probabilities(t) for t in texts], expected, atol=1e-9)
