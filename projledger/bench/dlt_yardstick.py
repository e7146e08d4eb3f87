"""The yardstick a data engineer would otherwise reach for: dlt loading the same CSV file
into PostgreSQL (optional `bench` extra). Rows are streamed as dicts, dlt's default path."""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path


def load_with_dlt(url: str, path: Path, encoding: str) -> float:
    from dataclasses import replace

    import dlt

    from projledger.db.conninfo import resolve

    server = resolve(url)
    # dlt insists on a password; the embedded server trusts local connections and ignores it.
    credentials = replace(server, password=server.password or "unused").url()
    with tempfile.TemporaryDirectory() as pipelines_dir:
        pipeline = dlt.pipeline(
            pipeline_name="projledger_bench",
            destination=dlt.destinations.postgres(credentials=credentials),
            dataset_name="bench_dlt",
            pipelines_dir=pipelines_dir,
        )

        def rows():
            with open(path, encoding=encoding, newline="") as fh:
                yield from csv.DictReader(fh)

        started = time.monotonic()
        pipeline.run(rows(), table_name="feed_file", write_disposition="replace")
        return time.monotonic() - started


if __name__ == "__main__":
    import sys

    print(load_with_dlt(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
