"""Conversations as reception sees them, built from Rasa's tracker events.

A conversation is one sender id in the tracker store. Its facts come from the events Rasa
stored: `slot` events carry what the triage form found (their `action_name` column holds
the slot's name), `user` events carry the patient's words and the channel. Call-back
requests and bookings in the practice database add the name and number when given.
"""

import datetime
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa

from actions.questions import TOPIC_QUESTIONS
from reception import db

# South Africa keeps one offset all year (no daylight saving), so times need no tz database.
PRACTICE_TZ = datetime.timezone(datetime.timedelta(hours=2), "SAST")
MAX_LIMIT = 1000  # conversations in one answer; the count says how many matched in all
LEVEL_RANK = {"emergency": 0, "urgent": 1, "routine": 2}
LIST_SLOTS = (
    "triage_level", "red_flags", "booking_status", "booking_reference",
    "callback_name", "callback_phone", "callback_status", "callback_reference",
)
# The summary card, in the order the triage form asks.
FORM_SLOTS = (
    ("patient_relation", "Patient is the writer's"), ("patient_age", "Patient's age"),
    ("pain_location", "Where"), ("pain_radiates", "Spreads to"), ("pain_side", "Side"),
    ("onset", "Onset"), ("onset_activity", "Started with"),
    ("duration_weeks", "Weeks"), ("severity", "Severity (0-10)"),
    ("eases_worsens", "Eases / worsens"), ("desk_hours", "Desk hours a day"),
    ("training_change", "Training change"), ("training_activity", "Training"),
    ("skipped_questions", "Left for the physio"),
    ("declined_safety_questions", "Safety questions declined"),
)
CHECKLIST_SLOTS = (
    ("check_bladder_bowel", "Bladder or bowel changes"),
    ("check_saddle_numbness", "Saddle numbness"),
    ("check_leg_weakness", "Leg weakness"),
    ("check_fever_unwell", "Fever or unwell"),
    ("check_cancer_history", "History of cancer"),
    ("check_recent_trauma", "Recent fall or injury"),
    ("check_chest_breathing", "Chest pain or breathlessness"),
)


class FilterError(ValueError):
    """A filter the user gave cannot be understood (shown to them as a 400)."""


def to_local(timestamp: Optional[float]) -> Optional[datetime.datetime]:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, PRACTICE_TZ)


def _date(value: Optional[str], name: str) -> Optional[datetime.date]:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} must be a date like 2026-01-31, not {value[:40]!r}")


def _limit(value: Optional[str]) -> int:
    if not value:
        return Filters.limit
    # ASCII digits only: "¹" and "٣" are digits to str.isdigit() but not to int().
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise FilterError(f"limit must be a number from 1 to {MAX_LIMIT}")
    return int(value)


