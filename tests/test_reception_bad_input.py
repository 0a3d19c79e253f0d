"""Bad input to every page, form and API endpoint of the reception app gets a 4xx with a
reason (or is handled), never a 500, and a logged-in staff member still sees the list.

On PostgreSQL, the stricter of the two databases reception runs on (it refuses NUL characters
in text, where SQLite stores them), with a server of its own: the login checks here trip the
rate limit for this address, which test_reception.py needs free. Property-based input comes
from hypothesis, sent over HTTP.
"""

from types import SimpleNamespace
from urllib.parse import quote, quote_from_bytes

import pytest
import requests
from hypothesis import assume, example, given, settings, strategies as st

from tests.reception_support import (
    PASSWORD, ReceptionServer, Staff, databases, logged_in, sample_conversations, tracker_store)

SETTINGS = settings(max_examples=25, deadline=None)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
CONTENT_TYPES = st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
    "application/json", "text/plain", "application/octet-stream"])
FILTER_NAMES = st.sampled_from(["q", "channel", "from", "to", "red_flags", "unreviewed",
                                "callback", "limit", "redact", "next"])
# Query strings as a person or a script might mangle them by hand.
MANGLED_QUERIES = st.lists(
    st.sampled_from(list("%&=;+?/ aZ0\x00é") + ["%ff", "%00", "q=", "limit="]), max_size=20
).map("".join)
SAMPLE_CONVERSATIONS = 4


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """The reception app over the sample conversations, with one staff member logged in."""
    workdir = tmp_path_factory.mktemp("reception-bad-input")
    with databases("postgresql", workdir) as (tracker_url, practice_url):
        store = tracker_store(tracker_url)
        ids = sample_conversations(store)
        store.engine.dispose()
        with ReceptionServer(tracker_url, practice_url, workdir) as server:
            result = server.users("add", "sipho", password=PASSWORD)
            assert result.returncode == 0, result.stderr
            yield SimpleNamespace(server=server, ids=ids, staff=logged_in(server, "sipho"))


def assert_still_serving(desk) -> None:
    listing = desk.staff.get("/api/conversations")
    assert listing.status_code == 200, listing.text
    assert listing.json()["count"] == SAMPLE_CONVERSATIONS
    assert desk.staff.get("/").status_code == 200


