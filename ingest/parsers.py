"""The SQL parsers of 002_parsers.sql (dates, periods, numbers as departments write them), for
the checks of a delivery: on a connection of their own, opened when first needed, since the
load's connection is busy with its COPY while the chunks are checked."""

from __future__ import annotations

import psycopg2.extensions

from projledger.db.conninfo import sibling


class SqlParsers:
    def __init__(self, conn: psycopg2.extensions.connection):
        self._of = conn
        self._side: psycopg2.extensions.connection | None = None

    def __call__(self, parser: str, values: list[str]) -> list[tuple[str, str | None]]:
        """What each value reads as by `parser`, an SQL expression over `v`."""
        if self._side is None:
            self._side = sibling(self._of)
            self._side.autocommit = True
        with self._side.cursor() as cur:
            cur.execute(f"select v, {parser} from unnest(%s::text[]) as t (v)", (values,))
            return cur.fetchall()

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
