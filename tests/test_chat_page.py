"""The website chat page in a real browser (Debian's Chromium driven by Playwright): the
page in the practice's look with the emergency notice, a conversation over socket.io with
buttons, and the same conversation after a reload. Screenshots go to tests/screenshots/."""

import json
import re
import os
import subprocess
import sys
from typing import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from scripts.stack import ROOT, wait_until_up

pytestmark = pytest.mark.conversation

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "tests" / "screenshots"
REPLY_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chat_page(assistant, tmp_path_factory) -> Iterator[str]:
    """The page server (`python -m web.server`) on the port whose origin Rasa accepts."""
    port = assistant.channels.web_port
    log = tmp_path_factory.mktemp("web") / "web.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "web.server"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "WEB_HOST": "127.0.0.1",
             "WEB_PORT": str(port), "RASA_PUBLIC_URL": assistant.url},
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", server, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture()
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 900, "height": 1000}).new_page()
        finally:
            browser.close()


def send(page, text: str) -> None:
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-new-message").press("Enter")


def bot_says(page, text: str):
    return expect(page.locator(".rw-response").filter(has_text=text).last)


def test_the_chat_page_runs_a_conversation_with_buttons_across_a_reload(assistant, chat_page, browser_page):
    page = browser_page
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(chat_page)

    expect(page.locator("h1")).to_have_text("Hein Viljoen Physiotherapy")
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("not for emergencies")
    expect(notice).to_contain_text("10177")
    expect(notice).to_contain_text("112")
    # The widget comes from this server, not a CDN.
    assert page.locator("script[src^='http']").count() == 0

    bot_says(page, "welcome to Hein Viljoen Physiotherapy").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(".rw-reply").filter(has_text="Tell you about my pain")).to_be_visible()

    send(page, "my lower back has been sore")
    bot_says(page, "Does the pain spread").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.locator(".rw-reply").filter(has_text="Down one leg").click()
    bot_says(page, "How did it start").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(SCREENSHOTS / "chat_page.png"), full_page=True)

    session = json.loads(page.evaluate("window.sessionStorage.getItem('chat_session')"))
    sender = session["session_id"]
    page.reload()
    # The same conversation, still on screen after the reload, and it carries on.
    bot_says(page, "How did it start").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.locator(".rw-reply").filter(has_text="Suddenly").click()
    bot_says(page, "How long have you had it").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(SCREENSHOTS / "chat_page_after_reload.png"), full_page=True)

    slots = assistant.slots(sender)
    assert slots["pain_location"] == "lower_back"
    assert slots["pain_radiates"] == "leg" and slots["onset"] == "sudden"
    inputs = [e["input_channel"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]
    assert set(inputs) == {"socketio"}

    # The rest of the triage on the page: typed answers, then the yes/no buttons.
    for answer, next_question in [
        ("about 3 weeks", "how bad is it"), ("6", "better or worse"),
        ("sitting makes it worse", "hours are you sitting"),
        ("about 8 hours", "training or exercise changed"),
        ("I've been doing more gym", "safety questions"),
    ]:
        send(page, answer)
        bot_says(page, next_question).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    for next_question in ["pins and needles", "leg getting weaker", "fever or chills",
                          "ever had cancer", "serious fall", "chest pain", "Is that right?"]:
        # Exactly "No": "Rather not say" also contains the letters.
        page.locator(".rw-reply").filter(has_text=re.compile(r"^No$")).last.click()
        bot_says(page, next_question).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.locator(".rw-reply").filter(has_text="Yes, that's right").last.click()
    bot_says(page, "Would you like to book an assessment?").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(SCREENSHOTS / "chat_page_triage_done.png"), full_page=True)
    slots = assistant.slots(sender)
    assert slots["triage_level"] == "routine" and slots["booking_status"] == "offered"
    assert slots["check_chest_breathing"] is False


def test_a_red_flag_on_the_page_is_an_alert_with_numbers_to_tap(assistant, chat_page, browser_page):
    page = browser_page
    SCREENSHOTS.mkdir(exist_ok=True)
    posted = []  # what the page sends to socket.io, over long-polling and the websocket
    page.on("request", lambda request: posted.append(request.post_data or "")
            if "/socket.io/" in request.url and request.method == "POST" else None)
    page.on("websocket", lambda socket: socket.on(
        "framesent", lambda frame: posted.append(frame if isinstance(frame, str) else "")))
    page.goto(chat_page)
    bot_says(page, "welcome to Hein Viljoen Physiotherapy").to_be_visible(timeout=REPLY_TIMEOUT_MS)
    send(page, "my back is killing me and I wet myself this morning without feeling it")

    advice = page.locator(".rw-response.rw-alert").filter(has_text="emergency unit now")
    expect(advice).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(advice.locator('a[href="tel:10177"]')).to_have_text("10177")
    expect(advice.locator('a[href="tel:112"]')).to_have_text("112")
    assert advice.inner_text().startswith("\N{WARNING SIGN}")
    # The other replies stay plain bubbles.
    expect(page.locator(".rw-response:not(.rw-alert)").filter(has_text="welcome")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "chat_page_emergency.png"), full_page=True)
    # The page acknowledges the replies it got (socket.io ACK packets, "43<id>[...]"), so
    # one it does not get is kept for it (connectors/website.py, PageDelivery).
    assert any(re.search("(^|\x1e)43\\d+\\[", body) for body in posted), posted[-5:]
    page.set_viewport_size({"width": 390, "height": 844})
    advice.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "chat_page_emergency_phone.png"))
