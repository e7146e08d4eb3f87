"""Identifier checks of feeds.md: project codes and credit codes (GB 32100-2015).

The bulk checks of a whole file are built from the same constants (ingest/checks.py: polars,
credit codes once per distinct value of a chunk); this module is the
reference implementation, used by the generator and compared with the bulk ones in tests.
"""

from __future__ import annotations

import re

from ingest.feeds.contracts import (
    CREDIT_ALPHABET,
    CREDIT_CODE,
    CREDIT_WEIGHTS,
    PATTERNS,
    PROJECT_CODE,
)

__all__ = [
    "CREDIT_ALPHABET",
    "CREDIT_WEIGHTS",
    "credit_check_char",
    "credit_code_ok",
    "project_code_ok",
]

_CREDIT_RE = re.compile(PATTERNS[CREDIT_CODE])
PROJECT_CODE_RE = re.compile(PATTERNS[PROJECT_CODE])


def credit_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_ok(code: str, exceptions: frozenset[str] = frozenset()) -> bool:
    """True when the code is well formed and its check character matches, or it is a
    registered exception (real codes exist that fail the check)."""
    if code in exceptions:
        return True
    return bool(_CREDIT_RE.match(code)) and credit_check_char(code[:17]) == code[17]


def project_code_ok(code: str) -> bool:
    """Format only: the last digit's algorithm is not public, so it is not verified."""
    return bool(PROJECT_CODE_RE.match(code))
