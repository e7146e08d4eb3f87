"""Airflow runs in subprocesses here: its configuration is read once per process, from the
environment these helpers build (a metadata DB and AIRFLOW_HOME per test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    # Nothing of the calling process's Airflow or warehouse settings leaks in (an in-process
    # night run leaves PROJLEDGER_PG_* in os.environ).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "PROJLEDGER_", "DATABASE_URL"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(DAGS), os.environ.get("PYTHONPATH")) if p
            ),
        }
    )
    env.update(extra)
    return env


def run_python(
    code_or_args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_args],
        env=env,
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=timeout,
    )
