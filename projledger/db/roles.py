"""Database roles for BI tools (warehouse.md, "Roles"): one read-only role that sees `marts` and
nothing else, and one role per street that sees only its own street's rows in every `marts`
relation that can name a street, tables and views alike.

How a street's rows are found is read from each relation's columns, so a new mart is covered
the night it appears, by the first rule that applies:
- `street_code`: the rows of the street;
- `owner_dept`: the rows routed to the street (alerts, their items, quarantined rows);
- `project_code`: the rows of the street's projects (through marts.dim_project, itself
  filtered for the role);
- a relation of district-wide figures only (STREET_FREE) is readable whole;
- anything else is not granted to street roles at all (fail closed).
Tables get row-level security; views (which run as their owner, past row-level security) are
wrapped in a security_barrier view that filters on the connected role. Materialised views
cannot be filtered and are not granted.

dbt recreates relations on every build, which loses grants and policies: BI keeps reading
through `ALTER DEFAULT PRIVILEGES`; street roles get nothing on a new relation (no default
privilege) until this runs again after the build and filters it first.

Passwords (scram-sha-256): PROJLEDGER_BI_PASSWORD for the BI role; each street's password is
derived from PROJLEDGER_STREET_PASSWORD_KEY (`projledger db street-passwords` lists them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import psycopg2.extensions
from psycopg2 import sql

from projledger import reference

BI_ROLE = "projledger_bi"
STREET_GROUP = "projledger_street"
STREET_PREFIX = "street_"
HIDDEN_SCHEMAS = ("ledger", "staging", "intermediate", "ref", "alerts", "quality")
# District-wide figures: no row of them belongs to, or names, one street.
STREET_FREE = ("dim_department", "kpi_district", "kpi_carrier_district")
# Rule order: the first column a relation has decides how its rows are filtered.
STREET_COLUMNS = ("street_code", "owner_dept", "project_code")
WRAPPED = "security_barrier=true"


def street_role(street_code: str) -> str:
    return f"{STREET_PREFIX}{street_code}"


def street_password(street_code: str, key: str | None = None) -> str | None:
    """The street role's password, derived from PROJLEDGER_STREET_PASSWORD_KEY (None: no
    password, the role cannot log in over a password-authenticated connection)."""
    key = key if key is not None else os.environ.get("PROJLEDGER_STREET_PASSWORD_KEY")
    if not key:
        return None
    digest = hmac.new(key.encode(), street_code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:24]


def _ensure_role(cur, name: str, *, login: bool, password: str | None = None) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (name,))
    if cur.fetchone() is None:
        cur.execute(
            sql.SQL("create role {} {}").format(
                sql.Identifier(name), sql.SQL("login" if login else "nologin")
            )
        )
    if password:
        cur.execute("set local password_encryption = 'scram-sha-256'")
        cur.execute(
            sql.SQL("alter role {} password {}").format(sql.Identifier(name), sql.Literal(password))
        )


def _own_street(column: str, qualifier: str = "") -> sql.Composable:
    """The filter keeping a street role's rows, on `column` (of `qualifier`, when given)."""
    me = sql.SQL("substr(current_user, {})").format(sql.Literal(len(STREET_PREFIX) + 1))
    col = sql.Identifier(qualifier, column) if qualifier else sql.Identifier(column)
    if column == "project_code":
        return sql.SQL(
            "{} in (select p.project_code from marts.dim_project as p where p.street_code = {})"
        ).format(col, me)
    return sql.SQL("{} = {}").format(col, me)


