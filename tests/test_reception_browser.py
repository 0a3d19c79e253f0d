"""A member of staff, in Chromium, reviews a conversation just held over the REST channel.

The conversation goes through the real Rasa and action servers (the `assistant` fixture);
the reception app reads that server's tracker store. Screenshots go to tests/screenshots/.
"""

import io
import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from scripts.wait_for_port import free_port
from tests.reception_support import PASSWORD, ROOT, ReceptionServer, logged_in

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RED_FLAG_MESSAGE = "I can't feel my bum when I wipe and can't pee"
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)><script>alert(2)</script> my back hurts"

pytestmark = pytest.mark.conversation


@pytest.fixture(scope="module")
def held(assistant, tmp_path_factory):
    """Two conversations over REST: a red-flag emergency, and one typed with HTML in it."""
    emergency, hostile = assistant.new_sender(), assistant.new_sender()
    assistant.say(emergency, "hi")
    assistant.say(emergency, RED_FLAG_MESSAGE)
    slots = assistant.slots(emergency)
    assert slots["triage_level"] == "emergency" and "cauda_equina" in slots["red_flags"]
    assistant.say(hostile, HOSTILE_MESSAGE)
    workdir = tmp_path_factory.mktemp("reception-browser")
    with ReceptionServer(assistant.tracker_db_url, assistant.practice_db_url, workdir) as server:
        result = server.users("add", "hein", "--role", "owner", password=PASSWORD)
        assert result.returncode == 0, result.stderr
        yield server, emergency, hostile


@pytest.fixture(scope="module")
def dialogs():
    """Every alert/confirm the page opened: a script a patient typed would show up here."""
    return []


@pytest.fixture(scope="module")
def page(held, dialogs):
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        context.close()
        browser.close()


def test_staff_review_a_red_flag_conversation_and_export_it(held, page, tmp_path):
    server, emergency, hostile = held
    page.goto(server.url + "/")
    expect(page).to_have_url(server.url + "/login?next=%2F")
    page.fill("input[name=username]", "hein")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:text('Log in')")
    row = page.locator(f"#conversations tr:has(a[href='/conversations/{emergency}'])")
    expect(row).to_be_visible()
    expect(row.locator("td.level")).to_have_text("emergency")
    expect(row).to_contain_text("cauda_equina")
    expect(row).to_contain_text("rest")
    # The emergency is listed before anything routine or unassessed.
    first_level = page.locator("#conversations tbody tr td.level").first
    expect(first_level).to_have_text("emergency")
    page.check("input[name=red_flags]")
    page.fill("input[name=q]", "wipe")
    page.click("button:text('Show')")
    # Other tests share this tracker store: check what the filter keeps and drops.
    expect(page.locator("#status")).not_to_contain_text("Loading")
    expect(row).to_be_visible()
    expect(page.locator(f"#conversations tr:has(a[href='/conversations/{hostile}'])")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "reception-list.png"), full_page=True)

    page.click(f"a[href='/conversations/{emergency}']")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Triage level: emergency")
    expect(summary).to_contain_text("cauda_equina")
    highlighted = page.locator("#transcript li.red-flag")
    expect(highlighted).to_contain_text(RED_FLAG_MESSAGE)
    page.screenshot(path=str(SCREENSHOTS / "reception-conversation.png"), full_page=True)

    page.click("button:text('Mark reviewed')")
    expect(page.locator("#reviewed-state")).to_have_text("Reviewed by hein")

    with page.expect_download() as download_info:
        page.click("a:text-is('PDF')")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data[:5] == b"%PDF-"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert RED_FLAG_MESSAGE in text and "emergency" in text

    page.goto(server.url + "/dashboard")
    expect(page.locator("svg")).to_have_count(4)
    page.screenshot(path=str(SCREENSHOTS / "reception-dashboard.png"), full_page=True)

    page.goto(server.url + "/?unreviewed=1")
    expect(page.locator("#status")).to_contain_text("conversation")
    expect(page.locator(f"a[href='/conversations/{emergency}']")).to_have_count(0)


def test_html_a_patient_typed_is_shown_as_text(held, page, dialogs):
    server, _, hostile = held
    page.goto(f"{server.url}/conversations/{hostile}")
    if page.url.startswith(server.url + "/login"):
        page.fill("input[name=username]", "hein")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:text('Log in')")
    message = page.locator("#transcript li.user p.text").first
    expect(message).to_have_text(HOSTILE_MESSAGE)
    assert page.locator("#transcript img").count() == 0
    assert dialogs == []
    page.screenshot(path=str(SCREENSHOTS / "reception-hostile-text.png"), full_page=True)


def test_an_exported_conversation_passes_as_a_rasa_test_story(held, tmp_path):
    """The export is meant to become a regression test: `rasa test` must accept it as is."""
    server, emergency, _ = held
    staff = logged_in(server, "hein")
    story = staff.get(f"/conversations/{emergency}/export/yml")
    assert story.status_code == 200
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "test_exported.yml").write_text(story.text)
    # Predictions only: no action runs, so the action endpoint need not answer.
    env = {**os.environ, "ACTION_PORT": str(free_port()), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rasa"), "test", "core", "--stories", str(stories),
         "--model", str(ROOT / "models" / "triage.tar.gz"), "--endpoints", "endpoints.yml",
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed


def test_a_new_emergency_reaches_the_open_reception_page_without_a_reload(held, page,
                                                                         assistant):
    server, _, _ = held
    page.goto(server.url + "/")
    if "/login" in page.url:
        page.fill("input[name=username]", "hein")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:text('Log in')")
    expect(page.locator("#status")).to_contain_text("conversation")
    sender = assistant.new_sender()
    assistant.say(sender, RED_FLAG_MESSAGE)  # answered, and stored, before it returns
    alert = page.locator(f"#alerts a[href='/conversations/{sender}']")
    expect(alert).to_be_visible(timeout=5000)
    expect(alert).to_contain_text("Emergency on rest")
    expect(page.locator(f"#conversations a[href='/conversations/{sender}']")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "reception_live_alert.png"))
    # A routine conversation raises nothing.
    routine = assistant.new_sender()
    assistant.say(routine, "my neck is a bit stiff")
    page.wait_for_timeout(4500)  # a poll later
    page.click("button:text('Show')")
    expect(page.locator(f"#conversations a[href='/conversations/{routine}']")).to_be_visible()
    expect(page.locator(f"#alerts a[href='/conversations/{routine}']")).to_have_count(0)