@dataclass
class Filters:
    red_flags_only: bool = False
    unreviewed: bool = False
    callback_only: bool = False
    channel: Optional[str] = None
    date_from: Optional[datetime.date] = None
    date_to: Optional[datetime.date] = None
    q: Optional[str] = None
    limit: int = 200

    @classmethod
    def from_args(cls, args: Dict[str, str]) -> "Filters":
        yes = ("1", "true", "on", "yes")
        q = (args.get("q") or "").strip()
        if len(q) > 200:
            raise FilterError("search text must be at most 200 characters")
        filters = cls(
            red_flags_only=(args.get("red_flags") or "").lower() in yes,
            unreviewed=(args.get("unreviewed") or "").lower() in yes,
            callback_only=(args.get("callback") or "").lower() in yes,
            channel=(args.get("channel") or "").strip() or None,
            date_from=_date(args.get("from"), "from"),
            date_to=_date(args.get("to"), "to"),
            q=q or None,
            limit=_limit(args.get("limit")),
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise FilterError("from must not be after to")
        return filters


@dataclass
class Conversation:
    id: str
    started_at: Optional[datetime.datetime]
    last_at: Optional[datetime.datetime]
    channel: Optional[str] = None
    patient_name: Optional[str] = None
    phone: Optional[str] = None
    triage_level: Optional[str] = None
    red_flags: List[str] = field(default_factory=list)
    booking_status: Optional[str] = None
    booking_reference: Optional[str] = None
    callback_status: Optional[str] = None
    callback_reference: Optional[str] = None
    messages: int = 0
    reviewed: bool = False
    reviewed_by: Optional[str] = None
    tags: List[str] = field(default_factory=list)
    _search_text: str = ""

    def as_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("_search_text")
        for key in ("started_at", "last_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    def sort_key(self) -> tuple:
        newest_first = -(self.started_at.timestamp() if self.started_at else 0)
        return (LEVEL_RANK.get(self.triage_level or "", 3), newest_first)


def _outgoing_text(request: str) -> str:
    """What the patient should have read: the text of a Twilio or Graph API request, or of
    a chat page message."""
    try:
        sent = json.loads(request)
    except ValueError:
        return ""
    if not isinstance(sent, dict):
        return ""
    for path in (("body",), ("text",), ("text", "body"), ("interactive", "body", "text"),
                 ("template", "name")):
        value: Any = sent
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return value[:300]
    return ""


UNANSWERED_SHOWN = 100
UNANSWERED_OUTCOMES = {"not_covered": "not covered: sent to reception",
                       "not_sure": "not sure: the closest topics offered"}


class ConversationStore:
    """Reads the tracker store (read-only) and the practice database."""

    def __init__(self, tracker: sa.engine.Engine, practice: Optional[sa.engine.Engine]):
        self.tracker = tracker
        self.practice = practice

    def _practice_rows(self, table_name: str, id_column: str,
                       only: Optional[str]) -> Dict[str, Dict[str, Any]]:
        """The newest row per conversation in a practice table, if the table exists."""
        if self.practice is None:
            return {}
        try:
            table = db.reflect_practice_table(self.practice, table_name)
        except sa.exc.SQLAlchemyError:
            return {}  # an unreachable practice database must not hide the conversations
        if table is None or id_column not in table.c:
            return {}
        query = sa.select(table)
        if only is not None:
            query = query.where(table.c[id_column] == only)
        if "id" in table.c:
            query = query.order_by(table.c.id)
        rows: Dict[str, Dict[str, Any]] = {}
        with self.practice.connect() as connection:
            for row in connection.execute(query).mappings():
                rows[row[id_column]] = dict(row)
        return rows

    def unanswered_questions(self, since: datetime.datetime,
                             limit: int = UNANSWERED_SHOWN) -> List[Dict[str, Any]]:
        """Patients' questions the assistant did not answer since then (UTC), newest first,
        so the practice sees which answers to add."""
        if self.practice is None:
            return []
        try:
            table = db.reflect_practice_table(self.practice, "unanswered_questions")
            if table is None:
                return []
            with self.practice.connect() as connection:
                rows = connection.execute(
                    sa.select(table).where(table.c.asked_at >= since)
                    .order_by(table.c.asked_at.desc()).limit(limit)).mappings().all()
        except sa.exc.SQLAlchemyError:
            return []  # an unreachable practice database must not hide the dashboard
        return [{
            "asked_at": row["asked_at"].replace(tzinfo=datetime.timezone.utc)
                                       .astimezone(PRACTICE_TZ),
            "question": row["question"],
            "outcome": UNANSWERED_OUTCOMES.get(row["outcome"], row["outcome"]),
            "closest": [TOPIC_QUESTIONS.get(t, t) for t in row["closest_topics"].split(",") if t],
        } for row in rows]

    def undelivered_messages(self) -> List[Dict[str, Any]]:
        """The assistant's WhatsApp messages still being retried or refused for good
        (connectors/outbox.py): emergencies first, then urgent, routine and the rest, oldest
        first within each, so a red-flag reply that never arrived is seen at once."""
        if self.practice is None:
            return []
        try:
            table = db.reflect_practice_table(self.practice, "outbox")
            if table is None:
                return []
            with self.practice.connect() as connection:
                rows = connection.execute(
                    sa.select(table).where(sa.or_(
                        table.c.status == "failed",
                        sa.and_(table.c.status.in_(("pending", "sending")), table.c.attempts > 0)))
                    .order_by(table.c.id)).mappings().all()
        except sa.exc.SQLAlchemyError:
            return []  # an unreachable practice database must not hide the conversations
        levels = {cid: (found[0].triage_level if found else None)
                  for cid in {row["conversation_id"] for row in rows}
                  for found in [self.summaries(only=cid)]}
        messages = [{
            "conversation_id": row["conversation_id"], "channel": row["channel"],
            "triage_level": levels[row["conversation_id"]],
            "state": "not delivered: refused or given up" if row["status"] == "failed"
                     else f"being retried ({row['attempts']} tries so far)",
            "reason": row["last_error"] or "",
            "written_at": row["created_at"].replace(tzinfo=datetime.timezone.utc)
                                           .astimezone(PRACTICE_TZ),
            "text": _outgoing_text(row["request"]),
        } for row in rows]
        return sorted(messages, key=lambda m: LEVEL_RANK.get(m["triage_level"] or "", 3))

    def _reception_state(self, only: Optional[str]) -> tuple:
        def select(table: sa.Table) -> sa.sql.Select:
            query = sa.select(table)
            return query if only is None else query.where(table.c.conversation_id == only)

        with self.tracker.connect() as connection:
            reviewed = {r.conversation_id: r.reviewed_by
                        for r in connection.execute(select(db.reviews))}
            tag_map: Dict[str, List[str]] = {}
            for r in connection.execute(select(db.tags).order_by(db.tags.c.tag)):
                tag_map.setdefault(r.conversation_id, []).append(r.tag)
            note_map: Dict[str, List[str]] = {}
            for r in connection.execute(select(db.notes)):
                note_map.setdefault(r.conversation_id, []).append(r.text)
        return reviewed, tag_map, note_map

    def has_events(self) -> bool:
        """False until the Rasa server has created its table (it may start after reception)."""
        return sa.inspect(self.tracker).has_table("events")

    def summaries(self, only: Optional[str] = None, started_from: Optional[float] = None,
                  started_before: Optional[float] = None) -> List[Conversation]:
        """One conversation (`only`), or those that started in a time range, or all."""
        if not self.has_events():
            return []
        e = db.events
        first, last = sa.func.min(e.c.timestamp), sa.func.max(e.c.timestamp)
        spans_query = sa.select(e.c.sender_id, first, last).group_by(e.c.sender_id)
        detail_query = (sa.select(e.c.sender_id, e.c.type_name, e.c.action_name, e.c.data)
                        .where(sa.or_(e.c.type_name == "user",
                                      sa.and_(e.c.type_name == "slot",
                                              e.c.action_name.in_(LIST_SLOTS))))
                        .order_by(e.c.id))
        if only is not None:
            spans_query = spans_query.where(e.c.sender_id == only)
            detail_query = detail_query.where(e.c.sender_id == only)
        elif started_from is not None or started_before is not None:
            if started_from is not None:
                spans_query = spans_query.having(first >= started_from)
            if started_before is not None:
                spans_query = spans_query.having(first < started_before)
            in_range = spans_query.subquery()
            detail_query = detail_query.where(
                e.c.sender_id.in_(sa.select(in_range.c.sender_id)))
        with self.tracker.connect() as connection:
            spans = connection.execute(spans_query).all()
            detail_rows = connection.execute(detail_query).all()
        conversations = {sender: Conversation(sender, to_local(start), to_local(end))
                         for sender, start, end in spans}
        texts: Dict[str, List[str]] = {}
        for sender, type_name, slot_name, raw in detail_rows:
            conversation = conversations.get(sender)
            if conversation is None:
                continue
            data = _load(raw)
            if type_name == "user":
                conversation.messages += 1
                conversation.channel = conversation.channel or data.get("input_channel")
                texts.setdefault(sender, []).append(data.get("text") or "")
            else:
                _apply_slot(conversation, slot_name, data.get("value"))
        callbacks = self._practice_rows("callback_requests", "sender_id", only)
        bookings = self._practice_rows("bookings", "conversation_id", only)
        reviewed, tag_map, note_map = self._reception_state(only)
        for conversation in conversations.values():
            callback, booking = callbacks.get(conversation.id), bookings.get(conversation.id)
            if callback:
                conversation.patient_name = conversation.patient_name or callback.get("name")
                conversation.phone = conversation.phone or callback.get("phone")
                conversation.callback_reference = (conversation.callback_reference
                                                   or callback.get("reference"))
            if booking:
                conversation.patient_name = conversation.patient_name or booking.get("patient_name")
                conversation.phone = conversation.phone or booking.get("phone_e164")
                conversation.booking_status = booking.get("status") or conversation.booking_status
                conversation.booking_reference = (booking.get("reference")
                                                  or conversation.booking_reference)
            conversation.reviewed = conversation.id in reviewed
            conversation.reviewed_by = reviewed.get(conversation.id)
            conversation.tags = tag_map.get(conversation.id, [])
            conversation._search_text = "\n".join(
                [conversation.id, conversation.patient_name or "", conversation.phone or "",
                 conversation.booking_reference or "", conversation.callback_reference or ""]
                + texts.get(conversation.id, []) + note_map.get(conversation.id, [])
                + conversation.tags).casefold()
        return list(conversations.values())

    def alerts_since(self, since: float) -> List[Dict[str, Any]]:
        """Conversations that became an emergency or urgent, or asked for a call back, after
        `since` (a tracker timestamp): what the open reception page must be told about."""
        if not self.has_events():
            return []
        e = db.events
        changed = (sa.select(e.c.sender_id).distinct()
                   .where(e.c.timestamp > since, e.c.type_name == "slot",
                          e.c.action_name.in_(("triage_level", "callback_status"))))
        with self.tracker.connect() as connection:
            senders = [row.sender_id for row in connection.execute(changed)]
        alerts = []
        for sender in senders:
            for conversation in self.summaries(only=sender):
                if conversation.triage_level in ("emergency", "urgent"):
                    kind = conversation.triage_level
                elif conversation.callback_status == "saved":
                    kind = "callback"
                else:
                    continue
                alerts.append({"id": conversation.id, "kind": kind,
                               "channel": conversation.channel,
                               "at": conversation.last_at.isoformat()
                               if conversation.last_at else None})
        return sorted(alerts, key=lambda a: LEVEL_RANK.get(a["kind"], 2))

    def list(self, filters: Filters) -> List[Conversation]:
        """Matching conversations, emergencies first; the date range is applied in SQL."""
        found = [c for c in self.summaries(started_from=_day_start(filters.date_from),
                                           started_before=_day_start(filters.date_to, 1))
                 if _matches(c, filters)]
        return sorted(found, key=Conversation.sort_key)

    def channels(self, days: int = 90) -> List[str]:
        """Channels seen lately, for the filter's choices."""
        since = (datetime.datetime.now(PRACTICE_TZ) - datetime.timedelta(days=days)).timestamp()
        return sorted({c.channel for c in self.summaries(started_from=since) if c.channel})

    def exists(self, conversation_id: str) -> bool:
        if not self.has_events():
            return False
        with self.tracker.connect() as connection:
            return connection.execute(
                sa.select(db.events.c.id).where(db.events.c.sender_id == conversation_id)
                .limit(1)).first() is not None

    def transcript(self, conversation_id: str) -> Optional[Dict[str, Any]]:
        """The whole conversation: the summary card's slots and every message, in order."""
        if not self.has_events():
            return None
        with self.tracker.connect() as connection:
            rows = connection.execute(
                sa.select(db.events.c.type_name, db.events.c.timestamp, db.events.c.data)
                .where(db.events.c.sender_id == conversation_id)
                .order_by(db.events.c.id)).all()
        if not rows:
            return None
        slots: Dict[str, Any] = {}
        items: List[Dict[str, Any]] = []
        last_buttons: List[Dict[str, Any]] = []
        for type_name, timestamp, raw in rows:
            data = _load(raw)
            when = to_local(timestamp)
            if type_name == "slot":
                slots[data.get("name")] = data.get("value")
            elif type_name == "session_started":
                items.append({"kind": "session", "at": when})
            elif type_name == "user":
                items.append(_user_item(data, when, last_buttons))
                last_buttons = []
            elif type_name == "bot":
                buttons = (data.get("data") or {}).get("buttons") or []
                last_buttons = buttons
                items.append({"kind": "bot", "at": when, "text": data.get("text") or "",
                              "buttons": [b.get("title", "") for b in buttons]})
        _mark_red_flag_messages(items, slots.get("red_flag_evidence") or [])
        summary = self.summaries(only=conversation_id)[0]
        return {"conversation": summary, "slots": slots, "items": items,
                "form": [(label, slots.get(name)) for name, label in FORM_SLOTS],
                "checklist": [(label, slots.get(name)) for name, label in CHECKLIST_SLOTS],
                "evidence": slots.get("red_flag_evidence") or []}

    def raw_events(self, conversation_id: str) -> List[Dict[str, Any]]:
        with self.tracker.connect() as connection:
            return [_load(raw) for (raw,) in connection.execute(
                sa.select(db.events.c.data).where(db.events.c.sender_id == conversation_id)
                .order_by(db.events.c.id))]

    def notes(self, conversation_id: str) -> List[Dict[str, Any]]:
        with self.tracker.connect() as connection:
            return [dict(r) for r in connection.execute(
                sa.select(db.notes).where(db.notes.c.conversation_id == conversation_id)
                .order_by(db.notes.c.id)).mappings()]


def _load(raw: Optional[str]) -> Dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _apply_slot(conversation: Conversation, name: str, value: Any) -> None:
    if name == "red_flags":
        conversation.red_flags = list(value or [])
    elif name == "callback_name":
        conversation.patient_name = value or conversation.patient_name
    elif name == "callback_phone":
        conversation.phone = value or conversation.phone
    elif name in ("callback_status", "callback_reference", "booking_reference"):
        setattr(conversation, name, value or getattr(conversation, name))
    else:
        setattr(conversation, name, value)


def _day_start(day: Optional[datetime.date], days_later: int = 0) -> Optional[float]:
    """The Unix time a practice-local day starts (or the one `days_later`)."""
    if day is None:
        return None
    start = datetime.datetime.combine(day + datetime.timedelta(days=days_later),
                                      datetime.time.min, PRACTICE_TZ)
    return start.timestamp()


def _matches(conversation: Conversation, filters: Filters) -> bool:
    if filters.red_flags_only and not conversation.red_flags:
        return False
    if filters.unreviewed and conversation.reviewed:
        return False
    if filters.callback_only and not conversation.callback_reference:
        return False
    if filters.channel and conversation.channel != filters.channel:
        return False
    if filters.q and filters.q.casefold() not in conversation._search_text:
        return False
    return True


def _user_item(data: Dict[str, Any], when: Optional[datetime.datetime],
               offered: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    text = data.get("text") or ""
    parse = data.get("parse_data") or {}
    chosen = next((b.get("title") for b in offered if b.get("payload") == text), None)
    flags = sorted({e.get("value") for e in parse.get("entities") or []
                    if e.get("entity") == "red_flag" and e.get("value")})
    return {"kind": "user", "at": when, "text": text, "button": chosen,
            "intent": (parse.get("intent") or {}).get("name"),
            "channel": data.get("input_channel"), "red_flags": flags}


def _mark_red_flag_messages(items: List[Dict[str, Any]], evidence: List[Dict[str, Any]]) -> None:
    """Flags found by the checklist or a clarifying "yes" point at the message by its text."""
    by_message: Dict[str, set] = {}
    for entry in evidence:
        if isinstance(entry, dict) and entry.get("status") == "present":
            by_message.setdefault(entry.get("message") or "", set()).add(entry.get("flag"))
    for item in items:
        if item["kind"] == "user":
            extra = by_message.get(item["text"][:500], set())
            item["red_flags"] = sorted(set(item["red_flags"]) | {f for f in extra if f})
