"""A throwaway PostgreSQL server for the history tests.

``start()`` initialises a cluster in a temporary folder and starts it on a
Unix socket there (no TCP port), as the ``postgres`` user when the tests run as
root (the server refuses to run as root). It raises :class:`Unavailable`, with
the reason, when no server can be started: the tests then skip, saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs


class Unavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why."""


@attrs.frozen
class Server:
    url: str
    stop: Callable[[], None]


def _binary(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else shutil.which(name)


def start() -> Server:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Unavailable("PostgreSQL server programs (initdb, pg_ctl) not found: install Debian's postgresql package")
    root = Path(tempfile.mkdtemp(prefix="hs-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user to run the server as") from None
        runner = shutil.which("runuser")
        if runner is None:
            raise Unavailable("running as root and 'runuser' is missing to start the server as 'postgres'")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = [runner, "-u", "postgres", "--"]
    data = root / "data"

    def call(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise Unavailable(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-400:]}")

    def stop() -> None:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)

    try:
        call(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-k {root} -c listen_addresses='' -c fsync=off -c max_connections=50"
        call(pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o", options, "start")
    except (Unavailable, OSError, subprocess.SubprocessError):
        stop()
        raise
    return Server(url=f"postgresql://postgres@/postgres?host={root}&port=5432", stop=stop)
