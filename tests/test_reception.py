"""The reception app over HTTP, against a tracker store in SQLite and in PostgreSQL.

Conversations are written with Rasa's own SQLTrackerStore (the table the Rasa server
writes); call-back requests and bookings are rows in the practice database. The app runs
as a real process; staff accounts are made with its command.
"""

import csv
import datetime
import io
import json
import secrets
import time
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa
from hypothesis import example, given, settings, strategies as st
from pypdf import PdfReader
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from actions.booking.store import bookings
from actions.callbacks import callback_requests, metadata as practice_metadata, \
    unanswered_questions
from connectors.outbox import metadata as outbox_metadata, outbox
from tests.reception_support import (
    PASSWORD, ReceptionServer, Staff, databases, logged_in, sample_conversations,
    save_conversation, tracker_store, user)


class Site:
    def __init__(self, server, ids, engine, practice, clients):
        self.server, self.ids, self.engine, self.practice = server, ids, engine, practice
        self.staff, self.owner, self.idle, self.leaver = clients


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"reception-{request.param}")
    with databases(request.param, workdir) as (tracker_url, practice_url):
        store = tracker_store(tracker_url)
        ids = sample_conversations(store)
        store.engine.dispose()
        practice = sa.create_engine(practice_url, future=True)
        practice_metadata.create_all(practice)
        now = datetime.datetime.now(datetime.timezone.utc)
        with practice.begin() as connection:
            for sender, reference, name in ((ids["emergency"], "CB-ABC234", "Thandi Mokoena"),
                                            (ids["old"], "CB-OLD234", "Old Patient")):
                connection.execute(callback_requests.insert().values(
                    reference=reference, sender_id=sender, name=name, phone="+27821234567",
                    reason="red flag", triage_level="emergency", red_flags="[]",
                    triage_summary="", created_at=now, status="open"))
            start = now.replace(tzinfo=None, microsecond=0) + datetime.timedelta(days=2)
            connection.execute(bookings.insert().values(
                reference="BK-ROUTINE", status="confirmed", backend="calendar",
                practitioner_id="hein", practitioner_name="Hein Viljoen",
                appointment_type="initial",
                start_utc=start, end_utc=start + datetime.timedelta(minutes=45),
                patient_name="Sipho Dlamini", phone_e164="+27831234567", consent_at=now,
                triage_summary="lower back", triage_details="{}", idempotency_key="routine-test",
                conversation_id=ids["routine"], channel="rest", created_at=now, updated_at=now))
        outbox_metadata.create_all(practice)
        with practice.begin() as connection:
            written = now.replace(tzinfo=None)
            for key, (conversation, status, attempts, error, words) in enumerate((
                    (ids["routine"], "pending", 3, "HTTP 503", "Here's what I've noted so far"),
                    (ids["script"], "sent", 1, None, "Thanks, that's everything I need"),
                    (ids["emergency"], "failed", 1, "HTTP 400", "Please call 10177 now"))):
                channel, request = ("twilio", {"to": conversation, "body": words}) if key \
                    else ("socketio", {"text": words})  # a chat page that went away
                connection.execute(outbox.insert().values(
                    idempotency_key=f"key-{key}", channel=channel, conversation_id=conversation,
                    request=json.dumps(request), status=status,
                    attempts=attempts, last_error=error, created_at=written,
                    next_attempt_at=written))
        try:
            with ReceptionServer(tracker_url, practice_url, workdir) as server:
                for username, role in (("sipho", "staff"), ("hein", "owner"), ("idle", "staff"),
                                       ("leaver", "staff")):
                    result = server.users("add", username, "--role", role, password=PASSWORD)
                    assert result.returncode == 0, result.stderr
                # Logged in now: the rate-limit test at the end blocks new logins from this address.
                clients = [logged_in(server, name) for name in ("sipho", "hein", "idle", "leaver")]
                engine = sa.create_engine(tracker_url, future=True)
                yield Site(server, ids, engine, practice, clients)
                engine.dispose()
        finally:
            practice.dispose()


