"""The load's second connection to the same server, opened when first needed: the load's own is
busy with its COPY while the next chunks are checked and encoded. On it, the SQL parsers of
002_parsers.sql read a delivery's dates, periods and odd numbers, and the facts get their ids."""

from __future__ import annotations

import numpy as np
import psycopg2.extensions

from projledger.db.conninfo import sibling


class SideConnection:
    def __init__(self, conn: psycopg2.extensions.connection):
        self._of = conn
        self._side: psycopg2.extensions.connection | None = None
        self._ids: tuple[str, int] | None = None  # the identity sequence and its increment

    def _cursor(self):
        if self._side is None:
            self._side = sibling(self._of)
            self._side.autocommit = True
        return self._side.cursor()

    def parse(self, parser: str, values: list[str]) -> list[tuple[str, str | None]]:
        """What each value reads as by `parser`, an SQL expression over `v`."""
        with self._cursor() as cur:
            cur.execute(f"select v, {parser} from unnest(%s::text[]) as t (v)", (values,))
            return cur.fetchall()

    def event_ids(self, n: int) -> np.ndarray:
        """Ids for the next `n` facts of a batch, increasing with them. Each value the store's
        identity sequence gives owns as many ids as its increment (migration 023): one value
        per thousand facts, where the column's default went to the sequence for every row."""
        with self._cursor() as cur:
            if self._ids is None:
                cur.execute(
                    "select seqrelid::regclass::text, seqincrement from pg_sequence where "
                    "seqrelid = pg_get_serial_sequence('ledger.event', 'event_id')::regclass"
                )
                self._ids = cur.fetchone()
            sequence, block = self._ids
            cur.execute(
                "select nextval(%s) from generate_series(1, %s)", (sequence, -(-n // block))
            )
            starts = np.sort(np.array([v for (v,) in cur.fetchall()], np.int64))
        offsets = np.arange(n, dtype=np.int64)
        return starts[offsets // block] + offsets % block

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
