"""Run dbt in-process against the warehouse database.

dbt reads its connection from the PROJLEDGER_PG_* environment variables (dbt_project/
profiles.yml); they are derived from the settings here, so one Settings object decides which
database every part of the pipeline uses. The business date goes in as PROJLEDGER_AS_OF (or
the `as_of` var where the caller's vars name it).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projledger.settings import default_as_of

if TYPE_CHECKING:
    from projledger.settings import Settings


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str
    execution_time: float
    message: str | None = None
    failures: int | None = None
    compiled_code: str | None = None  # the SQL dbt compiled for the node


@dataclass(frozen=True)
class DbtRun:
    args: list[str]
    success: bool
    elapsed: float
    results: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> list[NodeResult]:
        return [r for r in self.results if r.status in {"error", "fail", "runtime error"}]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        head = "ok" if self.success else "FAILED"
        return f"dbt {' '.join(self.args[:1])}: {head} in {self.elapsed:.1f}s ({parts})"


# The profile and target every invocation names explicitly (Cosmos always passes them, and dbt
# keeps a partial parse only for the same --profile, --target and --vars).
PROFILE = "projledger"
TARGET = "default"


def night_vars(as_of: date, *, ledger_analyzed: bool = False) -> dict[str, Any]:
    """The --vars of a night's dbt invocations: one dict, so that every invocation of the night
    (each Cosmos task) reuses the partial parse made for it."""
    return {"as_of": as_of.isoformat(), "ledger_analyzed": ledger_analyzed}


def _vars(as_of: date | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    """The --vars of one invocation, and the business date in PROJLEDGER_AS_OF: the run's, else
    the one `extra` names, else the default one (yesterday). The date goes in as a var only
    when `extra` names one (the night's vars of the Cosmos tasks): dbt re-parses the whole
    project for new --vars, and reads the variable only when a command runs
    (macros/as_of.sql), so the nights of the runner share one parse."""
    values: dict[str, Any] = dict(extra or {})
    if as_of is not None and "as_of" in values:
        values["as_of"] = as_of.isoformat()
    day = as_of.isoformat() if as_of is not None else values.get("as_of")
    os.environ["PROJLEDGER_AS_OF"] = str(day or default_as_of().isoformat())
    return values


def _prepare_env(settings: Settings) -> None:
    from projledger.db import dbt_env

    # dbt's profile reads these; the in-process runner sees only os.environ.
    os.environ.update(dbt_env(settings))


def _node_results(result: Any) -> list[NodeResult]:
    out: list[NodeResult] = []
    for r in getattr(result, "results", None) or []:
        node = getattr(r, "node", None)
        status = getattr(r, "status", "")
        out.append(
            NodeResult(
                unique_id=getattr(node, "unique_id", "") if node is not None else "",
                status=str(getattr(status, "value", status)),
                execution_time=float(getattr(r, "execution_time", 0.0) or 0.0),
                message=getattr(r, "message", None),
                failures=getattr(r, "failures", None),
                compiled_code=getattr(node, "compiled_code", None),
            )
        )
    return out


def run_dbt(
    settings: Settings,
    args: list[str],
    as_of: date | None = None,
    extra_vars: dict[str, Any] | None = None,
    with_db: bool = True,
) -> DbtRun:
    """Run one dbt command (e.g. ["build"], ["run", "-s", "staging"]) in-process.

    with_db=False skips resolving the database (which may start the embedded server): for
    commands that never connect, such as parse."""
    from dbt.cli.main import dbtRunner

    if with_db:
        _prepare_env(settings)
        # dbt-postgres runs no Python: the working-day calendar it reads as a source is written
        # here, before any command that may build or test a model joining it.
        from projledger.calendar import ensure_calendar

        ensure_calendar(settings, as_of)
    project_dir = str(settings.dbt_project_dir)
    # The console and dbt_project/logs/dbt.log get errors only (--log-level sets both):
    # every node's result is in target/run_results.json, and a night spends no time
    # formatting a log line for each of its nodes.
    cli_args = [
        "--log-level",
        "error",
        *args,
        "--project-dir",
        project_dir,
        "--profiles-dir",
        project_dir,
        "--profile",
        PROFILE,
        "--target",
        TARGET,
    ]
    values = _vars(as_of, extra_vars)
    if values:
        cli_args += ["--vars", json.dumps(values)]
    started = time.monotonic()
    res = dbtRunner().invoke(cli_args)
    elapsed = time.monotonic() - started
    error = str(res.exception) if res.exception is not None else None
    return DbtRun(
        args=list(args),
        success=bool(res.success),
        elapsed=elapsed,
        results=_node_results(res.result),
        error=error,
    )


def build(settings: Settings, as_of: date | None, full_refresh: bool = False) -> DbtRun:
    """The nightly build: seeds, models and tests of the `nightly` selector, as of a date."""
    args = ["build", "--selector", "nightly"]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(settings, args, as_of)


def compile_manifest(settings: Settings) -> Path:
    """Parse the project and return target/manifest.json (read by Cosmos at DAG parse time)."""
    # target/ of the project named outright: a DBT_TARGET_PATH in the environment must not send
    # the manifest where the DAG (PROJLEDGER_DBT_MANIFEST's default) does not look.
    target = Path(settings.dbt_project_dir) / "target"
    run = run_dbt(settings, ["parse", "--target-path", str(target)], with_db=False)
    manifest = target / "manifest.json"
    if not run.success or not manifest.exists():
        raise RuntimeError(f"dbt parse failed: {run.error or run.summary()}")
    return manifest


def prepare_night(settings: Settings, as_of: date, target: Path) -> dict[str, Any]:
    """Once per night, before many dbt invocations (the Airflow DAG's Cosmos tasks): analyze
    the ledger, and parse the project into `target` with the night's profile, connection and
    vars, so each invocation reuses that parse (partial_parse.msgpack) instead of parsing the
    whole project again. Returns the vars those invocations must pass."""
    values = night_vars(as_of, ledger_analyzed=True)
    target.mkdir(parents=True, exist_ok=True)
    for args in (["parse"], ["run-operation", "analyze_ledger"]):
        # as_of: the working-day calendar is written through the year after the night's
        run = run_dbt(
            settings, [*args, "--target-path", str(target)], as_of=as_of, extra_vars=values
        )
        if not run.success:
            raise RuntimeError(f"dbt {args[0]} failed for {as_of}: {run.error or run.summary()}")
    return values