def ensure_roles(conn: psycopg2.extensions.connection) -> list[str]:
    """Create or refresh the roles, grants and filters; returns what was done, for the CLI.
    One transaction: a street role never sees a relation before its filter is in place."""
    done = []
    streets = reference.values("streets.street_code")
    with conn.cursor() as cur:
        # Roles are cluster-wide: serialise concurrent builds creating them.
        cur.execute("select pg_advisory_xact_lock(7202613)")
        _lock_marts(cur)
        _ensure_role(cur, BI_ROLE, login=True, password=os.environ.get("PROJLEDGER_BI_PASSWORD"))
        _ensure_role(cur, STREET_GROUP, login=False)
        for code in streets:
            _ensure_role(cur, street_role(code), login=True, password=street_password(code))
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
        bi, group = sql.Identifier(BI_ROLE), sql.Identifier(STREET_GROUP)
        cur.execute(sql.SQL("grant usage on schema marts to {}, {}").format(bi, group))
        cur.execute(sql.SQL("grant select on all tables in schema marts to {}").format(bi))
        # A relation dbt rebuilds is readable by BI at once (the builder's default privileges);
        # street roles get none by default: nothing unfiltered ever reaches them.
        cur.execute(
            sql.SQL("alter default privileges in schema marts grant select on tables to {}").format(
                bi
            )
        )
        cur.execute(
            sql.SQL("alter default privileges in schema marts revoke all on tables from {}").format(
                group
            )
        )
        cur.execute(sql.SQL("revoke all on all tables in schema marts from {}").format(group))
        done.append(
            f"roles: {BI_ROLE} (all of marts), {len(streets)} street roles "
            f"({street_role(streets[0])} ...) in {STREET_GROUP}"
        )
        filtered, whole, withheld = _street_access(cur)
        done.append(
            "street roles see their own rows of marts." + ", marts.".join(filtered)
            if filtered
            else "no marts relation names a street yet"
        )
        if whole:
            done.append("street roles read whole (district-wide): marts." + ", marts.".join(whole))
        if withheld:
            done.append(
                "not granted to street roles (cannot be filtered by street): marts."
                + ", marts.".join(withheld)
            )
    conn.commit()
    return done


def _lock_marts(cur) -> None:
    """Every marts table's lock, before any catalog row is changed. An ANALYZE (autovacuum's,
    of a table dbt just rebuilt) holds its lock while it waits to write its statistics on the
    table's catalog row: granting first and then waiting for its lock deadlocks with it. Waiting
    first lets it finish (autovacuum is cancelled by a waiter)."""
    cur.execute(
        "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
        " where n.nspname = 'marts' and c.relkind in ('r', 'p') order by 1"
    )
    tables = [sql.Identifier("marts", name) for (name,) in cur.fetchall()]
    if tables:
        cur.execute(
            sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(tables))
        )


def _street_access(cur) -> tuple[list[str], list[str], list[str]]:
    cur.execute("""
        select c.relname, c.relkind, coalesce(c.reloptions, '{}'),
               array_agg(a.attname::text) filter (where a.attnum > 0 and not a.attisdropped)
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        left join pg_attribute as a on a.attrelid = c.oid
        where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        group by c.relname, c.relkind, c.reloptions
        order by 1""")
    relations = cur.fetchall()
    group = sql.Identifier(STREET_GROUP)
    filtered, whole, withheld = [], [], []
    for name, kind, options, columns in relations:
        column = next((c for c in STREET_COLUMNS if c in (columns or [])), None)
        target = sql.Identifier("marts", name)
        if column and kind in ("r", "p"):
            _street_policies(cur, target, column)
        elif column and kind == "v":
            _filter_view(cur, target, column, already=WRAPPED in options)
        elif name in STREET_FREE and kind in ("r", "p", "v"):
            whole.append(name)
            cur.execute(sql.SQL("grant select on {} to {}").format(target, group))
            continue
        else:
            withheld.append(name)
            continue
        cur.execute(sql.SQL("grant select on {} to {}").format(target, group))
        filtered.append(name)
    return filtered, whole, withheld


def _street_policies(cur, target: sql.Composable, column: str) -> None:
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
        sql.SQL("create policy street_sees_own on {} for select to {} using ({})").format(
            target, sql.Identifier(STREET_GROUP), _own_street(column)
        )
    )


def _filter_view(cur, target: sql.Composable, column: str, *, already: bool) -> None:
    """Re-create dbt's view as a security_barrier view over its own query that keeps, for a
    street role, only its street's rows (same columns, so dependants are untouched). A view
    runs as its owner, past row-level security: the filter names the street itself."""
    if already:
        return
    cur.execute(
        sql.SQL("select pg_get_viewdef({}::regclass, true)").format(
            sql.Literal(target.as_string(cur))
        )
    )
    definition = cur.fetchone()[0].strip().rstrip(";")
    street_member = sql.SQL(
        "exists (select 1 from pg_auth_members as m "
        "join pg_roles as g on g.oid = m.roleid join pg_roles as u on u.oid = m.member "
        "where g.rolname = {} and u.rolname = current_user)"
    ).format(sql.Literal(STREET_GROUP))
    cur.execute(
        sql.SQL(
            "create or replace view {} with (security_barrier = true) as "
            "select * from ({}) as unfiltered where not {} or {}"
        ).format(target, sql.SQL(definition), street_member, _own_street(column, "unfiltered"))
    )
