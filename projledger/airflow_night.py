"""The Airflow night's own steps around its dbt tasks (Cosmos: one task per dbt node).

`projledger run` builds the warehouse in one dbt invocation under the warehouse lock. The DAG
spreads the same build over many tasks, each its own process, so what that one invocation
does once is done here once per night instead of once per task:

- `prepare`: take the warehouse lease (the lock cannot outlive a task), analyze the ledger,
  and parse the dbt project with the night's connection and vars into a folder of the run,
  whose partial_parse.msgpack every dbt task of the night then reuses;
- `release`: give the lease back and remove that folder (after the grants, and again in a
  teardown task, which runs after a failure too);
- `dbt_task_setup`: what each dbt task takes from `prepare` (vars, connection, parse).
"""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from projledger.settings import Settings

log = logging.getLogger(__name__)


def state_root(settings: Settings) -> Path:
    """Where each night's dbt parse lives while the night runs (under PROJLEDGER_HOME, shared
    by the workers in compose; a worker that cannot see it parses the project itself)."""
    return settings.home / "dbt_nights"


def prepare(settings: Settings, as_of: date, holder: str) -> dict[str, Any]:
    from projledger.db.locks import release_warehouse_lease, take_warehouse_lease
    from projledger.dbt_runner import prepare_night

    lease = take_warehouse_lease(settings, holder)
    state = state_root(settings) / lease
    try:
        values = prepare_night(settings, as_of, state / "target")
    except BaseException:
        # A failed setup task has no teardown: give the lease back here.
        release_warehouse_lease(settings, lease)
        shutil.rmtree(state, ignore_errors=True)
        raise
    log.info("warehouse leased to %s (%s); dbt state in %s", holder, lease, state)
    return {"lease": lease, "state_dir": str(state), "vars": values, "as_of": as_of.isoformat()}


def release(settings: Settings, prepared: dict[str, Any] | None) -> bool:
    from projledger.db.locks import release_warehouse_lease

    if not prepared:
        return False
    shutil.rmtree(prepared["state_dir"], ignore_errors=True)
    return release_warehouse_lease(settings, prepared["lease"])


def dbt_task_setup(operator: Any, settings: Settings, prepared: dict[str, Any]) -> None:
    """Point one Cosmos dbt task at the night's connection, vars and parse.

    Cosmos copies the newest partial_parse.msgpack of the project's target/ and of its cache
    folder into the task's copy of the project: the cache folder becomes the night's. dbt
    writes to target/ of that copy (not to a DBT_TARGET_PATH shared with other processes)."""
    from projledger.db import dbt_env

    operator.env = {**(operator.env or {}), **dbt_env(settings), "DBT_TARGET_PATH": "target"}
    operator.vars = {**(operator.vars or {}), **prepared["vars"]}
    if prepared.get("state_dir"):
        operator.cache_dir = Path(prepared["state_dir"])
