"""Shared fixtures: the real trained model and the real action server, started once.

Conversation tests talk to them over HTTP exactly as the website or WhatsApp would (the
REST channel), and read slots back from the tracker API with the token. The WhatsApp
channels get per-session test secrets and send to local fakes of Twilio and the Graph API.
"""

import contextlib
import os
import secrets
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List, Optional

import pytest
import requests
from hypothesis import HealthCheck, settings

from scripts.stack import MODEL, local_env, start_actions, start_rasa, stop, wait_until_up
from scripts.wait_for_port import free_port
from tests.fakes import FakeApi
from tests.patient_data import leaks_in, note

# Hypothesis' checks on how large and slow generating examples is are noise for tests whose
# examples go to real servers (a loaded CI machine tripped data_too_large once).
settings.register_profile(
    "real_servers", suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow])
settings.load_profile("real_servers")

# The practice clock (actions/clock.py) of the servers and of the tests that read it: a
# Monday morning, so bookings, "next Wednesday" and free times are the same on every run.
# Set PRACTICE_NOW to try another day.
os.environ.setdefault("PRACTICE_NOW", "2027-03-01T08:30")


class ActionServer:
    """The real action server; tests restart it with other settings or stop it."""

    def __init__(self, port: int, env: Dict[str, str], log: Path) -> None:
        self.port, self.env, self.log = port, env, log
        self.process: Optional[subprocess.Popen] = None

    def start(self, **extra_env: str) -> None:
        self.process = start_actions(self.port, {**self.env, **extra_env}, self.log)
        wait_until_up(f"http://127.0.0.1:{self.port}/health", self.process, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    @contextlib.contextmanager
    def running_with(self, **extra_env: str) -> Iterator[None]:
        """The action server with other settings (e.g. the Cliniko backend), then back."""
        self.stop()
        self.start(**extra_env)
        try:
            yield
        finally:
            self.stop()
            self.start()


class Assistant:
    """A client for one running Rasa server."""

    def __init__(self, url: str, token: str, practice_db_url: str,
                 actions: Optional[ActionServer] = None,
                 channels: Optional[SimpleNamespace] = None,
                 tracker_db_url: Optional[str] = None) -> None:
        """actions, channels and tracker_db_url: known only for the `assistant` fixture's stack."""
        self.url = url
        self.token = token
        self.practice_db_url = practice_db_url
        self.actions = actions
        self.channels = channels
        self.tracker_db_url = tracker_db_url  # the SQL tracker store reception reads

    def new_sender(self) -> str:
        return f"test-{uuid.uuid4().hex[:12]}"

    def say(self, sender: str, text: str) -> List[Dict]:
        note(sender, text)
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


@pytest.fixture(scope="session", autouse=True)
def no_patient_data_in_logs(tmp_path_factory) -> Iterator[None]:
    """After the whole run: every server log it wrote is free of what the test patients said."""
    yield
    leaks = leaks_in(sorted(tmp_path_factory.getbasetemp().rglob("*.log")))
    assert not leaks, "patient data in server logs:\n" + "\n".join(leaks[:40])


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeApi]:
    with FakeApi(status=201, reply={"sid": "SM" + "0" * 32, "status": "queued"}) as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[FakeApi]:
    with FakeApi(reply={"messaging_product": "whatsapp", "messages": [{"id": "wamid.fake"}]}) as fake:
        yield fake


def channel_settings(fake_twilio: FakeApi, fake_graph: FakeApi) -> SimpleNamespace:
    """Fresh secrets per session for every channel; the chat page's port is chosen now
    because the Rasa server needs the page's origin at start-up."""
    web_port = free_port()
    return SimpleNamespace(
        web_port=web_port,
        env={
            "WEB_ORIGINS": f"http://127.0.0.1:{web_port}",
            "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "TWILIO_WHATSAPP_NUMBER": "+14155238886",
            "TWILIO_WEBHOOK_URL": "https://physio.example.co.za/webhooks/twilio/webhook",
            "TWILIO_API_URL": fake_twilio.url,
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(16),
            "WHATSAPP_APP_SECRET": secrets.token_hex(16),
            "WHATSAPP_ACCESS_TOKEN": secrets.token_urlsafe(32),
            "WHATSAPP_PHONE_NUMBER_ID": str(100000000000000 + secrets.randbelow(10**14)),
            "WHATSAPP_GRAPH_URL": f"{fake_graph.url}/v21.0",
            "WHATSAPP_TEMPLATE_NAME": "practice_follow_up",
            "WHATSAPP_TEMPLATE_LANGUAGE": "en",
            # Retries after an outage come within seconds, not minutes.
            "OUTBOX_RETRY_BASE_S": "0.2",
        },
        fake_twilio=fake_twilio,
        fake_graph=fake_graph,
    )


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, fake_twilio, fake_graph) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    workdir = tmp_path_factory.mktemp("stack")
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_hex(16)  # never starts with "-", which the CLI would read as an option
    channels = channel_settings(fake_twilio, fake_graph)
    env = {**local_env(action_port, workdir), **channels.env}
    actions = ActionServer(action_port, env, workdir / "actions.log")
    rasa_log = workdir / "rasa.log"
    rasa = start_rasa(rasa_port, token, "endpoints.yml", env, rasa_log)  # as Procfile does
    try:
        actions.start()
        # /status answers only once the model is loaded.
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={token}", rasa, rasa_log)
        yield Assistant(f"http://127.0.0.1:{rasa_port}", token, env["PRACTICE_DB_URL"],
                        actions, channels, f"sqlite:///{env['TRACKER_DB']}")
    finally:
        stop(rasa)
        actions.stop()
