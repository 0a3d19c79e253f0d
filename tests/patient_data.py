"""What the test patients said, and the check that no server's log kept any of it.

Every client in the tests (REST, Twilio, the Graph API, socket.io) notes what it sends here;
at the end of the run `leaks_in` reads every server log the run wrote. A message of a dozen
characters or more must not appear in a log, nor any phone number or email address sent."""

import re
from pathlib import Path
from typing import Iterable, List, Set

SENT: Set[str] = set()
LONG_ENOUGH_TO_BE_THEIRS = 12  # "yes please" may well be in a log line of its own
PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{7,}\d")
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def note(*texts: object) -> None:
    SENT.update(str(text) for text in texts if text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks_in(logs: Iterable[Path]) -> List[str]:
    phones = {_digits(m)[-9:] for text in SENT for m in PHONE_LIKE.findall(text)
              if len(_digits(m)) >= 9}
    emails = {m.lower() for text in SENT for m in EMAIL_LIKE.findall(text)}
    words = {text.strip() for text in SENT if len(text.strip()) >= LONG_ENOUGH_TO_BE_THEIRS}
    leaks = []
    for log in logs:
        content = log.read_text(encoding="utf-8", errors="replace")
        log_digit_runs = {_digits(run) for run in PHONE_LIKE.findall(content)}
        lowered = content.lower()
        leaks += [f"{log.name}: phone ...{p[-4:]}" for p in phones
                  if any(p in run for run in log_digit_runs)]
        leaks += [f"{log.name}: email {e}" for e in emails if e in lowered]
        leaks += [f"{log.name}: message {w[:60]!r}" for w in words if w in content]
    return leaks
