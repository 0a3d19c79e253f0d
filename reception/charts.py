"""The owner's dashboard: small bar charts drawn on the server as inline SVG (no scripts)."""

import datetime
from collections import Counter
from html import escape
from typing import Dict, List, Sequence, Tuple

from reception.conversations import PRACTICE_TZ, Conversation

LEVEL_COLOURS = {"emergency": "#b00020", "urgent": "#e67e00", "routine": "#2e7d32",
                 "not assessed": "#9e9e9e"}
PALETTE = ["#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e", "#37474f"]
BOOKED = ("requested", "confirmed")


def _svg(width: int, height: int, title: str, body: List[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def horizontal_bars(title: str, rows: Sequence[Tuple[str, int, str]]) -> str:
    """One bar per (label, count, colour); an empty chart says so rather than drawing nothing."""
    width, label_w, row_h = 520, 190, 26
    height = max(1, len(rows)) * row_h + 10
    if not rows:
        return _svg(width, 40, title, ['<text x="4" y="24" font-size="13">No data yet</text>'])
    top = max(count for _, count, _ in rows) or 1
    body = []
    for i, (label, count, colour) in enumerate(rows):
        y = 5 + i * row_h
        bar = int((width - label_w - 50) * count / top)
        body.append(f'<text x="4" y="{y + 16}" font-size="13">{escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{bar}" height="18" fill="{colour}"/>'
                    f'<text x="{label_w + bar + 6}" y="{y + 16}" font-size="13">{count}</text>')
    return _svg(width, height, title, body)


def per_day_by_channel(conversations: Sequence[Conversation], days: int = 30,
                       today: datetime.date = None) -> str:
    """Stacked columns: conversations started each day of the last `days`, by channel."""
    today = today or datetime.datetime.now(PRACTICE_TZ).date()
    first = today - datetime.timedelta(days=days - 1)
    counts: Dict[datetime.date, Counter] = {first + datetime.timedelta(d): Counter()
                                            for d in range(days)}
    for c in conversations:
        if c.started_at and c.started_at.date() in counts:
            counts[c.started_at.date()][c.channel or "unknown"] += 1
    channels = sorted({ch for day in counts.values() for ch in day})
    colours = {ch: PALETTE[i % len(PALETTE)] for i, ch in enumerate(channels)}
    width, height, left, bottom = 640, 220, 30, 30
    top = max([sum(day.values()) for day in counts.values()] + [1])
    column = (width - left - 10) / days
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
            'stroke="#555"/>',
            f'<text x="2" y="14" font-size="11">{top}</text>']
    for i, (day, by_channel) in enumerate(sorted(counts.items())):
        x, y = left + i * column, height - bottom
        for ch in channels:
            h = (height - bottom - 20) * by_channel[ch] / top
            if h:
                y -= h
                body.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{column - 2:.1f}" '
                            f'height="{h:.1f}" fill="{colours[ch]}">'
                            f'<title>{day.isoformat()} {escape(ch)}: {by_channel[ch]}</title></rect>')
        if i % 7 == 0:
            body.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="10">'
                        f'{day.strftime("%d %b")}</text>')
    for i, ch in enumerate(channels):
        body.append(f'<rect x="{left + i * 110}" y="{height - 8}" width="8" height="8" '
                    f'fill="{colours[ch]}"/><text x="{left + i * 110 + 12}" y="{height}" '
                    f'font-size="10">{escape(ch)}</text>')
    return _svg(width, height + 4, f"Conversations per day by channel, last {days} days", body)


def dashboard(conversations: Sequence[Conversation]) -> Dict[str, str]:
    levels = Counter(c.triage_level or "not assessed" for c in conversations)
    flags = Counter(flag for c in conversations for flag in set(c.red_flags))
    triaged = [c for c in conversations if c.triage_level]
    offered = [c for c in triaged if c.booking_status]
    booked = [c for c in triaged if c.booking_status in BOOKED]
    return {
        "per_day": per_day_by_channel(conversations),
        "outcomes": horizontal_bars("Outcomes", [
            (level, levels[level], colour) for level, colour in LEVEL_COLOURS.items()
            if levels[level]]),
        "red_flags": horizontal_bars("Red flags by family", [
            (flag.replace("_", " "), count, "#b00020") for flag, count in flags.most_common()]),
        "bookings": horizontal_bars("From triage to booking", [
            ("triage conversations", len(triaged), "#1565c0"),
            ("booking offered", len(offered), "#00838f"),
            ("booked", len(booked), "#2e7d32")]),
    }
