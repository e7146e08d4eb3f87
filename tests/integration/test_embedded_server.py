"""The embedded server on a fresh machine, run as root (as CI runs): the test processes all
start their servers at once, and each must find one and the same service user."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import subprocess
import uuid

import pytest

from projledger.db import embedded

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root creates the service user")


def _user_of(name: str, start, out) -> None:
    start.wait()
    try:
        out.put(embedded.service_user(name).pw_uid)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        out.put(repr(exc))


def test_servers_started_at_once_share_one_service_user():
    name = f"pl_{uuid.uuid4().hex[:8]}"
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_user_of, args=(name, start, out)) for _ in range(6)]
    try:
        for p in procs:
            p.start()
        uids = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        # Each process was given the uid the user has now: the one the server runs as and
        # the one its data folder is given to.
        assert uids == [pwd.getpwnam(name).pw_uid] * len(procs)
    finally:
        subprocess.run(["userdel", "-r", name], capture_output=True)
