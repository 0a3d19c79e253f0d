"""A local stand-in for a third-party HTTP API (Twilio's REST API, Meta's Graph API) that
records every request, so tests see exactly what the assistant would have sent."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List
from urllib.parse import parse_qs

from scripts.wait_for_port import free_port


@dataclass
class Recorded:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    status: int = 0  # what the fake answered

    def json(self) -> Dict:
        return json.loads(self.body)

    def form(self) -> Dict[str, List[str]]:
        return parse_qs(self.body.decode("utf-8"))


class FakeApi:
    """Answers every request with `reply` (201 for Twilio-style creates by default), after
    any statuses queued with `fail_next`."""

    def __init__(self, status: int = 200, reply: Dict = None) -> None:
        self.status, self.reply = status, reply or {}
        self.requests: List[Recorded] = []
        self._failures: List[int] = []
        self._lock = threading.Lock()
        self.released = threading.Event()  # cleared by `hold`: answers wait until released
        self.released.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake._lock:
                    status = fake._failures.pop(0) if fake._failures else fake.status
                    fake.requests.append(Recorded("POST", self.path, dict(self.headers), body,
                                                  status))
                fake.released.wait(timeout=60)
                payload = json.dumps(fake.reply if status < 300 else {"error": "fake"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._failures.extend(statuses)

    def hold(self) -> None:
        """Requests are recorded at once but answered only after `released.set()`."""
        self.released.clear()

    def received(self, predicate: Callable[[Recorded], bool] = lambda r: True) -> List[Recorded]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1,
                 timeout_s: float = 60) -> List[Recorded]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.received(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"the fake API did not receive {count} matching request(s) "
                             f"in {timeout_s} s; it received {len(self.received())}")
