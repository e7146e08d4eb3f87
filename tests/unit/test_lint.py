"""The house style is checked, not hoped for: ruff on the Python, sqlfluff on the dbt SQL."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


PYTHON_FOLDERS = ("projledger", "ingest", "expectations", "alerts", "reports", "dags", "tests")


def test_python_is_ruff_clean():
    proc = subprocess.run(
        [BIN / "ruff", "check", *PYTHON_FOLDERS],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_dbt_sql_is_sqlfluff_clean():
    proc = subprocess.run(
        [BIN / "sqlfluff", "lint", "models", "macros", "--processes", "2"],
        cwd=REPO / "dbt_project",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