def assert_refused_with_a_reason(response: requests.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.text.strip()


def test_the_login_form_refuses_odd_fields_and_staff_stay_logged_in(desk):
    visitor = Staff(desk.server.url)
    visitor.get("/login")  # the form's CSRF token, bound to the cookie it sets

    @SETTINGS
    @given(fields=st.dictionaries(st.sampled_from(["username", "password", "next"]) | ANY_TEXT,
                                  ANY_TEXT, max_size=4))
    @example(fields={"username": "sipho\x00", "password": PASSWORD})
    def login(fields):
        response = visitor.post("/login", fields)
        # Wrong name or password; NUL refused; after 20 failures, every login from here.
        assert_refused_with_a_reason(response, 400, 401, 429)

    login()
    assert_still_serving(desk)


def test_bodies_of_any_kind_posted_to_the_forms_never_crash_the_app(desk):
    cid = desk.ids["script"]
    staff = desk.staff

    @SETTINGS
    @given(form=st.sampled_from(["review", "notes", "tags"]), body=st.binary(max_size=300),
           content_type=CONTENT_TYPES)
    @example(form="notes", body=b"text=\xff\xfe", content_type="application/x-www-form-urlencoded")
    @example(form="tags", body=b"--x\r\n\xff", content_type="multipart/form-data; boundary=x")
    def staff_form(form, body, content_type):
        response = requests.post(
            f"{staff.base}/conversations/{cid}/{form}", data=body, cookies=staff.cookies,
            headers={"Content-Type": content_type, "X-CSRF-Token": staff.csrf},
            allow_redirects=False, timeout=30)
        if response.status_code != 303:  # handled: e.g. a body that parses as a note
            assert_refused_with_a_reason(response, 400)

    @SETTINGS
    @given(body=st.binary(max_size=300), content_type=CONTENT_TYPES)
    def login(body, content_type):
        response = requests.post(f"{staff.base}/login", data=body, timeout=30,
                                 headers={"Content-Type": content_type}, allow_redirects=False)
        assert_refused_with_a_reason(response, 400, 403)

    staff_form()
    login()
    huge_note = staff.post(f"/conversations/{cid}/notes", {"text": "x" * 2_000_000})
    assert_refused_with_a_reason(huge_note, 400)
    assert_still_serving(desk)


def test_notes_and_tags_with_any_text_are_kept_as_written_or_refused(desk):
    cid = desk.ids["routine"]
    staff = desk.staff
    notes, tags = [], set()

    @SETTINGS
    @given(text=ANY_TEXT)
    @example(text="Phoned back\x00")
    def note(text):
        response = staff.post(f"/conversations/{cid}/notes", {"text": text})
        if response.status_code == 303:
            notes.append(text.strip())
        else:
            assert_refused_with_a_reason(response, 400)

    @SETTINGS
    @given(tag=ANY_TEXT)
    @example(tag="called\x00")
    @example(tag="İ" * 40)  # 80 characters once lower-cased
    def tag(tag):
        response = staff.post(f"/conversations/{cid}/tags", {"tag": tag})
        if response.status_code == 303:
            tags.add(tag.strip().lower())
        else:
            assert_refused_with_a_reason(response, 400)

    note()
    tag()
    kept = staff.get(f"/api/conversations/{cid}").json()
    assert [n["text"] for n in kept["notes"]] == notes
    assert set(kept["conversation"]["tags"]) == tags
    assert_still_serving(desk)


def test_odd_conversation_ids_get_not_found_on_every_page_and_form(desk):
    staff = desk.staff

    @settings(max_examples=15, deadline=None)
    @given(conversation_id=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1,
                                   max_size=300))
    @example(conversation_id="a\x00b")
    def odd_id(conversation_id):
        assume(conversation_id not in (".", ".."))  # clients resolve these before asking
        path = "/conversations/" + quote(conversation_id, safe="")
        for response in (staff.get(path), staff.get("/api" + path), staff.get(path + "/export/csv"),
                         staff.post(path + "/review", {"reviewed": "1"}),
                         staff.post(path + "/notes", {"text": "a note"}),
                         staff.post(path + "/tags", {"tag": "a tag"})):
            assert_refused_with_a_reason(response, 400, 404)

    @SETTINGS
    @given(kind=ANY_TEXT.filter(lambda kind: kind not in ("pdf", "csv", "yml", "", ".", "..")))
    def odd_export(kind):
        response = staff.get(f"/conversations/{desk.ids['routine']}/export/{quote(kind, safe='')}")
        assert_refused_with_a_reason(response, 400, 404)

    odd_id()
    odd_export()
    assert_still_serving(desk)


def test_odd_query_strings_on_every_page_get_an_answer(desk):
    cid = desk.ids["emergency"]
    staff = desk.staff

    @SETTINGS
    @given(path=st.sampled_from(["/", "/api/conversations", "/login", f"/conversations/{cid}",
                                 f"/api/conversations/{cid}", f"/conversations/{cid}/export/csv"]),
           query=MANGLED_QUERIES | st.lists(st.tuples(FILTER_NAMES, st.binary(max_size=20)),
                                            max_size=4).map(lambda pairs: "&".join(
                                                f"{name}={quote_from_bytes(value)}"
                                                for name, value in pairs)))
    @example(path="/api/conversations", query="q=%ff%fe&limit=%00")  # not UTF-8; a NUL
    def odd_query(path, query):
        response = staff.get(f"{path}?{query}")
        if response.status_code == 200:
            return
        assert_refused_with_a_reason(response, 400)
        if path.startswith("/api/"):
            assert response.json()["error"]

    odd_query()
    assert_still_serving(desk)
