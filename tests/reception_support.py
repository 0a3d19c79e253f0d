"""Helpers for the reception tests: conversations written with Rasa's own SQL tracker
store, the reception app started as a real process, and a logged-in staff client."""

import asyncio
import contextlib
import os
import re
import secrets
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import requests
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from scripts.wait_for_port import free_port
from tests.databases import scratch_postgres

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "correct horse battery staple"


@contextlib.contextmanager
def databases(kind: str, workdir: Path) -> Iterator[Tuple[str, str]]:
    """The tracker store's and the practice's database URLs: SQLite files in `workdir`, or
    one PostgreSQL database (kind "postgresql") made for the caller and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'tracker.db'}", f"sqlite:///{workdir / 'practice.db'}"
        return
    with scratch_postgres("reception_test") as url:
        yield url, url


def tracker_store(url: str) -> SQLTrackerStore:
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return SQLTrackerStore(dialect="sqlite", db=parsed.database)
    return SQLTrackerStore(dialect=parsed.drivername, host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username,
                           password=parsed.password)


def user(text: str, at: float, intent: str = "inform", channel: str = "rest",
         red_flags: List[str] = ()) -> UserUttered:
    entities = [{"entity": "red_flag", "value": flag, "start": 0, "end": len(text)}
                for flag in red_flags]
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, entities=entities,
                       parse_data={"intent": {"name": intent, "confidence": 1.0},
                                   "entities": entities, "text": text},
                       input_channel=channel, timestamp=at)


def bot(text: str, at: float, buttons: Optional[List[Dict]] = None) -> BotUttered:
    return BotUttered(text, data={"buttons": buttons} if buttons else {}, timestamp=at)


def slot(name: str, value, at: float) -> SlotSet:
    return SlotSet(name, value, timestamp=at)


def action(name: str, at: float) -> ActionExecuted:
    return ActionExecuted(name, timestamp=at)


def save_conversation(store: SQLTrackerStore, sender: str, events: List) -> None:
    tracker = DialogueStateTracker.from_events(sender, events)
    asyncio.run(store.save(tracker))


def sample_conversations(store: SQLTrackerStore, now: Optional[float] = None) -> Dict[str, str]:
    """Four conversations covering the list's cases; returns their ids by role."""
    now = now or time.time()
    ids = {role: f"{role}-{secrets.token_hex(4)}" for role in
           ("emergency", "routine", "script", "old")}
    t = now - 3600
    evidence = [{"flag": "cauda_equina", "level": "emergency", "status": "present",
                 "trigger": "can't feel my bum", "rule": "saddle_anaesthesia",
                 "source": "CES warning card",
                 "message": "I can't feel my bum when I wipe and can't pee"}]
    save_conversation(store, ids["emergency"], [
        SessionStarted(timestamp=t), action("action_listen", t),
        user("hi", t + 1, "greet"),
        bot("Hello! Where is your pain?", t + 2),
        user("I can't feel my bum when I wipe and can't pee", t + 3, "red_flag",
             red_flags=["cauda_equina"]),
        slot("red_flags", ["cauda_equina"], t + 4),
        slot("red_flag_evidence", evidence, t + 4),
        slot("triage_level", "emergency", t + 4),
        slot("pain_location", "lower_back", t + 4),
        bot("Please go to an emergency unit now or call 10177.", t + 5),
        user("Thandi Mokoena", t + 6, "inform"),
        slot("callback_name", "Thandi Mokoena", t + 7),
        user("082 123 4567", t + 8, "inform"),
        slot("callback_phone", "+27821234567", t + 9),
        slot("callback_status", "saved", t + 9),
        slot("callback_reference", "CB-ABC234", t + 9),
    ])
    t = now - 7200
    save_conversation(store, ids["routine"], [
        user("my lower back aches after long days at my desk", t, "inform", "socketio"),
        slot("pain_location", "lower_back", t + 1),
        slot("severity", 4, t + 1),
        bot("Does it spread into a leg?", t + 2,
            buttons=[{"title": "Yes, into a leg", "payload": "/affirm"},
                     {"title": "No", "payload": "/deny"}]),
        user("/deny", t + 3, "deny", "socketio"),
        slot("pain_radiates", "none", t + 4),
        user("you can email me at sipho.dlamini@example.com", t + 5, "inform", "socketio"),
        user('=HYPERLINK("http://evil.example","click")', t + 5, "inform", "socketio"),
        slot("triage_level", "routine", t + 6),
        slot("booking_status", "offered", t + 6),
        bot("Would you like to book an assessment?", t + 7),
    ])
    t = now - 600
    save_conversation(store, ids["script"], [
        user('<script>alert("pwned")</script><img src=x onerror=alert(2)> my neck',
             t, "inform", "rest"),
        slot("triage_level", "urgent", t + 1),
        slot("red_flags", ["infection"], t + 1),
        bot("Please see a doctor today.", t + 2),
    ])
    t = now - 400 * 86400
    save_conversation(store, ids["old"], [
        user("old back pain from last year", t, "inform", "twilio"),
        slot("triage_level", "routine", t + 1),
        bot("Thanks.", t + 2),
    ])
    return ids


class ReceptionServer:
    """`python -m reception` on a free port, against the given databases."""

    def __init__(self, tracker_url: str, practice_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"reception-{self.port}.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "TRACKER_DB_URL": tracker_url,
                    "PRACTICE_DB_URL": practice_url, "RECEPTION_PORT": str(self.port),
                    "RECEPTION_SECRET": secrets.token_urlsafe(32)}
        self.env.pop("RECEPTION_PASSWORD", None)
        self.process: Optional[subprocess.Popen] = None

    def users(self, *args: str, password: Optional[str] = None) -> subprocess.CompletedProcess:
        """The staff-account command, exactly as `make user` runs it."""
        env = dict(self.env)
        if password is not None:
            env["RECEPTION_PASSWORD"] = password
        return subprocess.run([PYTHON, "-m", "reception.users", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60)

    def command(self, module: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "-m", module, *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def __enter__(self) -> "ReceptionServer":
        self.process = subprocess.Popen([PYTHON, "-m", "reception"], cwd=ROOT, env=self.env,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"reception exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/login", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"reception did not start; see {self.log}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Staff:
    """A browser-like HTTP client. The session cookie is Secure, which `requests` will not
    send over plain http, so cookies are carried by hand exactly as a browser sends them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: Dict[str, str] = {}
        self.csrf = ""

    def _keep(self, response: requests.Response) -> requests.Response:
        for cookie in response.cookies:
            if cookie.expires is not None and cookie.expires <= time.time():
                self.cookies.pop(cookie.name, None)
            else:
                self.cookies[cookie.name] = cookie.value
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.text or "") \
            if response.headers.get("content-type", "").startswith("text/html") else None
        if token:
            self.csrf = token.group(1)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self._keep(requests.get(self.base + path, cookies=self.cookies,
                                       allow_redirects=False, timeout=30, **kwargs))

    def post(self, path: str, data: Dict, with_csrf: bool = True) -> requests.Response:
        data = {**data, "csrf_token": self.csrf} if with_csrf else data
        return self._keep(requests.post(self.base + path, data=data, cookies=self.cookies,
                                        allow_redirects=False, timeout=30))

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password, "next": "/"})


def logged_in(server: ReceptionServer, username: str) -> Staff:
    staff = Staff(server.url)
    response = staff.login(username)
    assert response.status_code == 303, response.text
    staff.get("/")  # picks up the session's CSRF token from the page
    return staff
