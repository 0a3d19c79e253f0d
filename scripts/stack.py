"""Starting the assistant's processes for the scale-out tests and `make bench`: the action
server and Rasa servers (as Procfile starts them), in the production profile or the default."""

import contextlib
import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator, NamedTuple

from scripts.wait_for_port import free_port

import requests

from scripts.throwaway_postgres import ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RASA = str(ROOT / ".venv" / "bin" / "rasa")
MODEL = ROOT / "models" / "triage.tar.gz"


def production_env(database: ThrowawayPostgres, db_name: str, redis_prefix: str,
                   action_port: int, workdir: Path) -> Dict[str, str]:
    """The environment endpoints.production.yml reads, plus quiet logging."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(database.port),
        "DB_DATABASE": db_name,
        "DB_USER": "postgres",
        "DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_PASSWORD": "",
        "REDIS_DB": "1",
        "REDIS_KEY_PREFIX": redis_prefix,
        # A lock left by a killed server blocks its conversations this long (default 60 s).
        "TICKET_LOCK_LIFETIME": "20",
        "PRACTICE_DB_URL": f"sqlite:///{workdir / 'practice.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


def local_env(action_port: int, workdir: Path) -> Dict[str, str]:
    """The environment of the embedded profile (`make run`), with its data under `workdir`."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_PORT": str(action_port),
        "TRACKER_DB": str(workdir / "tracker.db"),
        "PRACTICE_DB_URL": f"sqlite:///{workdir / 'practice.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


class LocalStack(NamedTuple):
    url: str
    token: str
    env: Dict[str, str]


@contextlib.contextmanager
def local_stack(workdir: Path) -> Iterator[LocalStack]:
    """The action server and a Rasa server on free ports, stopped afterwards."""
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_hex(16)  # never starts with "-", which the CLI would read as an option
    env = local_env(action_port, workdir)
    actions_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions = start_actions(action_port, env, actions_log)
    rasa = start_rasa(rasa_port, token, "endpoints.yml", env, rasa_log)
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, actions_log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={token}", rasa, rasa_log)
        yield LocalStack(f"http://127.0.0.1:{rasa_port}", token, env)
    finally:
        stop(rasa, actions)


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 480) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout_s} s; see {log}")


def start_actions(port: int, env: Dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [RASA, "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT,
    )


def start_rasa(port: int, token: str, endpoints: str, env: Dict[str, str],
               log: Path) -> subprocess.Popen:
    """A Rasa server started the way Procfile does: `python -m serving run ...`."""
    return subprocess.Popen(
        [PYTHON, "-m", "serving", "run", "--model", str(MODEL), "--endpoints", endpoints,
         "--credentials", "credentials.yml", "--enable-api", "--auth-token", token,
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT,
    )


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

