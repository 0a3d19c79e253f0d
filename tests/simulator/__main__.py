"""Run many simulated patients against the real assistant and report how the invariants hold.

    python -m tests.simulator --n 2000 --seed 1 --concurrency 4

Starts the Rasa server and the action server from models/triage.tar.gz (train first), on
free ports with a scratch tracker store and practice calendar, as tests/conftest.py does.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from scripts.stack import MODEL, ROOT, local_stack
from tests.conftest import Assistant
from tests.simulator.batch import failing_transcripts, failure_reasons, report, simulate
from tests.simulator.personas import sample_personas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="conversations to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "simulator",
                        help="folder for the report and the failing transcripts")
    args = parser.parse_args()
    if not MODEL.exists():
        parser.error(f"no trained model at {MODEL}: run `make train` first")
    args.out.mkdir(parents=True, exist_ok=True)
    personas = sample_personas(args.n, args.seed)
    with tempfile.TemporaryDirectory(prefix="simulator-") as workdir:
        print(f"Starting the assistant (logs in {workdir})...", file=sys.stderr)
        with local_stack(Path(workdir)) as stack:
            assistant = Assistant(stack.url, stack.token, stack.env["PRACTICE_DB_URL"])
            results = simulate(assistant, personas, args.concurrency, progress=True)
    summary = report(results)
    (args.out / "report.txt").write_text(summary + "\n")
    failures = args.out / "failures.txt"
    failures.write_text(failing_transcripts(results))
    (args.out / "reasons.txt").write_text(failure_reasons(results) + "\n")
    print(summary)
    print(f"\nFirst failing conversations per invariant: {failures}; every reason: "
          f"{args.out / 'reasons.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
