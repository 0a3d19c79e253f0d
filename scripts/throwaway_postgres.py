"""A PostgreSQL cluster of our own for tests and `make bench`: initdb in a temp dir, its own
port and socket dir, so it may be stopped and started without touching the shared server."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

from scripts.wait_for_port import free_port


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if not on_path:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return on_path


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own, trust auth on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        # Not under pytest's tmp dir: that is private to root, and postgres must reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="scale-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root; the postgres user owns the files then.
        self._as_user: List[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_user:
            shutil.chown(self.directory, "postgres")
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.directory / "postgres.log"), "-w", "start")

    def stop(self) -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self._as_user, _postgres_bin("pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, cwd="/")
        shutil.rmtree(self.directory, ignore_errors=True)

    def create_database(self, name: str) -> None:
        self._run(_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)
