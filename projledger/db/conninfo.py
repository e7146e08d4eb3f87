"""One reading of the database URL for every layer (feeds.md, "Database connection").

libpq reads DATABASE_URL, not us: `psycopg2.extensions.parse_dsn` checks what the URL says, and
one libpq connection resolves what it leaves out (PGHOST, PGPORT, PGUSER, the default socket
directory, PGPASSWORD, ~/.pgpass), so `postgresql:///db`, `?host=/socket/dir&port=...`,
`sslmode` and passwords reach the same server whichever layer connects. From that one
`Target` come dbt's profile variables, Great Expectations' SQLAlchemy URL, Airflow's metadata
URL and the URLs of other databases on the same server.

A URL a layer cannot carry (several hosts, a pg_service name, a parameter dbt's profile has no
field for) stops the run with a clear message before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import psycopg2
import psycopg2.extensions

# libpq keywords every layer (psycopg2, dbt's profile, SQLAlchemy) can carry to the server.
# dbt-postgres' profile has exactly these connection fields; anything else in a URL would be
# honoured by some layers and silently dropped by dbt, so it is refused instead.
CARRIED = (
    "host",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "keepalives_idle",
    "application_name",
)
# Read by libpq while resolving, not needed afterwards: the resolved password is carried.
RESOLVED_ONLY = ("passfile",)
SSL_FILES = ("sslrootcert", "sslcert", "sslkey")
DBT_APPLICATION = "projledger_dbt"
GX_APPLICATION = "projledger_gx"


class DatabaseUrlError(ValueError):
    """DATABASE_URL names no server every layer can reach the same way."""


def check(url: str) -> dict[str, str]:
    """What the URL itself says (libpq keywords), or DatabaseUrlError."""
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError as exc:
        raise DatabaseUrlError(f"DATABASE_URL is not a libpq connection URL: {exc}") from None
    unknown = sorted(set(params) - set(CARRIED) - set(RESOLVED_ONLY))
    if unknown:
        raise DatabaseUrlError(
            f"DATABASE_URL parameter(s) {', '.join(unknown)} cannot be passed to every layer "
            f"(dbt's profile takes only {', '.join(CARRIED)}): remove them"
        )
    for key in ("host", "port"):
        if "," in params.get(key, ""):
            raise DatabaseUrlError(
                f"DATABASE_URL names several {key}s ({params[key]}): dbt and Great Expectations "
                "connect to one server; name exactly one"
            )
    return params


@dataclass(frozen=True)
class Target:
    """The server and database a URL resolves to, every field explicit."""

    host: str  # a host name, an address, or a Unix socket directory (starts with '/')
    port: int
    user: str
    password: str
    dbname: str
    options: dict[str, str] = field(default_factory=dict)  # sslmode, ssl files, timeouts

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    def connect_kwargs(self, dbname: str | None = None) -> dict[str, str]:
        kwargs = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": dbname or self.dbname,
            **self.options,
        }
        if self.password:
            kwargs["password"] = self.password
        return kwargs

    def url(self, dbname: str | None = None) -> str:
        """A libpq URL of this server (another database on it with `dbname`)."""
        return _url("postgresql", self, dbname or self.dbname, self.options)

    def sqlalchemy_url(self, dbname: str | None = None, application: str | None = None) -> str:
        """The same server for SQLAlchemy (Great Expectations, Airflow's metadata): psycopg2
        takes a socket directory as the `host` query parameter."""
        query = dict(self.options)
        if application:
            query["application_name"] = application
        return _url("postgresql+psycopg2", self, dbname or self.dbname, query)

    def dbt_env(self) -> dict[str, str]:
        """The environment dbt's profile reads (dbt_project/profiles.yml). dbt-postgres passes
        `host` to psycopg2 as is, so a socket directory works there too."""
        env = {
            "PROJLEDGER_PG_HOST": self.host,
            "PROJLEDGER_PG_PORT": str(self.port),
            "PROJLEDGER_PG_USER": self.user,
            "PROJLEDGER_PG_PASSWORD": self.password,
            "PROJLEDGER_PG_DBNAME": self.dbname,
            "PROJLEDGER_PG_SSLMODE": self.options.get("sslmode", "prefer"),
            "PROJLEDGER_PG_APPLICATION_NAME": DBT_APPLICATION,
        }
        for key in (*SSL_FILES, "connect_timeout", "keepalives_idle"):
            env[f"PROJLEDGER_PG_{key.upper()}"] = self.options.get(key, "")
        return env


def _url(scheme: str, target: Target, dbname: str, query: dict[str, str]) -> str:
    auth = quote(target.user, safe="")
    if target.password:
        auth += ":" + quote(target.password, safe="")
    query = dict(query)
    if target.is_socket:
        # A socket directory cannot be a URL's host part: libpq and SQLAlchemy both take it as
        # the `host` query parameter.
        query = {"host": target.host, "port": str(target.port), **query}
        netloc = f"{auth}@"
    else:
        host = f"[{target.host}]" if ":" in target.host else target.host
        netloc = f"{auth}@{host}:{target.port}"
    tail = f"?{urlencode(query)}" if query else ""
    return f"{scheme}://{netloc}/{quote(dbname, safe='')}{tail}"


def resolve(url: str) -> Target:
    """The server and database `url` reaches, as libpq itself resolves it (one connection)."""
    said = check(url)
    try:
        conn = psycopg2.connect(url, application_name="projledger")
    except psycopg2.OperationalError as exc:
        raise DatabaseUrlError(f"cannot connect with DATABASE_URL: {exc}".strip()) from None
    try:
        info = conn.info
        effective = info.dsn_parameters
        host = info.host
        if not host or host.startswith("@"):
            raise DatabaseUrlError(
                f"DATABASE_URL reaches an abstract socket ({host!r}), which dbt cannot name"
            )
        options = {
            key: said[key]
            for key in ("sslmode", *SSL_FILES, "connect_timeout", "keepalives_idle")
            if said.get(key)
        }
        # An sslmode from PGSSLMODE counts like one in the URL: dbt must not fall back.
        if "sslmode" not in options and effective.get("sslmode"):
            options["sslmode"] = effective["sslmode"]
        return Target(
            host=host,
            port=int(info.port),
            user=info.user,
            password=info.password or "",
            dbname=info.dbname,
            options=options,
        )
    finally:
        conn.close()


def sibling(conn: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    """Another connection to the server, database and role `conn` reached, with the parameters
    libpq resolved for it (a socket directory stays a socket, never a fallback to a port)."""
    info = conn.info
    params = {key: value for key, value in info.dsn_parameters.items() if key in CARRIED and value}
    if info.password:
        params["password"] = info.password
    return psycopg2.connect(**params)


def with_dbname(url: str, dbname: str) -> str:
    """`url` naming another database, everything else as written (no connection made)."""
    params = check(url)
    user = quote(params.pop("user", ""), safe="")
    password = params.pop("password", "")
    auth = (user + (":" + quote(password, safe="") if password else "") + "@") if user else ""
    host = params.pop("host", "")
    params.pop("dbname", None)
    netloc = auth
    if host and not host.startswith("/"):
        netloc += f"[{host}]" if ":" in host else host
        if "port" in params:
            netloc += ":" + params.pop("port")
    elif host:
        params = {"host": host, **params}
    tail = f"?{urlencode(params)}" if params else ""
    return f"postgresql://{netloc}/{quote(dbname, safe='')}{tail}"


def dbname_of(url: str) -> str | None:
    return check(url).get("dbname")
