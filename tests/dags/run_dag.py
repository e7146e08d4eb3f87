"""Run the nightly DAG in a process of its own (Airflow reads its configuration once, at import):
`python run_dag.py YYYY-MM-DD [YYYY-MM-DD ...]` runs one DAG run per night, in order, with
`dag.test()`; `--executor` sends the tasks through the configured executor (Celery in the tests);
`--migrate` creates the Airflow metadata first; `--fingerprint` prints the marts' fingerprint
(marts.py) after each night. Prints `RUN <night> <state> <run_id>` per run; exit code 0 when
every run succeeded. The caller sets AIRFLOW_HOME and the database variables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("nights", nargs="+", type=date.fromisoformat)
    parser.add_argument("--executor", action="store_true")
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--fingerprint", action="store_true")
    args = parser.parse_args()
    if args.migrate:
        subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
            check=True,
            capture_output=True,
        )
    sys.path.insert(0, str(DAGS))
    from airflow.dag_processing.dagbag import DagBag
    from marts import marts_fingerprint
    from pendulum import datetime

    bag = DagBag(str(DAGS))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["projledger_nightly"]
    failed = []
    for night in args.nights:
        logical = datetime(night.year, night.month, night.day, 2, tz="Asia/Shanghai")
        run = dag.test(logical_date=logical, use_executor=args.executor)
        print(f"RUN {night} {run.state} {run.run_id}", flush=True)
        if str(run.state) != "success":
            failed.append(night)
        if args.fingerprint:
            marts = marts_fingerprint(os.environ["DATABASE_URL"])
            print(f"MARTS {night} {json.dumps(marts)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