def listed(site, **params):
    response = site.staff.get("/api/conversations", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


def test_every_page_sends_an_anonymous_visitor_to_the_login_page(site):
    cid = site.ids["emergency"]
    for path in ("/", "/dashboard", f"/conversations/{cid}", f"/conversations/{cid}/export/pdf",
                 f"/conversations/{cid}/export/csv", f"/conversations/{cid}/export/yml"):
        response = requests.get(site.server.url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 302, path
        assert response.headers["location"].startswith("/login?next="), path


def test_the_api_answers_401_to_anonymous_requests(site):
    for path in ("/api/conversations", f"/api/conversations/{site.ids['emergency']}"):
        response = requests.get(site.server.url + path, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"error": "login required"}


def test_anonymous_forms_change_nothing(site):
    cid = site.ids["script"]
    for path, data in ((f"/conversations/{cid}/review", {"reviewed": "1"}),
                       (f"/conversations/{cid}/notes", {"text": "hello"}),
                       (f"/conversations/{cid}/tags", {"tag": "x"}), ("/logout", {})):
        response = requests.post(site.server.url + path, data=data, allow_redirects=False,
                                 timeout=10)
        assert response.status_code == 401, path
    conversation = site.staff.get(f"/api/conversations/{cid}").json()["conversation"]
    assert not conversation["reviewed"] and conversation["tags"] == []


def test_emergencies_and_urgent_come_first_with_the_patient_details(site):
    ids = site.ids
    assert listed(site) == [ids["emergency"], ids["script"], ids["routine"], ids["old"]]
    rows = {c["id"]: c for c in site.staff.get("/api/conversations").json()["conversations"]}
    emergency = rows[ids["emergency"]]
    assert emergency["channel"] == "rest"
    assert emergency["patient_name"] == "Thandi Mokoena"
    assert emergency["phone"] == "+27821234567"
    assert emergency["red_flags"] == ["cauda_equina"]
    assert emergency["callback_reference"] == "CB-ABC234"
    routine = rows[ids["routine"]]
    # The booking row wins over the slot: the booking was confirmed after the offer.
    assert (routine["booking_status"], routine["booking_reference"]) == ("confirmed", "BK-ROUTINE")
    assert routine["patient_name"] == "Sipho Dlamini"
    assert routine["channel"] == "socketio"


def test_replies_that_did_not_reach_the_patient_are_shown_emergencies_first(site):
    page = site.staff.get("/").text
    assert "Messages not delivered" in page
    emergency, retrying = page.index("Please call 10177 now"), page.index("Here&#39;s what I&#39;ve noted")
    assert emergency < retrying
    assert "HTTP 400" in page and "being retried (3 tries so far)" in page
    assert "Thanks, that&#39;s everything I need" not in page  # delivered
    assert f'/conversations/{quote(site.ids["emergency"], safe="")}' in page


def test_alerts_tell_an_open_page_of_escalations_since_it_last_asked(site):
    ids, now = site.ids, time.time()
    first = site.staff.get("/api/alerts").json()
    assert first["alerts"] == [] and first["now"] < now  # the next poll looks back a little

    def alerted(since):
        response = site.staff.get("/api/alerts", params={"since": since})
        assert response.status_code == 200, response.text
        return [(a["id"], a["kind"]) for a in response.json()["alerts"]]
    # The sample's emergency (with its call back) began an hour ago, the urgent one 10 min ago.
    assert alerted(now - 4000) == [(ids["emergency"], "emergency"), (ids["script"], "urgent")]
    assert alerted(now - 1000) == [(ids["script"], "urgent")]
    assert alerted(now) == []
    assert site.staff.get("/api/alerts", params={"since": "soon"}).status_code == 400
    assert requests.get(site.server.url + "/api/alerts", timeout=10).status_code == 401


def test_filters_and_search(site):
    ids = site.ids
    assert set(listed(site, red_flags="1")) == {ids["emergency"], ids["script"]}
    assert listed(site, channel="socketio") == [ids["routine"]]
    assert listed(site, callback="1") == [ids["emergency"], ids["old"]]
    today = datetime.date.today()
    recent = listed(site, **{"from": (today - datetime.timedelta(days=30)).isoformat(),
                             "to": (today + datetime.timedelta(days=1)).isoformat()})
    assert ids["old"] not in recent and ids["emergency"] in recent
    assert listed(site, q="desk") == [ids["routine"]]
    assert listed(site, q="mokoena") == [ids["emergency"]]
    assert listed(site, q="CB-ABC234") == [ids["emergency"]]
    page = site.staff.get("/api/conversations", params={"limit": "1"}).json()
    assert page["count"] == 4 and [c["id"] for c in page["conversations"]] == [ids["emergency"]]


def test_search_input_with_sql_fragments_is_harmless(site):
    for fragment in ("' OR '1'='1", "%", "_", "'; DROP TABLE events; --", '" OR 1=1 --',
                     "\\", "1; DELETE FROM reception_users"):
        assert listed(site, q=fragment) == [], fragment
    assert len(listed(site)) == 4
    with site.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() > 0
        assert connection.execute(sa.text("SELECT count(*) FROM reception_users")).scalar() == 4


def test_bad_filters_get_a_clear_400(site):
    response = site.staff.get("/api/conversations", params={"from": "yesterday"})
    assert response.status_code == 400
    assert "from must be a date" in response.json()["error"]
    response = site.staff.get("/api/conversations", params={"q": "x" * 300})
    assert response.status_code == 400
    response = site.staff.get("/api/conversations", params={"limit": "-1 OR 1=1"})
    assert response.status_code == 400 and "limit must be" in response.json()["error"]
    response = site.staff.get("/api/conversations/" + "x" * 300)
    assert response.status_code == 404


FILTER_NAMES = st.sampled_from(["q", "channel", "from", "to", "red_flags", "unreviewed",
                                 "callback", "limit", "other"])
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(FILTER_NAMES, ANY_TEXT, max_size=5))
@example(params={"limit": "¹"})  # a digit to str.isdigit(), not to int()
def test_any_filter_input_gets_an_answer_never_a_crash(site, params):
    response = site.staff.get("/api/conversations", params=params)
    assert response.status_code in (200, 400), response.text
    assert "error" in response.json() if response.status_code == 400 else "count" in response.json()


def test_a_form_without_the_csrf_token_is_refused(site):
    cid = site.ids["script"]
    response = site.staff.post(f"/conversations/{cid}/review", {"reviewed": "1"},
                               with_csrf=False)
    assert response.status_code == 403
    response = site.staff.post(f"/conversations/{cid}/review",
                               {"reviewed": "1", "csrf_token": "forged"}, with_csrf=False)
    assert response.status_code == 403
    assert not site.staff.get(f"/api/conversations/{cid}").json()["conversation"]["reviewed"]
    # Another session's token is no good either.
    response = site.staff.post(f"/conversations/{cid}/review",
                               {"reviewed": "1", "csrf_token": site.owner.csrf}, with_csrf=False)
    assert response.status_code == 403
    login = Staff(site.server.url)
    login.get("/login")
    response = login.post("/login", {"username": "sipho", "password": PASSWORD},
                          with_csrf=False)
    assert response.status_code == 403


def test_patient_html_and_script_are_shown_as_text(site):
    response = site.staff.get(f"/conversations/{site.ids['script']}")
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;img src=x" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_review_note_tag_and_the_audit_log(site):
    cid = site.ids["emergency"]
    page = site.staff.get(f"/conversations/{cid}")
    assert 'id="summary"' in page.text and "cauda_equina" in page.text
    assert site.staff.post(f"/conversations/{cid}/review", {"reviewed": "1"}).status_code == 303
    assert site.staff.post(f"/conversations/{cid}/notes",
                           {"text": "Phoned Thandi, she is on her way to casualty"}
                           ).status_code == 303
    assert site.staff.post(f"/conversations/{cid}/tags", {"tag": "Called back"}).status_code == 303
    data = site.staff.get(f"/api/conversations/{cid}").json()
    assert data["conversation"]["reviewed"] and data["conversation"]["reviewed_by"] == "sipho"
    assert data["conversation"]["tags"] == ["called back"]
    assert data["notes"][0]["text"] == "Phoned Thandi, she is on her way to casualty"
    assert cid not in listed(site, unreviewed="1")
    assert site.staff.get(f"/conversations/{cid}/export/csv").status_code == 200
    with site.engine.connect() as connection:
        actions = [row.action for row in connection.execute(sa.text(
            "SELECT action FROM reception_audit_log WHERE username = 'sipho' "
            "AND conversation_id = :cid ORDER BY id"), {"cid": cid})]
    assert actions[:1] == ["view"]
    assert {"reviewed", "note", "tag", "view_api", "export_csv"} <= set(actions)
    # A note bigger than allowed is refused with a reason, not stored.
    response = site.staff.post(f"/conversations/{cid}/notes", {"text": "x" * 2001})
    assert response.status_code == 400


def test_exports_pdf_csv_and_a_rasa_test_story(site):
    cid = site.ids["emergency"]
    pdf = site.staff.get(f"/conversations/{cid}/export/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "I can't feel my bum when I wipe and can't pee" in text
    assert "082 123 4567" in text and "emergency" in text
    redacted = site.staff.get(f"/conversations/{cid}/export/pdf", params={"redact": "1"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(redacted.content)).pages)
    assert "082 123 4567" not in text and "+27821234567" not in text
    assert "[phone removed]" in text
    csv_text = site.staff.get(f"/conversations/{site.ids['routine']}/export/csv",
                              params={"redact": "1"}).text
    assert "sipho.dlamini@example.com" not in csv_text and "[email removed]" in csv_text
    assert "No (button)" in csv_text
    # A spreadsheet must not run what a patient typed as a formula.
    texts = [row["text"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in texts
    assert not any(text.startswith("=") for text in texts)
    story = site.staff.get(f"/conversations/{cid}/export/yml").text
    steps = YAMLStoryReader().read_from_string(story)
    assert len(steps) == 1
    events = steps[0].events
    assert [e.text for e in events if e.type_name == "user"][1] == \
        "I can't feel my bum when I wipe and can't pee"
    assert any(e.type_name == "slot" and e.key == "triage_level" and e.value == "emergency"
               for e in events)


def test_the_dashboard_is_for_the_owner(site):
    assert site.staff.get("/dashboard").status_code == 403
    page = site.owner.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4
    assert "Conversations per day by channel" in page.text
    assert "<title>Red flags by family</title>" in page.text
    assert ">cauda equina</text>" in page.text and ">infection</text>" in page.text


def test_the_dashboard_lists_the_questions_the_assistant_could_not_answer(site):
    now = datetime.datetime.utcnow()
    with site.practice.begin() as connection:
        connection.execute(unanswered_questions.insert(), [
            {"asked_at": now - datetime.timedelta(hours=1),
             "question": "do you do home visits in Somerset West?", "outcome": "not_covered",
             "closest_topics": ""},
            {"asked_at": now - datetime.timedelta(minutes=5),
             "question": "is the needle thing ok if I'm on warfarin?", "outcome": "not_sure",
             "closest_topics": "dn_who_not,dn_side_effects"},
            {"asked_at": now - datetime.timedelta(days=400),
             "question": "an old question from last season", "outcome": "not_sure",
             "closest_topics": "dn_what"},
        ])
    page = site.owner.get("/dashboard").text
    assert "Questions the assistant could not answer" in page
    newest, older = page.index("warfarin"), page.index("home visits in Somerset West")
    assert newest < older and "not covered: sent to reception" in page
    assert "Who shouldn&#39;t have dry needling?; Are there side effects?" in page
    assert "an old question from last season" not in page
    assert site.staff.get("/dashboard").status_code == 403


def test_an_idle_session_is_logged_out(site):
    assert site.idle.get("/").status_code == 200
    with site.engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE reception_sessions SET last_seen = :old WHERE user_id = "
            "(SELECT id FROM reception_users WHERE username = 'idle')"),
            {"old": datetime.datetime.utcnow() - datetime.timedelta(hours=1)})
    response = site.idle.get("/")
    assert response.status_code == 302 and response.headers["location"].startswith("/login")
    assert site.idle.get("/api/conversations").status_code == 401


def test_a_session_ends_after_a_working_day_however_active(site):
    assert site.leaver.get("/api/conversations").status_code == 200
    with site.engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE reception_sessions SET created_at = :old WHERE user_id = "
            "(SELECT id FROM reception_users WHERE username = 'leaver')"),
            {"old": datetime.datetime.utcnow() - datetime.timedelta(hours=13)})
    assert site.leaver.get("/api/conversations").status_code == 401


