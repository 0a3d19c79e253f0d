"""No patient data in any server's log, whoever writes the line (our code, Rasa, Sanic,
SQLAlchemy, requests): every log record's message and traceback are scrubbed of phone
numbers (WhatsApp conversation ids are phone numbers), email addresses and URL query strings
(Cliniko searches carry names) when the record is made, before any handler formats it.

Our own log lines name a conversation by `conversation_ref`, never by its id. Patients' words
are kept out at the source: no log line of ours carries a message's text."""

import hashlib
import logging
import os
import re
import secrets
import traceback
from typing import Any, Text

PHONE = re.compile(
    r"(?<![\w.])\+?\d{9,15}(?![\w.])"  # 27821234567, +27821234567
    r"|(?<![\w.])\+\d{1,3}(?:[ -]\d{2,4}){2,4}(?![\w.])"  # +27 82 123 4567
    r"|(?<![\w.])0\d{2}[ -]\d{3}[ -]\d{4}(?![\w.])"  # 082 123 4567
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*")


def scrub(text: Text) -> Text:
    text = URL_QUERY.sub(r"\1?[query removed]", text)
    text = EMAIL.sub("[email removed]", text)
    return PHONE.sub("[phone removed]", text)


# Keyed, because a plain hash of a phone number is undone by trying every number. Servers
# that share LOG_REF_KEY (`make run` sets one) name a conversation alike; otherwise per process.
_REF_KEY = (os.environ.get("LOG_REF_KEY") or secrets.token_hex(16)).encode("utf-8")[:32]


def conversation_ref(sender_id: Any) -> Text:
    """A short stable name for a conversation in logs: the same id gives the same name, and
    the name does not give the id (a phone number) back."""
    digest = hashlib.blake2s(str(sender_id).encode("utf-8"), key=_REF_KEY).hexdigest()
    return f"conversation {digest[:10]}"


def install() -> None:
    """Scrubs every log record this process makes from now on (idempotent)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "scrubs", False):
        return

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: keep its template only
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    scrubbed_record.scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbed_record)
