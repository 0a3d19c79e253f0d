"""`make run`, as a new user starts it: every server listens on this machine only (nobody on
the network reaches the unauthenticated action server), and the generated API token is in a
file only its owner can read, never on the screen. Its data go to a scratch folder; the token
file is the checkout's `var/rasa_token`, as for any `make run`."""

import os
import signal
import stat
import subprocess
import time

import pytest
import requests

from scripts.stack import ROOT
from scripts.wait_for_port import free_port

pytestmark = pytest.mark.conversation

SERVERS = ("RASA_PORT", "ACTION_PORT", "WEB_PORT", "RECEPTION_PORT")


def listening_addresses(port: int) -> set:
    lines = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    return {line.split()[3].rsplit(":", 1)[0] for line in lines}


def test_make_run_listens_on_this_machine_only_and_never_prints_the_token(tmp_path):
    ports = {name: free_port() for name in SERVERS}
    env = {**os.environ, **{name: str(port) for name, port in ports.items()},
           "TRACKER_DB": str(tmp_path / "rasa.db"),
           "PRACTICE_DB_URL": f"sqlite:///{tmp_path / 'practice.db'}"}
    for name in ("RASA_TOKEN", "BIND_HOST", "WEB_HOST", "RECEPTION_HOST", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    log = tmp_path / "make_run.log"
    process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"make run did not come up:\n{log.read_text()[-3000:]}"
            try:
                if requests.get(f"http://127.0.0.1:{ports['RASA_PORT']}/", timeout=2).ok and \
                        all(listening_addresses(port) for port in ports.values()):
                    break
            except requests.RequestException:
                pass
            time.sleep(1)

        for name, port in ports.items():
            assert listening_addresses(port) == {"127.0.0.1"}, name
        token_file = ROOT / "var" / "rasa_token"
        token = token_file.read_text().strip()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert len(token) >= 32 and token not in log.read_text()
        tracker = requests.get(f"http://127.0.0.1:{ports['RASA_PORT']}/conversations/x/tracker",
                               params={"token": token}, timeout=10)
        assert tracker.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