def test_logout_ends_the_session(site):
    visitor = logged_in(site.server, "sipho")
    assert visitor.get("/api/conversations").status_code == 200
    assert visitor.post("/logout", {}).status_code == 303
    assert visitor.get("/api/conversations").status_code == 401
    assert site.staff.get("/api/conversations").status_code == 200  # other sessions live on


def test_login_never_redirects_off_site(site):
    visitor = Staff(site.server.url)
    visitor.get("/login")
    response = visitor.post("/login", {"username": "sipho", "password": PASSWORD,
                                       "next": "//evil.example/phish"})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_the_users_command_refuses_weak_passwords_and_lists_users(site):
    result = site.server.users("add", "newbie", password="short")
    assert result.returncode != 0 and "at least 10 characters" in result.stderr
    result = site.server.users("list")
    assert "hein\towner" in result.stdout and "newbie" not in result.stdout


def test_purge_is_a_dry_run_until_applied(site):
    old = site.ids["old"]
    result = site.server.command("reception.purge", "--days", "365")
    assert result.returncode == 0, result.stderr
    assert "1 conversations" in result.stdout and "Dry run" in result.stdout
    assert old in listed(site)
    result = site.server.command("reception.purge", "--days", "365", "--apply")
    assert result.returncode == 0 and "Deleted 1 conversations" in result.stdout
    assert old not in listed(site) and len(listed(site)) == 3
    with site.practice.connect() as connection:
        senders = {row.sender_id for row in connection.execute(sa.select(callback_requests))}
    assert old not in senders and site.ids["emergency"] in senders
    assert site.server.command("reception.purge").returncode != 0  # no days: refuses


