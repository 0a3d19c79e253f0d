"""`make eval`: print intent accuracy and F1 from Rasa's intent report, worst intents first."""

import json
import sys


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    print(f"Held-out intent evaluation ({path})")
    print(f"  accuracy      {report['accuracy']:.3f}")
    for average in ("macro avg", "weighted avg"):
        print(f"  {average:13} F1 {report[average]['f1-score']:.3f}")
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v
               and k not in ("macro avg", "weighted avg", "micro avg")}
    print(f"  {'intent':24} {'F1':>6} {'support':>8}")
    for name, scores in sorted(intents.items(), key=lambda kv: kv[1]["f1-score"]):
        print(f"  {name:24} {scores['f1-score']:6.3f} {scores['support']:8}")


if __name__ == "__main__":
    main(sys.argv[1])
