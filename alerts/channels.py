"""Group-robot channels of the owners (企业微信 / 钉钉), read from $PROJLEDGER_HOME/channels.toml
or the file PROJLEDGER_CHANNELS names: one table per owner code, never in git (the webhook key
and the signing secret are secrets).

    [xmb]
    kind = "wecom"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."

    [320602003]
    kind = "dingtalk"
    url = "https://oapi.dingtalk.com/robot/send?access_token=..."
    secret = "SEC..."
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WECOM, DINGTALK = "wecom", "dingtalk"
KINDS = (WECOM, DINGTALK)
log = logging.getLogger(__name__)


class ChannelsError(ValueError):
    """The channels file cannot be used: the run stops before anything is sent."""


@dataclass(frozen=True)
class Channel:
    owner: str
    kind: str
    url: str
    secret: str | None = None

    @property
    def robot(self) -> str:
        """What may be recorded about the robot: its host and a fingerprint of the webhook,
        never the key or token in the URL."""
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        return f"{urlsplit(self.url).hostname}#{digest}"

    def __repr__(self) -> str:  # keep the webhook key out of logs and tracebacks
        return f"Channel(owner={self.owner!r}, kind={self.kind!r}, robot={self.robot!r})"


def load_channels(path: Path) -> dict[str, Channel]:
    """The configured robots by owner code; none when the file does not exist."""
    if not path.exists():
        return {}
    if path.stat().st_mode & 0o077:
        log.warning("%s holds webhook keys and secrets: make it readable by its owner only", path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ChannelsError(f"{path}: not valid TOML ({exc})") from exc
    channels = {}
    for owner, table in data.items():
        if not isinstance(table, dict):
            raise ChannelsError(f"{path}: [{owner}] must be a table with kind and url")
        kind, url, secret = table.get("kind"), table.get("url"), table.get("secret")
        unknown = set(table) - {"kind", "url", "secret"}
        if kind not in KINDS:
            raise ChannelsError(f"{path}: [{owner}] kind must be one of {', '.join(KINDS)}")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ChannelsError(f"{path}: [{owner}] url must be an http(s) webhook URL")
        if kind == DINGTALK and not secret:
            raise ChannelsError(f"{path}: [{owner}] a DingTalk robot needs its signing secret")
        if unknown:
            raise ChannelsError(f"{path}: [{owner}] unknown keys {', '.join(sorted(unknown))}")
        channels[str(owner)] = Channel(str(owner), kind, url, secret)
    return channels
