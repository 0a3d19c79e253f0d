"""Where reception reads conversations from and keeps its own records.

Rasa's SQL tracker store owns the `events` table: reception only reads it (the purge
command is the one exception, and it is run by hand). Reception's own tables carry a
`reception_` prefix and live in the same database, beside Rasa's.
"""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def tracker_db_url() -> str:
    """TRACKER_DB_URL (any SQLAlchemy URL), else the SQLite file Rasa uses (TRACKER_DB)."""
    url = os.environ.get("TRACKER_DB_URL")
    if url:
        return url
    path = Path(os.environ.get("TRACKER_DB") or "var/rasa.db")
    if not path.is_absolute():
        path = ROOT / path  # Rasa resolves TRACKER_DB from the project folder
    return f"sqlite:///{path}"


def practice_db_url() -> str:
    return os.environ.get("PRACTICE_DB_URL") or f"sqlite:///{ROOT / 'var' / 'practice.db'}"


@lru_cache(maxsize=8)
def engine(url: str) -> sa.engine.Engine:
    # hide_parameters: an error's log line must not carry the patient's name, phone or words.
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # Rasa writes the same file; wait for its short transactions instead of failing.
        created = sa.create_engine(url, future=True, hide_parameters=True,
                                   connect_args={"timeout": 15})
        sa.event.listen(created, "connect", _overwrite_what_is_deleted)
        return created
    return sa.create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


def _overwrite_what_is_deleted(dbapi_connection: Any, _record: Any) -> None:
    # Without it SQLite leaves a deleted row's bytes in free pages of the file (retention).
    dbapi_connection.execute("PRAGMA secure_delete = ON")


def empty_write_ahead_log(database: sa.engine.Engine) -> None:
    """After a purge: SQLite's write-ahead log still holds earlier versions of the pages."""
    if database.dialect.name == "sqlite":
        with database.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# Rasa's table, described for reading only: never passed to create_all.
rasa_metadata = sa.MetaData()
events = sa.Table(
    "events", rasa_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

metadata = sa.MetaData()
users = sa.Table(
    "reception_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False, default="staff"),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sessions = sa.Table(
    "reception_sessions", metadata,
    # Only a keyed hash of the cookie's token is stored: a copy of the table opens nothing.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("reception_users.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
)
login_attempts = sa.Table(
    "reception_login_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("ip", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("success", sa.Boolean, nullable=False),
)
reviews = sa.Table(
    "reception_reviews", metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_by", sa.String(80), nullable=False),
    sa.Column("reviewed_at", sa.DateTime, nullable=False),
)
notes = sa.Table(
    "reception_notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
tags = sa.Table(
    "reception_tags", metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
    sa.Column("added_by", sa.String(80), nullable=False),
    sa.Column("added_at", sa.DateTime, nullable=False),
)
audit_log = sa.Table(
    "reception_audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("conversation_id", sa.String(255)),
    sa.Column("detail", sa.Text),
)

def reception_engine(url: Optional[str] = None) -> sa.engine.Engine:
    """The tracker database, with reception's own tables created if missing."""
    created = engine(url or tracker_db_url())
    metadata.create_all(created)
    return created


def reflect_practice_table(practice: sa.engine.Engine, name: str) -> Optional[sa.Table]:
    """A practice-database table as it exists now, or None (bookings may not exist yet)."""
    if not sa.inspect(practice).has_table(name):
        return None
    return sa.Table(name, sa.MetaData(), autoload_with=practice)
