"""The promotion loop's feeds (leads, carriers, hitech) and the approvals and tax rows they meet,
added to the small ledger of ledger_fixture (same as_of, 2026-11-24): written straight into the
event store, as ingest would write them, so the warehouse tests need neither ingest nor the
generator."""

from __future__ import annotations

from typing import Any

from tests.dbt import ledger_fixture as lf

CC_X = "91320602MA1X000007"  # a taxpayer paying under a carrier the carriers list does not know
P_X = "2026-320602-39-03-000099"  # an approval of a project not in the registry


def _lead(lead_id: str, stage: str, **values: Any) -> tuple[str, str, dict]:
    data = {
        "lead_id": lead_id,
        "project_name": f"{lead_id}项目",
        "investor": "某集团",
        "credit_code": None,
        "sourcing_unit": "zsj",
        "street_code": "320602003",
        "industry": "先进制造",
        "intended_investment": 20000,
        "stage": stage,
        "first_contact_on": "2026-03-01",
        "signed_on": None,
        "project_code": None,
        **values,
    }
    return lead_id, "upsert", data


SIGNED_UNREGISTERED = _lead("ZS2026-0001", "签约", signed_on="2026-08-01")
MATCHED_BY_CODE = _lead(
    "ZS2026-0002",
    "在谈",
    project_code=lf.P_C,
    street_code="320602001",
    first_contact_on="2025-12-01",
)
STALLED_YELLOW = _lead("ZS2026-0003", "在谈", first_contact_on="2026-01-01")
STALLED_RED = _lead("ZS2025-0004", "在谈", first_contact_on="2025-10-01", sourcing_unit="320602005")
LEFT_LEDGER = _lead("ZS2026-0005", "签约", signed_on="2026-01-01", intended_investment=50000)
MATCHED_BY_CREDIT = _lead(
    "ZS2026-0006",
    "签约",
    credit_code=lf.CC_A,
    signed_on="2024-10-01",
    first_contact_on="2024-06-01",
    street_code="320602001",
)


def _carrier(name: str, aliases: str | None, status: str, **areas: float) -> tuple:
    data = {
        "carrier_name": name,
        "aliases": aliases,
        "carrier_kind": "园区",
        "street_code": "320602001",
        "build_status": status,
        "investment_completed": 1000,
        "brand_level": None,
        "period": "2026-09-01",
        **areas,
    }
    return f"{name}|2026-09-01", "upsert", data


def _tax(credit: str, period: str, tax_type: str, amount: float, carrier: str) -> tuple:
    data = {
        "credit_code": credit,
        "period": period,
        "tax_type": tax_type,
        "amount_yuan": amount,
        "street_code": "320602001",
        "carrier": carrier,
    }
    return f"{credit}|{period}|{tax_type}", "upsert", data


def _approval(code: str, item: str, accepted: str, decided: str | None, result: str | None):
    data = {
        "project_code": code,
        "item": item,
        "accepted_on": accepted,
        "decided_on": decided,
        "result": result,
        "total_investment": 30000,
    }
    return f"{code}|{item}", "upsert", data


BATCHES: list[lf.Batch] = [
    (
        "leads",
        "20261116.csv",
        "2026-11-16",
        "loaded",
        None,
        [
            SIGNED_UNREGISTERED,
            MATCHED_BY_CODE,
            STALLED_YELLOW,
            STALLED_RED,
            LEFT_LEDGER,
            MATCHED_BY_CREDIT,
        ],
        [],
    ),
    # The next weekly snapshot no longer lists ZS2026-0005: it has left the ledger.
    (
        "leads",
        "20261123.csv",
        "2026-11-23",
        "loaded",
        None,
        [SIGNED_UNREGISTERED, MATCHED_BY_CODE, STALLED_YELLOW, STALLED_RED, MATCHED_BY_CREDIT],
        [],
    ),
    (
        "carriers",
        "20261015.xlsx",
        "2026-10-15",
        "loaded",
        None,
        [
            # The aliases as delivered: one written with full-width letters and a full-width
            # separator; the tax feed writes the alias in half-width with a trailing space.
            _carrier(
                "崇川经济开发区",
                "崇川开发区；ＮＴ大厦",
                "建成",
                total_area_m2=100000,
                usable_area_m2=80000,
                occupied_area_m2=60000,
            ),
            _carrier("在建楼宇甲", None, "在建", total_area_m2=50000),
            _carrier("待建地块乙", None, "待建", total_area_m2=30000),
        ],
        [],
    ),
    (
        "tax",
        "20261120.csv",
        "2026-11-20",
        "loaded",
        None,
        [
            _tax(lf.CC_A, "2026-09-01", "个人所得税", 60000, "NT大厦 "),
            _tax(CC_X, "2026-10-01", "增值税", 1000, "未登记楼宇"),
        ],
        [],
    ),
    (
        "hitech",
        "20261110.csv",
        "2026-11-10",
        "loaded",
        None,
        [
            (
                f"{lf.CC_A}|GR202632000123",
                "upsert",
                {
                    "credit_code": lf.CC_A,
                    "enterprise_name": "甲公司",
                    "certificate_no": "GR202632000123",
                    "certified_on": "2026-10-30",
                    "valid_until": "2029-10-29",
                },
            )
        ],
        [],
    ),
    (
        "approvals",
        "20261123.jsonl",
        "2026-11-23",
        "loaded",
        None,
        [
            # Accepted on Mid-Autumn Festival (Friday 25 Sep), pending on 24 Nov across National
            # Day: 38 working days.
            _approval(lf.P_C, "建设工程规划许可证", "2026-09-25", None, None),
            # Pending since August, more than twice its limit of 20 working days.
            _approval(P_X, "项目核准", "2026-08-03", None, None),
            # The first registration item of P_A: its approval chain ends at the permit of
            # 2025-02-20 (Spring Festival 2025 in between): 31 working days.
            _approval(lf.P_A, "立项备案", "2025-01-02", "2025-01-02", "准予"),
        ],
        [],
    ),
]


def load(conn: Any) -> None:
    """The ledger fixture, then these batches."""
    lf.load(conn)
    lf.load_batches(conn, BATCHES, first_seq=len(lf.BATCHES))
