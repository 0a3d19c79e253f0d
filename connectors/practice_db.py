"""The practice database the channels keep their own tables in (the message ids seen, the
outbox, the inbox): PRACTICE_DB_URL, by default var/practice.db, as for the action server's
tables."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Optional, Text

import sqlalchemy as sa

from actions.callbacks import DEFAULT_DB_URL


@lru_cache(maxsize=4)
def _engine(url: Text) -> sa.engine.Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a failed statement's log line must not carry what a patient is sent.
    return sa.create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True)


def engine(url: Optional[Text] = None) -> sa.engine.Engine:
    return _engine(url or os.environ.get("PRACTICE_DB_URL") or DEFAULT_DB_URL)
