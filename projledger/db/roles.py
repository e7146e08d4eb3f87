"""Database roles for BI tools: one read-only role that sees `marts` and nothing else, and one
role per street that sees only its street's rows (row-level security) where a table carries
`street_code`.

dbt recreates its tables on every build, which drops grants' effect on new tables and every
policy, so this runs after each build (idempotently) as well as from `projledger db roles`.
"""

from __future__ import annotations

import os

import psycopg2.extensions
from psycopg2 import sql

from projledger import reference

BI_ROLE = "projledger_bi"
STREET_GROUP = "projledger_street"
STREET_PREFIX = "street_"
HIDDEN_SCHEMAS = ("ledger", "staging", "intermediate", "ref", "alerts", "quality")


def street_role(street_code: str) -> str:
    return f"{STREET_PREFIX}{street_code}"


def _ensure_role(cur, name: str, *, login: bool, password: str | None = None) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (name,))
    if cur.fetchone() is None:
        cur.execute(
            sql.SQL("create role {} {}").format(
                sql.Identifier(name), sql.SQL("login" if login else "nologin")
            )
        )
    if password:
        cur.execute(
            sql.SQL("alter role {} password {}").format(sql.Identifier(name), sql.Literal(password))
        )


def ensure_roles(conn: psycopg2.extensions.connection) -> list[str]:
    """Create or refresh the roles, grants and policies; returns what was done, for the CLI."""
    done = []
    streets = reference.values("streets.street_code")
    with conn.cursor() as cur:
        # Roles are cluster-wide: serialise concurrent builds creating them.
        cur.execute("select pg_advisory_xact_lock(7202613)")
        _ensure_role(cur, BI_ROLE, login=True, password=os.environ.get("PROJLEDGER_BI_PASSWORD"))
        _ensure_role(cur, STREET_GROUP, login=False)
        for code in streets:
            _ensure_role(cur, street_role(code), login=True)
            cur.execute(
                sql.SQL("grant {} to {}").format(
                    sql.Identifier(STREET_GROUP), sql.Identifier(street_role(code))
                )
            )
        cur.execute(
            sql.SQL("grant connect on database {} to {}, {}").format(
                sql.Identifier(conn.info.dbname),
                sql.Identifier(BI_ROLE),
                sql.Identifier(STREET_GROUP),
            )
        )
        cur.execute("create schema if not exists marts")
        for schema in HIDDEN_SCHEMAS:
            cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
            if cur.fetchone():
                cur.execute(
                    sql.SQL("revoke all on schema {} from public").format(sql.Identifier(schema))
                )
        for role in (BI_ROLE, STREET_GROUP):
            cur.execute(sql.SQL("grant usage on schema marts to {}").format(sql.Identifier(role)))
            cur.execute(
                sql.SQL("grant select on all tables in schema marts to {}").format(
                    sql.Identifier(role)
                )
            )
        done.append(
            f"roles: {BI_ROLE} (all of marts), {len(streets)} street roles "
            f"({street_role(streets[0])} ...) in {STREET_GROUP}"
        )
        cur.execute("""
            select c.relname from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            join pg_attribute as a on a.attrelid = c.oid and a.attname = 'street_code'
            where n.nspname = 'marts' and c.relkind in ('r', 'p') and not a.attisdropped
            order by 1""")
        tables = [row[0] for row in cur.fetchall()]
        for name in tables:
            _street_policies(cur, name)
        done.append(
            "row-level security by street on marts." + ", marts.".join(tables)
            if tables
            else "no marts table carries street_code yet"
        )
    conn.commit()
    return done


def _street_policies(cur, table: str) -> None:
    target = sql.Identifier("marts", table)
    cur.execute(sql.SQL("alter table {} enable row level security").format(target))
    for policy in ("bi_sees_all", "street_sees_own"):
        cur.execute(
            sql.SQL("drop policy if exists {} on {}").format(sql.Identifier(policy), target)
        )
    cur.execute(
        sql.SQL("create policy bi_sees_all on {} for select to {} using (true)").format(
            target, sql.Identifier(BI_ROLE)
        )
    )
    cur.execute(
        sql.SQL(
            "create policy street_sees_own on {} for select to {} "
            "using (street_code = substr(current_user, {}))"
        ).format(target, sql.Identifier(STREET_GROUP), sql.Literal(len(STREET_PREFIX) + 1))
    )
