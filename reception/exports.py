"""A conversation exported as PDF, CSV or a Rasa test story.

PDF and CSV can redact phone numbers and email addresses (POPIA: share only what the
reader needs); a redacted export names the conversation by a pseudonym, since a WhatsApp
conversation's id is the patient's number. The test story is written by Rasa's own story writer from the stored
events, so the team can drop it into tests/stories/ as a regression test.
"""

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List

import phonenumbers
from fpdf import FPDF

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Long runs of digits that phonenumbers does not accept as a number still identify people.
DIGIT_RUN = re.compile(r"\+?\d[\d ()-]{7,}\d")
# DejaVu (Debian's fonts-dejavu-core) covers most scripts; without it, Latin-1 core fonts.
FONT_DIR = Path(os.environ.get("RECEPTION_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))


def redact(text: Any) -> str:
    text = "" if text is None else str(text)
    text = EMAIL.sub("[email removed]", text)
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "ZA"))):
        text = text[:match.start] + "[phone removed]" + text[match.end:]
    return DIGIT_RUN.sub("[phone removed]", text)


def _clean(value: Any, redacted: bool) -> str:
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = "" if value is None else str(value)
    return redact(text) if redacted else text


def _when(item: Dict[str, Any]) -> str:
    return item["at"].strftime("%Y-%m-%d %H:%M:%S") if item.get("at") else ""


def _speaker(item: Dict[str, Any]) -> str:
    return {"user": "patient", "bot": "assistant", "session": "new session"}[item["kind"]]


def _line_text(item: Dict[str, Any]) -> str:
    if item["kind"] == "session":
        return ""
    text = item["text"]
    if item.get("button"):
        text = f"{item['button']} (button)"
    if item.get("buttons"):
        text += "  [options: " + " | ".join(item["buttons"]) + "]"
    return text


def csv_export(transcript: Dict[str, Any], redacted: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "speaker", "text", "intent", "red_flags", "channel"])
    for item in transcript["items"]:
        # Every cell we did not write ourselves: the channel name comes from the client too.
        from_client = (_line_text(item), item.get("intent") or "",
                       " ".join(item.get("red_flags") or []), item.get("channel") or "")
        writer.writerow([_when(item), _speaker(item)]
                        + [_csv_safe(_clean(cell, redacted)) for cell in from_client])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ (or a tab or carriage return before one) runs as a formula
    # in a spreadsheet; a leading quote keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_name(conversation_id: str, redacted: bool, pseudonym: str) -> str:
    """The conversation's name in an export's title and file name."""
    return f"redacted-{pseudonym}" if redacted else conversation_id


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=15)

    def write_line(self, text: str, bold: bool = False, size: int = 10,
                   color: tuple = (0, 0, 0)) -> None:
        family = "body" if self.unicode else "helvetica"
        if not self.unicode:
            # Core PDF fonts know Latin-1 only (machines without DejaVu installed).
            text = text.encode("latin-1", "replace").decode("latin-1")
        self.set_font(family, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def pdf_export(transcript: Dict[str, Any], redacted: bool, practice: str, name: str) -> bytes:
    """`name`: export_name() of the conversation."""
    conversation = transcript["conversation"]
    pdf = _Pdf()
    pdf.add_page()
    pdf.write_line(f"{practice}: conversation {name}", bold=True, size=14)
    started = conversation.started_at.strftime("%Y-%m-%d %H:%M") if conversation.started_at else ""
    pdf.write_line(f"Started {started} SAST via {conversation.channel or 'unknown channel'}")
    if redacted:
        pdf.write_line("Phone numbers and email addresses removed.")
    pdf.ln(3)
    pdf.write_line("Triage summary", bold=True, size=12)
    level = conversation.triage_level or "not assessed"
    pdf.write_line(f"Triage level: {level}", bold=level in ("emergency", "urgent"),
                   color=(170, 0, 0) if level in ("emergency", "urgent") else (0, 0, 0))
    pdf.write_line("Red flags: " + (", ".join(conversation.red_flags) or "none"))
    for label, value in transcript["form"] + transcript["checklist"]:
        if value is not None:
            pdf.write_line(f"{label}: {_clean(value, redacted)}")
    for entry in transcript["evidence"]:
        pdf.write_line(_clean(f"{entry.get('status')} {entry.get('flag')} ({entry.get('level')}): "
                              f"\"{entry.get('message')}\"; trigger {entry.get('trigger')}; "
                              f"source {entry.get('source')}", redacted), size=9)
    summary = transcript["slots"].get("triage_summary")
    if summary:
        pdf.write_line("Confirmed summary: " + _clean(summary, redacted))
    pdf.ln(3)
    pdf.write_line("Conversation", bold=True, size=12)
    for item in transcript["items"]:
        if item["kind"] == "session":
            pdf.write_line(f"{_when(item)}  new session", size=8, color=(100, 100, 100))
            continue
        flagged = item.get("red_flags")
        prefix = f"{_when(item)}  {_speaker(item)}"
        if flagged:
            prefix += "  RED FLAG: " + ", ".join(flagged)
        pdf.write_line(prefix, size=8, bold=bool(flagged),
                       color=(170, 0, 0) if flagged else (100, 100, 100))
        pdf.write_line(_clean(_line_text(item), redacted))
    return bytes(pdf.output())


def story_export(name: str, events: List[Dict[str, Any]], redacted: bool) -> str:
    """A Rasa test story of the stored events (Rasa's own writer, so its format is right)."""
    from rasa.shared.core.events import Event
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.core.training_data.structures import Story

    if redacted:
        events = [_redact_event(e) for e in events]
    parsed = [event for event in map(Event.from_parameters, events) if event]
    story = Story.from_events(parsed, f"reception export {name}")
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)


def _redact_event(event: Dict[str, Any]) -> Dict[str, Any]:
    if event.get("event") == "user" and event.get("text"):
        return {**event, "text": redact(event["text"])}
    if event.get("event") == "slot" and isinstance(event.get("value"), str):
        return {**event, "value": redact(event["value"])}
    return event
