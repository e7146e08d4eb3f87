"""dbt reports nothing about the district's warehouse to anyone: it sends anonymous usage
events (each model built, each invocation) to dbt Labs' collector unless told not to. Every
outbound HTTP(S) request of a dbt invocation goes to a proxy that records it, as it would on
a network that routes through one."""

from __future__ import annotations

import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import REPO


class _Recorder(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.server.seen.append(self.rfile.readline().decode("latin-1").strip())  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder) as server:
        server.seen = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
        server.shutdown()


def test_a_dbt_invocation_sends_no_usage_events(proxy, tmp_path):
    url, seen = proxy
    env = {
        **os.environ,
        "PROJLEDGER_HOME": str(tmp_path / "home"),
        "HTTPS_PROXY": url,
        "HTTP_PROXY": url,
        "NO_PROXY": "",
    }
    for name in ("DO_NOT_TRACK", "DBT_SEND_ANONYMOUS_USAGE_STATS", "no_proxy"):
        env.pop(name, None)
    script = (
        "from projledger.dbt_runner import run_dbt\n"
        "from projledger.settings import load_settings\n"
        f"run = run_dbt(load_settings(), ['parse', '--target-path', {str(tmp_path / 't')!r}], "
        "with_db=False)\n"
        "assert run.success, run.error\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, check=True, timeout=300)
    assert seen == []