def test_wrong_passwords_are_rate_limited(site):
    # Runs last for each database: it locks this address out of logging in.
    attacker = Staff(site.server.url)
    for _ in range(5):
        attacker.get("/login")
        assert attacker.post("/login", {"username": "sipho", "password": "guess" + secrets.token_hex(3)}
                             ).status_code == 401
    attacker.get("/login")
    response = attacker.post("/login", {"username": "sipho", "password": PASSWORD})
    assert response.status_code == 429 and "Too many failed logins" in response.text
    assert "reception_session" not in attacker.cookies
    # Guessing across many names from one address is limited too.
    for i in range(20):
        attacker.get("/login")
        attacker.post("/login", {"username": f"guess{i}", "password": "nope-nope-nope"})
    attacker.get("/login")
    response = attacker.post("/login", {"username": "hein", "password": PASSWORD})
    assert response.status_code == 429


def test_ids_with_colons_plus_and_slashes_open_and_take_actions(site):
    # After the rate-limit test: adds a conversation, and needs only the logged-in owner.
    sender = "whatsapp:+27821234567/1"
    store = tracker_store(str(site.engine.url))
    save_conversation(store, sender, [user("sore neck", time.time(), channel="twilio")])
    store.engine.dispose()
    path = "/conversations/" + quote(sender, safe="")
    page = site.owner.get(path)
    assert page.status_code == 200 and "sore neck" in page.text
    assert f'action="{path}/review"' in page.text
    response = site.owner.post(path + "/review", {"reviewed": "1"})
    assert response.status_code == 303 and response.headers["location"] == path
    api = site.owner.get("/api/conversations/" + quote(sender, safe="")).json()
    assert api["conversation"]["reviewed"] and api["conversation"]["channel"] == "twilio"
    assert site.owner.get(path + "/export/csv").status_code == 200
    # The id is the patient's WhatsApp number: a redacted export names it by a pseudonym.
    names = set()
    for kind in ("pdf", "csv", "yml"):
        export = site.owner.get(f"{path}/export/{kind}", params={"redact": "1"})
        assert export.status_code == 200
        disposition = export.headers["content-disposition"]
        body = ("".join(page.extract_text() for page in PdfReader(io.BytesIO(export.content)).pages)
                if kind == "pdf" else export.text)
        assert "821234567" not in disposition + body, kind
        names.add(disposition.split('filename="')[1].rsplit(".", 1)[0].replace("test_", ""))
    assert len(names) == 1 and names.pop().startswith("redacted-")


