"""Run many simulated patients against the real assistant and report how the invariants hold.

    python -m tests.simulator --n 2000 --seed 1 --concurrency 4

Starts the Rasa server and the action server from models/triage.tar.gz (train first), on
free ports with a scratch tracker store and practice calendar, as tests/conftest.py does.
"""

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from scripts.stack import MODEL, ROOT, start_actions, start_rasa, stop, wait_until_up
from scripts.wait_for_port import free_port
from tests.conftest import Assistant
from tests.simulator.batch import failing_transcripts, report, simulate
from tests.simulator.personas import sample_personas


@contextlib.contextmanager
def running_assistant(workdir: Path) -> Iterator[Assistant]:
    """The real servers on free ports, with their own tracker store and calendar."""
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_PORT": str(action_port),
        "TRACKER_DB": str(workdir / "tracker.db"),
        "PRACTICE_DB_URL": f"sqlite:///{workdir / 'practice.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    actions_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions = start_actions(action_port, env, actions_log)
    rasa = start_rasa(rasa_port, token, "endpoints.yml", env, rasa_log)
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, actions_log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={token}", rasa, rasa_log)
        yield Assistant(f"http://127.0.0.1:{rasa_port}", token, env["PRACTICE_DB_URL"])
    finally:
        stop(rasa, actions)


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
        with running_assistant(Path(workdir)) as assistant:
            results = simulate(assistant, personas, args.concurrency, progress=True)
    summary = report(results)
    (args.out / "report.txt").write_text(summary + "\n")
    failures = args.out / "failures.txt"
    failures.write_text(failing_transcripts(results))
    print(summary)
    print(f"\nFirst failing conversations per invariant: {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
