"""A PostgreSQL server of a test's own, set up the way a deployment might be (a socket only, on a
port that is not 5432; or TCP with password authentication), logging every connection so a
test can tell which layers reached it and how."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from projledger.db import embedded
from projledger.settings import Settings, load_settings


@dataclass
class Server:
    pgdata: Path
    socket_dir: Path
    port: int
    tcp: bool

    @property
    def log(self) -> Path:
        return self.pgdata / "server.log"

    def admin(self, dbname: str = "postgres"):
        """A superuser connection through the socket (setting up, inspecting)."""
        conn = psycopg2.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname
        )
        conn.autocommit = True
        return conn

    def connections(self, dbname: str) -> list[dict[str, str]]:
        """Every connection authorised to `dbname`: user, application and where from."""
        text = self.log.read_text(errors="replace")
        received = dict(re.findall(r"\[(\d+)\] LOG:  connection received: host=(\S+)", text))
        out = []
        for pid, user, db, rest in re.findall(
            r"\[(\d+)\] LOG:  connection authorized: user=(\S+) database=(\S+)(.*)", text
        ):
            if db == dbname:
                app = re.search(r"application_name=(\S+)", rest)
                out.append(
                    {"user": user, "application": app[1] if app else "", "host": received[pid]}
                )
        return out

    def create_database(self, name: str, owner: str = "postgres") -> None:
        conn = self.admin()
        with conn.cursor() as cur:
            cur.execute(f'create database "{name}" owner "{owner}"')
        conn.close()

    def landed(self, dbname: str) -> dict[str, int]:
        """What each layer of a night wrote: ingest batches, dbt marts, GX results, alerts."""
        conn = self.admin(dbname)
        out = {}
        with conn.cursor() as cur:
            for layer, query in {
                "ingest": "select count(*) from ledger.batch",
                "dbt": "select count(*) from marts.dim_project",
                "gx": "select count(*) from quality.check_result",
                "alerts": "select count(*) from alerts.alert",
            }.items():
                cur.execute(query)
                out[layer] = cur.fetchone()[0]
        conn.close()
        return out


def url_settings(monkeypatch, tmp_path: Path, url: str) -> Settings:
    """The settings of a run given `url` as DATABASE_URL, no PG* variable beside it."""
    for var in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PROJLEDGER_HOME", str(tmp_path / "home"))
    return load_settings()


def _free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 5432:
            return port


def older_binaries() -> Path | None:
    """The binaries of the oldest PostgreSQL older than 17 the system has (Debian installs each
    major under /usr/lib/postgresql/<major>/bin), or None."""
    found = sorted(
        (int(d.parent.name), d)
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if d.parent.name.isdigit() and int(d.parent.name) < 17 and (d / "initdb").exists()
    )
    return found[0][1] if found else None


@contextmanager
def throwaway_server(tmp: Path, *, tcp: bool, bindir: Path | None = None) -> Iterator[Server]:
    """Socket only (tcp=False), or also TCP on 127.0.0.1 where every login needs a password
    (scram); the socket, in a private directory, is the superuser's way in for set-up. The
    embedded server's binaries unless `bindir` names others."""

    def binary(name: str) -> str:
        return str(bindir / name if bindir else embedded._bin(name))

    pgdata = tmp / "pgdata"
    pgdata.mkdir(parents=True)
    # Short: a socket path is limited to about 100 bytes.
    sock = Path(tempfile.mkdtemp(prefix="pgs"))
    as_root = os.geteuid() == 0
    if as_root:
        embedded._prepare_permissions(pgdata)
        entry = embedded.service_user()
        os.chown(sock, entry.pw_uid, entry.pw_gid)
    run = {"user": embedded.service_user().pw_name} if as_root else {}
    subprocess.run(
        [binary("initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
        **run,
    )
    port = _free_port()
    with open(pgdata / "postgresql.conf", "a") as fh:
        fh.write(
            f"listen_addresses = '{'127.0.0.1' if tcp else ''}'\n"
            f"unix_socket_directories = '{sock}'\n"
            f"port = {port}\n"
            "log_connections = on\n"
            "log_line_prefix = '%m [%p] '\n"
            "password_encryption = 'scram-sha-256'\n"
            "timezone = 'Asia/Shanghai'\n"
        )
    (pgdata / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    subprocess.run(
        [
            binary("pg_ctl"),
            "-D",
            str(pgdata),
            "-w",
            "-l",
            str(pgdata / "server.log"),
            "start",
        ],
        check=True,
        capture_output=True,
        **run,
    )
    try:
        yield Server(pgdata, sock, port, tcp)
    finally:
        subprocess.run(
            [binary("pg_ctl"), "-D", str(pgdata), "-w", "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
            **run,
        )
        shutil.rmtree(sock, ignore_errors=True)