def test_no_csv_cell_runs_as_a_formula(site):
    # After the rate-limit test: the channel name is the client's choice, like the text.
    sender = f"formula-{secrets.token_hex(4)}"
    store = tracker_store(str(site.engine.url))
    save_conversation(store, sender, [
        user("@SUM(1+1)*cmd|' /C calc'!A0", time.time(), intent="-2+3",
             channel='=HYPERLINK("http://evil.example","x")'),
        user("\t=1+1", time.time() + 1, channel="+27821234567")])
    store.engine.dispose()
    csv_text = site.owner.get(f"/conversations/{sender}/export/csv").text
    cells = [cell for row in list(csv.reader(io.StringIO(csv_text)))[1:] for cell in row]
    assert cells and not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


def test_reception_started_before_rasa_shows_an_empty_list(tmp_path):
    empty = f"sqlite:///{tmp_path / 'tracker.db'}"
    with ReceptionServer(empty, f"sqlite:///{tmp_path / 'practice.db'}", tmp_path) as server:
        assert server.users("add", "hein", "--role", "owner", password=PASSWORD).returncode == 0
        owner = logged_in(server, "hein")
        response = owner.get("/api/conversations")
        assert response.status_code == 200 and response.json()["count"] == 0
        assert owner.get("/api/conversations/nobody").status_code == 404
        dashboard = owner.get("/dashboard")
        assert dashboard.status_code == 200 and "No data yet" in dashboard.text
    with sa.create_engine(empty).connect() as connection:
        assert not sa.inspect(connection).has_table("events")  # Rasa's table is Rasa's to make
