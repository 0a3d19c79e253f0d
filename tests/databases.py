"""A scratch database on the local PostgreSQL server, dropped afterwards."""

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """Yields the URL of a new, empty database; drops it (and its connections) at the end."""
    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        yield str(sa.engine.make_url(PG_ADMIN_URL).set(database=database))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_or_postgres(kind: str, folder, prefix: str) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in `folder`, or a scratch PostgreSQL one."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{prefix}.db'}"
    else:
        with scratch_postgres(prefix) as url:
            yield url
