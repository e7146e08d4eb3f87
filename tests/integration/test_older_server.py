"""A whole night on the oldest PostgreSQL older than 17 the system has (Debian's packages; the
compose stack runs 16): no layer may rely on what only the embedded server's version does."""

from __future__ import annotations

import pytest

from projledger.generate import generate
from projledger.night import run_night
from tests.conftest import DEMO_AS_OF
from tests.throwaway_server import older_binaries, throwaway_server, url_settings

BINARIES = older_binaries()


@pytest.mark.skipif(BINARIES is None, reason="no PostgreSQL older than 17 is installed")
def test_a_night_on_an_older_postgresql(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    generate(inbox, seed=3, scale=0.05, as_of=DEMO_AS_OF)
    with throwaway_server(tmp_path / "server", tcp=False, bindir=BINARIES) as server:
        admin = server.admin()
        assert admin.server_version < 170000, admin.server_version
        admin.close()
        server.create_database("ledger_old")
        url = f"postgresql://postgres@/ledger_old?host={server.socket_dir}&port={server.port}"
        settings = url_settings(monkeypatch, tmp_path, url)

        report = run_night(settings, inbox, DEMO_AS_OF)

        assert report.ok, report.problems
        assert all(server.landed("ledger_old").values())
        conn = server.admin("ledger_old")
        with conn.cursor() as cur:
            # every fact has its id, and a batch's ids follow its lines
            cur.execute(
                "select count(*) filter (where event_id is null), count(*) filter (where "
                "event_id < lag) from (select event_id, lag(event_id) over (partition by "
                "batch_id order by line_no) from ledger.event) as e"
            )
            assert cur.fetchone() == (0, 0)
        conn.close()
