"""One typed settings object, read from the environment.

Everything that differs between a laptop demo, CI and a deployment is here; rule thresholds
are not (they live in the vars of dbt_project/dbt_project.yml, the one rules config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    bulletin_to: tuple[str, ...] = ()
    chromium: str | None = None

    @property
    def database_url(self) -> str:
        """DATABASE_URL if set, else the embedded server (started on demand)."""
        from projledger.db import database_url

        return database_url(self)

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

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
        # The leaders' list for the monthly bulletin: addresses separated by commas.
        bulletin_to=tuple(
            a.strip() for a in env.get("PROJLEDGER_BULLETIN_TO", "").split(",") if a.strip()
        ),
        # The system Chromium that prints the bulletin's PDF (Playwright never downloads one).
        chromium=env.get("PROJLEDGER_CHROMIUM") or None,
    )
    values.update(overrides)
    return Settings(**values)


def rule_vars(dbt_project_dir: Path) -> dict[str, Any]:
    """The `vars:` block of dbt_project.yml: every threshold lives there, none in code."""
    path = Path(dbt_project_dir) / "dbt_project.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}
