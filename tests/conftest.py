"""Shared fixtures: the real trained model and the real action server, started once.

Conversation tests talk to them over HTTP exactly as the website or WhatsApp would (the
REST channel), and read slots back from the tracker API with the token.
"""

import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from scripts.wait_for_port import free_port

ROOT = Path(__file__).resolve().parent.parent
RASA = str(ROOT / ".venv" / "bin" / "rasa")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MODEL = ROOT / "models" / "triage.tar.gz"
STARTUP_SECONDS = 240


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {STARTUP_SECONDS} s; see {log}")


class Assistant:
    """A client for one running Rasa server."""

    def __init__(self, url: str, token: str, practice_db_url: str) -> None:
        self.url = url
        self.token = token
        self.practice_db_url = practice_db_url

    def new_sender(self) -> str:
        return f"test-{uuid.uuid4().hex[:12]}"

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def texts(self, sender: str, text: str) -> str:
        """Everything the bot said in reply, joined, for assertions on wording."""
        return "\n".join(m.get("text", "") for m in self.say(sender, text))

    def tracker(self, sender: str) -> Dict:
        response = requests.get(
            f"{self.url}/conversations/{sender}/tracker",
            params={"token": self.token}, timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> Dict:
        return self.tracker(sender)["slots"]


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    workdir = tmp_path_factory.mktemp("stack")
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_PORT": str(action_port),
        "TRACKER_DB": str(workdir / "tracker.db"),
        "PRACTICE_DB_URL": f"sqlite:///{workdir / 'practice.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    action_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions = subprocess.Popen(
        [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
    )
    rasa = subprocess.Popen(  # as Procfile starts it: `rasa run` with kind failure replies
        [PYTHON, "-m", "serving", "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "--enable-api", "--auth-token", token,
         "--port", str(rasa_port)],
        cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(f"http://127.0.0.1:{action_port}/health", actions, action_log)
        # /status answers only once the model is loaded.
        _wait_for(f"http://127.0.0.1:{rasa_port}/status?token={token}", rasa, rasa_log)
        yield Assistant(f"http://127.0.0.1:{rasa_port}", token, env["PRACTICE_DB_URL"])
    finally:
        for process in (rasa, actions):
            process.terminate()
        for process in (rasa, actions):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
