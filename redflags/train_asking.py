"""Fit the learned asking layer outside Rasa and print its validation numbers.

    python -m redflags.train_asking --report            # per-family recall and false asks
    python -m redflags.train_asking --out var/asking     # also save the model there

`rasa train` fits the same model inside RedFlagClassifier (the model then lives inside the
trained Rasa model); this script is for looking at it without a Rasa training run. Sets
whose file name contains "holdout" are never read.
"""

import argparse
from pathlib import Path
import sys
import time
from typing import List, Optional, Sequence

from redflags import learned
from redflags.detector import RedFlagDetector


def rules_gate_with(detector: RedFlagDetector):
    return lambda text: learned.gate(detector.detect(text))


def fit(corpus: Sequence[str], nlu_dir: str, max_false_ask: float,
        detector: Optional[RedFlagDetector] = None) -> learned.AskingModel:
    examples: List[learned.Example] = learned.load_labelled_files(corpus)
    examples += learned.nlu_negatives(learned.nlu_pairs_from_files(nlu_dir))
    examples += learned.ordinary_complaints()
    detector = detector or RedFlagDetector()
    return learned.train(examples, rules_gate=rules_gate_with(detector),
                         max_false_ask=max_false_ask)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="*", default=list(learned.DEFAULT_CORPUS),
                        help="labelled files or folders (default: %(default)s)")
    parser.add_argument("--nlu", default="data/nlu", help="Rasa NLU folder for negatives")
    parser.add_argument("--max-false-ask", type=float, default=learned.DEFAULT_MAX_FALSE_ASK)
    parser.add_argument("--report", action="store_true", help="print validation numbers")
    parser.add_argument("--out", help="folder to save asking.joblib in")
    args = parser.parse_args(argv)

    model = fit(args.corpus, args.nlu, args.max_false_ask)
    print(f"asking-layer thresholds: {model.threshold:.4f} (families the rules left open), "
          f"{model.closed_threshold:.4f} (second look at a family they discounted)")
    if args.report:
        print(learned.format_report(model.report))
        texts = ["my lower back has been sore for three weeks after gardening",
                 "I can't seem to hold it in when I need the loo since the back went"]
        started = time.perf_counter()
        for _ in range(50):
            for text in texts:
                model.ask(text)
        per_message = (time.perf_counter() - started) * 1000 / (50 * len(texts))
        print(f"layer time per message: {per_message:.2f} ms")
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        print(f"saved {model.save(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
