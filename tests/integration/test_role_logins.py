"""BI and street roles log in with a password over TCP on a server that demands scram-sha-256
(as the compose stack's PostgreSQL does); a wrong password is refused."""

from __future__ import annotations

import psycopg2
import pytest

from projledger import reference
from projledger.db import connect
from projledger.db.roles import BI_ROLE, ensure_roles, street_password, street_role
from projledger.settings import load_settings
from tests.throwaway_server import throwaway_server

BI_PASSWORD = "bi-secret-甲"
KEY = "street-key"


@pytest.fixture
def server(tmp_path):
    with throwaway_server(tmp_path / "pg", tcp=True) as server:
        conn = server.admin()
        with conn.cursor() as cur:
            cur.execute("create database warehouse")
        conn.close()
        yield server


def _login(server, user: str, password: str):
    return psycopg2.connect(
        host="127.0.0.1", port=server.port, dbname="warehouse", user=user, password=password
    )


def test_bi_and_street_roles_log_in_with_scram_passwords(server, tmp_path, monkeypatch):
    url = f"postgresql://postgres@/warehouse?host={server.socket_dir}&port={server.port}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PROJLEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROJLEDGER_BI_PASSWORD", BI_PASSWORD)
    monkeypatch.setenv("PROJLEDGER_STREET_PASSWORD_KEY", KEY)
    conn = connect(load_settings())
    ensure_roles(conn)
    conn.close()

    street = reference.values("streets.street_code")[0]
    password = street_password(street)
    assert password and password != street_password(reference.values("streets.street_code")[1])
    for user, secret in ((BI_ROLE, BI_PASSWORD), (street_role(street), password)):
        login = _login(server, user, secret)
        with login.cursor() as cur:
            cur.execute("select current_user")
            assert cur.fetchone()[0] == user
        login.close()
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            _login(server, user, secret + "x")
    admin = server.admin("warehouse")
    with admin.cursor() as cur:
        cur.execute(
            "select count(*) filter (where rolpassword like 'SCRAM-SHA-256$%%'), count(*) "
            "from pg_authid where rolname = %s or rolname like 'street\\_%%'",
            (BI_ROLE,),
        )
        scram, total = cur.fetchone()
    admin.close()
    assert scram == total == len(reference.values("streets.street_code")) + 1
