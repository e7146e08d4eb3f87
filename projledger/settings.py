"""One typed settings object, read from the environment.

Everything that differs between a laptop demo, CI and a deployment is here; rule thresholds
are not (they live in the vars of dbt_project/dbt_project.yml, the one rules config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url_override: str | None
    dbt_project_dir: Path
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "projledger@chongchuan.example.gov.cn"
    skip_empty_digests: bool = True
    # Group robots (alerts/robots.py): the channels file (default $PROJLEDGER_HOME/channels.toml)
    # and the robots' limits. The window is a setting so tests can shorten the minute.
    channels_file: Path | None = None
    robot_rate_limit: int = 20
    robot_rate_window: float = 60.0
    robot_timeout: float = 10.0
    robot_max_waits: int = 3
    bulletin_to: tuple[str, ...] = ()
    chromium: str | None = None

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def channels_path(self) -> Path:
        return self.channels_file or self.home / "channels.toml"

    @property
    def bulletins(self) -> Path:
        return self.home / "bulletins"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def load_settings(**overrides) -> Settings:
    env = os.environ
    home = Path(env.get("PROJLEDGER_HOME", ".projledger")).resolve()
    values = dict(
        home=home,
        database_url_override=env.get("DATABASE_URL") or None,
        dbt_project_dir=Path(env.get("PROJLEDGER_DBT_DIR", REPO_ROOT / "dbt_project")).resolve(),
        smtp_host=env.get("PROJLEDGER_SMTP_HOST") or None,
        smtp_port=int(env.get("PROJLEDGER_SMTP_PORT", "25")),
        smtp_tls=_bool(env.get("PROJLEDGER_SMTP_TLS")),
        smtp_user=env.get("PROJLEDGER_SMTP_USER") or None,
        smtp_password=env.get("PROJLEDGER_SMTP_PASSWORD") or None,
        mail_from=env.get("PROJLEDGER_MAIL_FROM", "projledger@chongchuan.example.gov.cn"),
        skip_empty_digests=_bool(env.get("PROJLEDGER_SKIP_EMPTY_DIGESTS"), True),
        channels_file=Path(env["PROJLEDGER_CHANNELS"]) if env.get("PROJLEDGER_CHANNELS") else None,
        robot_rate_window=float(env.get("PROJLEDGER_ROBOT_RATE_WINDOW", "60")),
        robot_timeout=float(env.get("PROJLEDGER_ROBOT_TIMEOUT", "10")),
        # The leaders' list for the monthly bulletin: addresses separated by commas.
        bulletin_to=tuple(
            a.strip() for a in env.get("PROJLEDGER_BULLETIN_TO", "").split(",") if a.strip()
        ),
        # The system Chromium that prints the bulletin's PDF (Playwright never downloads one).
        chromium=env.get("PROJLEDGER_CHROMIUM") or None,
    )
    values.update(overrides)
    return Settings(**values)


def rule_vars(dbt_project_dir: Path | None = None) -> dict[str, Any]:
    """The `vars:` block of dbt_project.yml: every threshold lives there, none in code.
    Without a directory: the project's own dbt_project/ (PROJLEDGER_DBT_DIR if set)."""
    if dbt_project_dir is None:
        dbt_project_dir = Path(os.environ.get("PROJLEDGER_DBT_DIR", REPO_ROOT / "dbt_project"))
    path = Path(dbt_project_dir) / "dbt_project.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}


def district_timezone() -> ZoneInfo:
    """The district's time zone (the `timezone` var): business dates are days there."""
    return ZoneInfo(rule_vars().get("timezone") or "Asia/Shanghai")


def default_as_of(now: datetime | None = None) -> date:
    """The business date a night closes when none is named: yesterday in the district's time
    zone (as of `now`, an aware datetime; default the clock). The one place that reads the
    clock for a business date: the CLI, the dbt runner and the DAG call it and always pass
    as_of to dbt, whose `as_of` macro refuses to guess."""
    tz = district_timezone()
    today = (now.astimezone(tz) if now is not None else datetime.now(tz)).date()
    return today - timedelta(days=1)
