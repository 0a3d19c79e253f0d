"""Staff accounts, sessions, CSRF tokens, login rate limiting and the audit log.

Sessions live in the database; the cookie holds a random token and the table only its
HMAC under RECEPTION_SECRET, so a copied table opens no session. A session ends after
RECEPTION_IDLE_MINUTES without a request (default 15).
"""

import datetime
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reception import db

HASHER = PasswordHasher()
# Checked against when the user name is unknown, so timing does not reveal who exists.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
USERNAME_MAX = 80
PASSWORD_MIN = 10
# Failed logins allowed in the window before refusing: per user name, and per address
# (higher: the whole reception desk may share one address).
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = datetime.timedelta(minutes=15)
# However active, a session ends after a working day.
SESSION_MAX = datetime.timedelta(hours=12)


def now() -> datetime.datetime:
    # Naive UTC: SQLite drops tzinfo, and PostgreSQL's plain TIMESTAMP columns hold it as is.
    return datetime.datetime.utcnow()


def secret() -> bytes:
    value = os.environ.get("RECEPTION_SECRET", "")
    if len(value) < 32:
        raise RuntimeError("RECEPTION_SECRET must be set to a random string of at least 32 "
                           "characters (make run generates one)")
    return value.encode()


def idle_timeout() -> datetime.timedelta:
    return datetime.timedelta(minutes=float(os.environ.get("RECEPTION_IDLE_MINUTES", "15")))


def _keyed(value: str) -> str:
    return hmac.new(secret(), value.encode(), hashlib.sha256).hexdigest()


def pseudonym(conversation_id: str) -> str:
    """A conversation's name in redacted exports: the same for every export of it, and no way
    back to the id (a WhatsApp number) without RECEPTION_SECRET."""
    return _keyed("conversation:" + conversation_id)[:12]


class UserError(ValueError):
    pass


def add_user(engine: sa.engine.Engine, username: str, password: str, role: str = "staff") -> None:
    username = username.strip()
    if not username or len(username) > USERNAME_MAX or not username.replace(".", "").replace(
            "-", "").replace("_", "").isalnum():
        raise UserError("user name: letters, digits, '.', '-' and '_', at most 80 characters")
    if len(password) < PASSWORD_MIN:
        raise UserError(f"password must be at least {PASSWORD_MIN} characters")
    if role not in ("staff", "owner"):
        raise UserError("role must be staff or owner")
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(db.users.c.id).where(db.users.c.username == username)).first()
        if exists:
            connection.execute(db.users.update().where(db.users.c.username == username)
                               .values(password_hash=HASHER.hash(password), role=role))
            connection.execute(db.sessions.delete().where(db.sessions.c.user_id == exists.id))
        else:
            connection.execute(db.users.insert().values(
                username=username, password_hash=HASHER.hash(password), role=role,
                created_at=now()))


def is_rate_limited(engine: sa.engine.Engine, username: str, ip: str) -> bool:
    since = now() - FAILURE_WINDOW
    a = db.login_attempts
    with engine.connect() as connection:
        for column, value, limit in ((a.c.username, username, MAX_FAILURES),
                                     (a.c.ip, ip, MAX_FAILURES_PER_ADDRESS)):
            failures = connection.execute(
                sa.select(sa.func.count()).select_from(a)
                .where(column == value, a.c.at >= since, a.c.success.is_(False))).scalar()
            if failures >= limit:
                return True
    return False


def check_password(engine: sa.engine.Engine, username: str, password: str,
                   ip: str) -> Optional[int]:
    """The user's id when the password is right; every attempt is recorded."""
    username = username[:USERNAME_MAX]
    with engine.connect() as connection:
        user = connection.execute(
            sa.select(db.users).where(db.users.c.username == username)).first()
    ok = False
    try:
        ok = HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None
    with engine.begin() as connection:
        connection.execute(db.login_attempts.insert().values(
            username=username, ip=ip, at=now(), success=ok))
        # Housekeeping: attempts outside the window and ended sessions are of no further use.
        connection.execute(db.login_attempts.delete().where(
            db.login_attempts.c.at < now() - datetime.timedelta(days=1)))
        connection.execute(db.sessions.delete().where(
            db.sessions.c.last_seen < now() - idle_timeout()))
    return user.id if ok else None


@dataclass
class Session:
    token_hash: str
    user_id: int
    username: str
    role: str
    csrf_token: str


def start_session(engine: sa.engine.Engine, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    moment = now()
    with engine.begin() as connection:
        connection.execute(db.sessions.insert().values(
            token_hash=_keyed(token), user_id=user_id, csrf_token=secrets.token_urlsafe(32),
            created_at=moment, last_seen=moment))
    return token


def current_session(engine: sa.engine.Engine, token: Optional[str]) -> Optional[Session]:
    """The live session for this cookie, touched; None when absent or idle too long."""
    if not token or len(token) > 100:
        return None
    token_hash = _keyed(token)
    s, u = db.sessions, db.users
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(s, u.c.username, u.c.role).join(u, u.c.id == s.c.user_id)
            .where(s.c.token_hash == token_hash)).first()
        if row is None:
            return None
        moment = now()
        if moment - row.last_seen > idle_timeout() or moment - row.created_at > SESSION_MAX:
            connection.execute(s.delete().where(s.c.token_hash == token_hash))
            return None
        connection.execute(s.update().where(s.c.token_hash == token_hash)
                           .values(last_seen=moment))
    return Session(token_hash, row.user_id, row.username, row.role, row.csrf_token)


def end_session(engine: sa.engine.Engine, session: Session) -> None:
    with engine.begin() as connection:
        connection.execute(db.sessions.delete().where(
            db.sessions.c.token_hash == session.token_hash))


def login_csrf_token(pre_session: str) -> str:
    """The login form has no session yet: its token is bound to a short-lived cookie."""
    return _keyed("login:" + pre_session)


def tokens_match(expected: str, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def audit(engine: sa.engine.Engine, username: str, action: str,
          conversation_id: Optional[str] = None, detail: Optional[str] = None) -> None:
    with engine.begin() as connection:
        connection.execute(db.audit_log.insert().values(
            at=now(), username=username, action=action,
            conversation_id=conversation_id, detail=detail))
