"""What the warehouse must find: every injected problem with its exact subject."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


@dataclass
class Expected:
    gaps: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    negatives: list[dict] = field(default_factory=list)
    relocated_not_new: list[str] = field(default_factory=list)
    not_relocated: list[str] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    must_load: list[dict] = field(default_factory=list)
    rejected_files: list[dict] = field(default_factory=list)
    duplicate_files: list[dict] = field(default_factory=list)
    events: dict[str, list[dict]] = field(
        default_factory=lambda: {
            "corrections": [],
            "retractions": [],
            "left_registry": [],
            "left_leads": [],
            "resent_unchanged": [],
        }
    )

    def gap(
        self,
        rule_id: str,
        *,
        project_code: str | None = None,
        credit_code: str | None = None,
        parcel_no: str | None = None,
        period: date | None = None,
        feed: str | None = None,
        lead_id: str | None = None,
        carrier: str | None = None,
        note: str = "",
    ) -> None:
        """`lead_id` and `carrier` name the subject of the promotion-loop rules (a lead, a
        carrier name); they are given only for those."""
        gap = {
            "rule_id": rule_id,
            "project_code": project_code,
            "credit_code": credit_code,
            "parcel_no": parcel_no,
            "period": _iso(period),
            "feed": feed,
        }
        if lead_id is not None:
            gap["lead_id"] = lead_id
        if carrier is not None:
            gap["carrier"] = carrier
        self.gaps.append({**gap, "note": note})

    def warning(
        self,
        rule_id: str,
        grade: str,
        *,
        project_code: str | None = None,
        parcel_no: str | None = None,
        lead_id: str | None = None,
        delay_days: int | None = None,
        note: str = "",
        **detail: Any,
    ) -> None:
        warning = {"rule_id": rule_id, "project_code": project_code, "parcel_no": parcel_no}
        if lead_id is not None:  # lead_stalled: a lead, not a project
            warning["lead_id"] = lead_id
        self.warnings.append(
            {
                **warning,
                "grade": grade,
                "delay_days": delay_days,
                "note": note,
                "detail": {k: _iso(v) for k, v in detail.items()},
            }
        )

    def negative(self, case: str, rule_id: str, note: str, **subject: Any) -> None:
        self.negatives.append(
            {
                "case": case,
                "rule_id": rule_id,
                "note": note,
                **{k: _iso(v) for k, v in subject.items()},
            }
        )

    def event(self, kind: str, **detail: Any) -> None:
        self.events[kind].append({k: _iso(v) for k, v in detail.items()})
