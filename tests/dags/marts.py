"""What two warehouses are compared on: the marts' business content and the ledger's size.
Used by the tests and by run_dag.py (after each night it runs)."""

from __future__ import annotations

import psycopg2

# Columns that record wall-clock facts (when a file was loaded, a mail sent), not data.
WALL_CLOCK = ("timestamp without time zone", "timestamp with time zone")
# Surrogate keys numbered in load order: the DAG loads feeds in parallel tasks, the CLI one
# feed after another, so the same files get other batch numbers; a rerun adds check runs.
LOAD_ORDER = (
    r"(batch_id|event_id|rejected_id|rejected_key|alert_id|item_id|duplicate_of"
    r"|run_id|check_result_id)$"
)
# What only the DAG's own tasks write, not a step of `projledger run`: the monthly bulletin
# (the DAG's issue_bulletin task, or `projledger bulletin`).
DAG_ONLY = ("fct_bulletin",)
# fct_batch names the earlier batch a duplicate repeats, by number in `detail` and in
# duplicate_of: compare the file it names instead.
BATCH_EXTRA = """, regexp_replace(detail, 'batch [0-9]+', 'batch #') as detail_norm,
    (select d.file_name from marts.fct_batch d where d.batch_id = t.duplicate_of) as dup_file"""


def marts_fingerprint(url: str) -> dict[str, str]:
    """Per marts table: row count and an md5 of its rows, wall-clock and load-order columns
    left out."""
    conn = psycopg2.connect(url)
    out = {}
    with conn.cursor() as cur:
        cur.execute(
            """select table_name, string_agg(quote_ident(column_name), ', '
                                                      order by ordinal_position)
                       from information_schema.columns
                       where table_schema = 'marts' and data_type <> all(%s)
                         and column_name !~ %s
                       group by table_name order by table_name""",
            (list(WALL_CLOCK), LOAD_ORDER),
        )
        for table, cols in cur.fetchall():
            if table in DAG_ONLY:
                continue
            if table == "fct_batch":
                cols = cols.replace("detail, ", "").replace(", detail", "") + BATCH_EXTRA
            cur.execute(
                f"select count(*), md5(coalesce(string_agg(r::text, '|' order by r::text),"
                f" '')) from (select {cols} from marts.{table} as t) as r"
            )
            out[table] = "{} {}".format(*cur.fetchone())
    conn.close()
    return out


def ledger_counts(url: str) -> dict[str, int]:
    """Events, batches and files taken twice (same feed and content loaded more than once)."""
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("""select (select count(*) from ledger.event),
                              (select count(*) from ledger.batch),
                              (select count(*) from (select feed, sha256 from ledger.batch
                                                     where status = 'loaded'
                                                     group by 1, 2 having count(*) > 1) d)""")
        events, batches, twice = cur.fetchone()
    conn.close()
    return {"events": events, "batches": batches, "loaded_twice": twice}
