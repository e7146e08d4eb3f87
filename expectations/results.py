"""One check's outcome (a CheckResult): what the checkpoints produce and the history stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckResult:
    check_name: str
    suite: str
    success: bool
    evaluated: int | None = None
    unexpected: int | None = None
    failing_keys: list[Any] = field(default_factory=list)
    # Set when the check could not run (a crash): a finding itself, never a pass.
    error: str | None = None
