"""A local fake of Cliniko's REST API for tests: a real HTTP server in a thread.

It follows the documented request and response shapes (https://docs.api.cliniko.com and
github.com/redguava/cliniko-api) for what the booking backend uses: available times,
patients (search and create), individual appointments (list, create, get, conflicts,
cancel, delete). It checks basic auth (API key as user name, empty password), the
User-Agent ("APP_VENDOR_NAME (APP_VENDOR_EMAIL)") and Accept headers, keeps everything in
memory for assertions, refuses double booking unless told to behave like a diary where
staff may double-book, and can be made slow or stopped.
"""

import base64
import itertools
import json
import re
import sys
import threading
from datetime import date, datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

UTC = timezone.utc
USER_AGENT = re.compile(r"^.+ \([^()\s]+@[^()\s]+\)$")


def _link(base: str, collection: str, item_id: str) -> Dict[str, Any]:
    return {"links": {"self": f"{base}/{collection}/{item_id}"}}


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeCliniko:
    """Practitioners work `days` (Monday = 0) from `opens` to `closes` in `time_zone`."""

    def __init__(self, api_key: str, business_id: str = "1001",
                 practitioners: Tuple[str, ...] = ("2001", "2002"),
                 appointment_type_minutes: Optional[Dict[str, int]] = None,
                 time_zone: str = "Africa/Johannesburg", opens: time = time(8),
                 closes: time = time(17), days: Tuple[int, ...] = (0, 1, 2, 3, 4),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.api_key = api_key
        self.business_id = business_id
        self.practitioners = practitioners
        self.appointment_type_minutes = appointment_type_minutes or {"3001": 45, "3002": 30}
        self.tz = ZoneInfo(time_zone)
        self.opens, self.closes, self.days = opens, closes, days
        self.clock = clock
        self.patients: Dict[str, Dict[str, Any]] = {}
        self.appointments: Dict[str, Dict[str, Any]] = {}
        self.requests: List[Tuple[str, str]] = []     # (method, path) in arrival order
        self.refuse_double_booking = True
        self.delay_seconds = 0.0
        self.delay_only_on: Optional[str] = None      # e.g. "POST /v1/individual_appointments"
        self.fail_status: Optional[int] = None        # answer everything with this (a 5xx)
        # Called (with the fake) just before an appointment is created: lets a test make
        # the slot be taken by someone else at the worst possible moment.
        self.before_create: Optional[Callable[["FakeCliniko"], None]] = None
        self._ids = itertools.count(100001)
        self._lock = threading.RLock()  # before_create may add an appointment
        self._released = threading.Event()
        self._server: Optional[ThreadingHTTPServer] = None

    # Control ---------------------------------------------------------------------------

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        """Stops answering: later requests get "connection refused"."""
        self._released.set()  # let slow handlers finish
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_appointment(self, practitioner_id: str, appointment_type_id: str,
                        starts_at: datetime, patient_id: str = "staff", notes: str = "") -> str:
        """An appointment made by reception in Cliniko itself (no overlap check)."""
        with self._lock:
            return self._store_appointment(practitioner_id, appointment_type_id, starts_at,
                                           patient_id, notes)

    def live_appointments(self) -> List[Dict[str, Any]]:
        return [a for a in self.appointments.values()
                if not a["cancelled_at"] and not a["deleted_at"]]

    # Behaviour -------------------------------------------------------------------------

    def _store_appointment(self, practitioner_id: str, type_id: str, starts_at: datetime,
                           patient_id: str, notes: str) -> str:
        appointment_id = self.new_id()
        minutes = self.appointment_type_minutes[type_id]
        patient = self.patients.get(patient_id, {})
        self.appointments[appointment_id] = {
            "id": appointment_id,
            "created_at": _utc_text(self.clock()), "updated_at": _utc_text(self.clock()),
            "starts_at": _utc_text(starts_at),
            "ends_at": _utc_text(starts_at + timedelta(minutes=minutes)),
            "notes": notes or None,
            "patient_name": " ".join(
                filter(None, [patient.get("first_name"), patient.get("last_name")])),
            "cancelled_at": None, "cancellation_reason": None, "cancellation_note": None,
            "deleted_at": None, "did_not_arrive": False, "patient_arrived": False,
            "_practitioner_id": practitioner_id, "_appointment_type_id": type_id,
            "_patient_id": patient_id,
        }
        return appointment_id

    def _overlaps(self, practitioner_id: str, start: datetime, end: datetime,
                  ignore: Optional[str] = None) -> List[str]:
        return [a["id"] for a in self.live_appointments()
                if a["_practitioner_id"] == practitioner_id and a["id"] != ignore
                and _parse_time(a["starts_at"]) < end and start < _parse_time(a["ends_at"])]

    def available_starts(self, practitioner_id: str, type_id: str,
                         first: date, last: date) -> List[datetime]:
        minutes = timedelta(minutes=self.appointment_type_minutes[type_id])
        now = self.clock()
        starts = []
        day = first
        while day <= last:
            if day.weekday() in self.days:
                start = datetime.combine(day, self.opens, tzinfo=self.tz)
                close = datetime.combine(day, self.closes, tzinfo=self.tz)
                while start + minutes <= close:
                    if start > now and not self._overlaps(practitioner_id, start, start + minutes):
                        starts.append(start)
                    start += timedelta(minutes=15)
            day += timedelta(days=1)
        return starts

    def appointment_json(self, appointment: Dict[str, Any], base: str) -> Dict[str, Any]:
        shown = {k: v for k, v in appointment.items() if not k.startswith("_")}
        aid = appointment["id"]
        shown.update({
            "conflicts": {"links": {"self": f"{base}/individual_appointments/{aid}/conflicts"}},
            "appointment_type": _link(base, "appointment_types",
                                      appointment["_appointment_type_id"]),
            "business": _link(base, "businesses", self.business_id),
            "practitioner": _link(base, "practitioners", appointment["_practitioner_id"]),
            "patient": _link(base, "patients", appointment["_patient_id"]),
            "links": {"self": f"{base}/individual_appointments/{aid}"},
        })
        return shown


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timed out) is expected in these tests, not an error."""
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCliniko

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass

    # Plumbing --------------------------------------------------------------------------

    def _send(self, status: int, body: Optional[Dict[str, Any]] = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refused(self) -> Optional[Tuple[int, str]]:
        expected = "Basic " + base64.b64encode(f"{self.fake.api_key}:".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return 401, "Unauthorized"
        if not USER_AGENT.match(self.headers.get("User-Agent", "")):
            return 400, "A User-Agent of the form 'APP_VENDOR_NAME (APP_VENDOR_EMAIL)' is required"
        if "application/json" not in self.headers.get("Accept", ""):
            return 406, "Only application/json is supported"
        return None

    def _body(self) -> Dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        return json.loads(self.rfile.read(length))

    def _handle(self, method: str) -> None:
        fake = self.fake
        url = urlsplit(self.path)
        fake.requests.append((method, url.path))
        if fake.delay_seconds and fake.delay_only_on in (None, f"{method} {url.path}"):
            fake._released.wait(fake.delay_seconds)
        if fake.fail_status:
            self._send(fake.fail_status, {"message": "Service unavailable"})
            return
        refused = self._refused()
        if refused:
            self._send(refused[0], {"message": refused[1]})
            return
        query = parse_qs(url.query)
        path = url.path[len("/v1"):] if url.path.startswith("/v1/") else None
        base = f"http://{self.headers.get('Host')}/v1"
        for pattern, verb, action in ROUTES:
            match = re.fullmatch(pattern, path or "")
            if match and verb == method:
                try:
                    body = self._body() if method in ("POST", "PATCH", "PUT") else {}
                except ValueError:
                    self._send(400, {"message": "Body is not JSON"})
                    return
                with fake._lock:
                    status, payload = action(fake, base, query, body, *match.groups())
                self._send(status, payload)
                return
        self._send(404, {"message": "Not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def _filters(query: Dict[str, List[str]]) -> List[Tuple[str, str]]:
    """q[]=field:=value filters (only "equals" is needed here)."""
    pairs = []
    for text in query.get("q[]", []) + query.get("q", []):
        field, _, value = text.partition(":=")
        pairs.append((field, value))
    return pairs


def _available_times(fake, base, query, body, business_id, practitioner_id, type_id):
    if (business_id != fake.business_id or practitioner_id not in fake.practitioners
            or type_id not in fake.appointment_type_minutes):
        return 404, {"message": "Not found"}
    try:
        first = date.fromisoformat(query["from"][0])
        last = date.fromisoformat(query["to"][0])
    except (KeyError, ValueError):
        first = last = None
    today = fake.clock().astimezone(fake.tz).date()
    if first is None or last < first or (last - first).days > 7 or first < today:
        return 400, {"message": "Invalid time frame definition. "
                                "Please check from/to param limitations."}
    starts = fake.available_starts(practitioner_id, type_id, first, last)
    per_page = min(int(query.get("per_page", ["50"])[0]), 100)
    page = int(query.get("page", ["1"])[0])
    shown = starts[(page - 1) * per_page: page * per_page]
    path = (f"/businesses/{business_id}/practitioners/{practitioner_id}"
            f"/appointment_types/{type_id}/available_times")
    links = {"self": f"{base}{path}?from={first}&to={last}&page={page}"}
    if page * per_page < len(starts):
        links["next"] = f"{base}{path}?from={first}&to={last}&page={page + 1}"
    return 200, {"available_times": [{"appointment_start": _utc_text(s)} for s in shown],
                 "total_entries": len(starts), "links": links}


def _patient_json(patient, base):
    return {**patient, "links": {"self": f"{base}/patients/{patient['id']}"}}


def _list_patients(fake, base, query, body):
    found = [p for p in fake.patients.values()
             if all(str(p.get(field, "")) == value for field, value in _filters(query))]
    return 200, {"patients": [_patient_json(p, base) for p in found],
                 "total_entries": len(found), "links": {"self": f"{base}/patients?page=1"}}


def _create_patient(fake, base, query, body):
    errors = {field: ["can't be blank"] for field in ("first_name", "last_name")
              if not str(body.get(field) or "").strip()}
    if errors:
        return 422, {"message": "Validation failed", "errors": errors}
    patient = {"id": fake.new_id(), "first_name": body["first_name"],
               "last_name": body["last_name"], "email": body.get("email") or "",
               "accepted_privacy_policy": body.get("accepted_privacy_policy"),
               "patient_phone_numbers": [
                   {"phone_type": p.get("phone_type"), "number": p.get("number")}
                   for p in body.get("patient_phone_numbers") or []],
               "created_at": _utc_text(fake.clock())}
    fake.patients[patient["id"]] = patient
    return 201, _patient_json(patient, base)


def _list_appointments(fake, base, query, body):
    names = {"patient_id": "_patient_id", "practitioner_id": "_practitioner_id"}
    found = [a for a in fake.appointments.values() if not a["deleted_at"]
             and all(str(a.get(names.get(field, field))) == value
                     for field, value in _filters(query))]
    return 200, {"individual_appointments": [fake.appointment_json(a, base) for a in found],
                 "total_entries": len(found),
                 "links": {"self": f"{base}/individual_appointments?page=1"}}


def _create_appointment(fake, base, query, body):
    if fake.before_create:
        fake.before_create(fake)
    required = ("starts_at", "patient_id", "practitioner_id", "appointment_type_id", "business_id")
    errors = {field: ["can't be blank"] for field in required if not body.get(field)}
    if not errors:
        if str(body["business_id"]) != fake.business_id:
            errors["business_id"] = ["is invalid"]
        if str(body["practitioner_id"]) not in fake.practitioners:
            errors["practitioner_id"] = ["is invalid"]
        if str(body["appointment_type_id"]) not in fake.appointment_type_minutes:
            errors["appointment_type_id"] = ["is invalid"]
        if str(body["patient_id"]) not in fake.patients:
            errors["patient_id"] = ["is invalid"]
    if errors:
        return 422, {"message": "Validation failed", "errors": errors}
    start = _parse_time(body["starts_at"])
    end = start + timedelta(minutes=fake.appointment_type_minutes[str(body["appointment_type_id"])])
    if fake.refuse_double_booking and fake._overlaps(str(body["practitioner_id"]), start, end):
        return 422, {"message": "Validation failed",
                     "errors": {"starts_at": ["overlaps another appointment"]}}
    appointment_id = fake._store_appointment(
        str(body["practitioner_id"]), str(body["appointment_type_id"]), start,
        str(body["patient_id"]), body.get("notes") or "")
    return 201, fake.appointment_json(fake.appointments[appointment_id], base)


def _get_appointment(fake, base, query, body, appointment_id):
    appointment = fake.appointments.get(appointment_id)
    if appointment is None or appointment["deleted_at"]:
        return 404, {"message": "Not found"}
    return 200, fake.appointment_json(appointment, base)


def _conflicts(fake, base, query, body, appointment_id):
    appointment = fake.appointments.get(appointment_id)
    if appointment is None:
        return 404, {"message": "Not found"}
    clashes = fake._overlaps(appointment["_practitioner_id"], _parse_time(appointment["starts_at"]),
                             _parse_time(appointment["ends_at"]), ignore=appointment_id)
    return 200, {"conflicts": {"exist": bool(clashes)}}


def _cancel(fake, base, query, body, appointment_id):
    appointment = fake.appointments.get(appointment_id)
    if appointment is None or appointment["deleted_at"]:
        return 404, {"message": "Not found"}
    if body.get("cancellation_reason") not in (10, 20, 30, 40, 50, 60):
        return 422, {"message": "Validation failed",
                     "errors": {"cancellation_reason": ["is not included in the list"]}}
    appointment.update(cancelled_at=_utc_text(fake.clock()),
                       cancellation_reason=body["cancellation_reason"],
                       cancellation_note=body.get("cancellation_note"))
    return 204, None


def _delete(fake, base, query, body, appointment_id):
    appointment = fake.appointments.get(appointment_id)
    if appointment is None or appointment["deleted_at"]:
        return 404, {"message": "Not found"}
    appointment["deleted_at"] = _utc_text(fake.clock())
    return 204, None


ROUTES = [
    (r"/businesses/(\w+)/practitioners/(\w+)/appointment_types/(\w+)/available_times", "GET",
     _available_times),
    (r"/patients", "GET", _list_patients),
    (r"/patients", "POST", _create_patient),
    (r"/individual_appointments", "GET", _list_appointments),
    (r"/individual_appointments", "POST", _create_appointment),
    (r"/individual_appointments/(\w+)", "GET", _get_appointment),
    (r"/individual_appointments/(\w+)/conflicts", "GET", _conflicts),
    (r"/individual_appointments/(\w+)/cancel", "PATCH", _cancel),
    (r"/individual_appointments/(\w+)", "DELETE", _delete),
]
