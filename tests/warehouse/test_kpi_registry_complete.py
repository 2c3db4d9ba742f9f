"""Every KPI in the domain brief has one definition, a unit test and a place on a dashboard;
every KPI's ``dimensions`` are exactly the dimension parameters its SQL takes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# DOMAIN.md's KPI list, mapped to registry names.
DOMAIN_KPIS = {
    "turnover", "order_intake", "customer_ltv", "avg_customer_ltv", "active_customers",
    "on_time_delivery_rate", "otif_rate", "gross_margin_rate", "inventory_turnover",
    "days_of_inventory", "slow_moving_items", "lead_conversion_rate", "win_rate",
    "deal_cycle_days", "repurchase_rate", "retention_rate", "receivables", "receivables_0_30",
    "receivables_31_60", "receivables_61_90", "receivables_91_120", "receivables_over_120",
    "dso", "approval_cycle_hours", "service_resolution_hours", "service_satisfaction",
}
REQUIRED_COLUMNS = [
    "kpi_name", "label_en", "label_zh", "formula", "unit", "higher_is_better", "model",
    "grain", "is_headline", "value_sql",
]
# `dimensions` may be empty (no dimension applies), so it is not among the required values.
COLUMNS = [*REQUIRED_COLUMNS[:-1], "dimensions", REQUIRED_COLUMNS[-1]]
DIMENSIONS = ("region", "category", "grade", "owner")
# The main KPIs the executives cut by region: a regression that drops a dimension fails here.
MUST_CUT_BY_REGION = {
    "order_intake", "turnover", "on_time_delivery_rate", "gross_margin_rate",
    "avg_customer_ltv", "active_customers", "receivables",
}


def registry() -> list[dict[str, str]]:
    with (ROOT / "seeds" / "kpi_registry.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def unit_tested_models() -> set[str]:
    models = set()
    for path in (ROOT / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for test in doc.get("unit_tests") or []:
            models.add(test["model"])
    return models


def test_registry_rows_are_complete_definitions():
    rows = registry()
    assert list(rows[0].keys()) == COLUMNS
    names = [r["kpi_name"] for r in rows]
    assert len(names) == len(set(names)), "a KPI is defined twice"
    for r in rows:
        for col in REQUIRED_COLUMNS:
            assert r[col].strip(), f"{r['kpi_name']}: empty {col}"
        assert r["unit"] in {"money", "rate", "count", "days", "hours", "score"}, r["kpi_name"]
        assert r["grain"] in {"period", "customer", "month"}, r["kpi_name"]
        assert "$date_to" in r["value_sql"], r["kpi_name"]
        assert re.search(r"[\u4e00-\u9fff]", r["label_zh"]), f"{r['kpi_name']}: no Chinese label"


def test_every_domain_kpi_has_a_definition():
    assert DOMAIN_KPIS - {r["kpi_name"] for r in registry()} == set()


def test_every_kpi_model_has_a_unit_test():
    tested = unit_tested_models()
    missing = sorted({r["model"] for r in registry()} - tested)
    assert missing == [], f"KPI models without a dbt unit test: {missing}"


def test_every_kpi_has_a_place_on_a_dashboard():
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "dashboards").rglob("*.py")
    )
    missing = sorted(
        r["kpi_name"] for r in registry()
        if not re.search(rf"[\"']{re.escape(r['kpi_name'])}[\"']", code)
    )
    assert missing == [], f"KPIs no dashboard page shows: {missing}"


def dimension_problems(row: dict[str, str]) -> list[str]:
    """What is wrong with a row's `dimensions` against the parameters its value_sql takes."""
    listed = [d for d in row["dimensions"].split("|") if d]
    problems = [f"unknown dimension {d!r}" for d in listed if d not in DIMENSIONS]
    known = [d for d in listed if d in DIMENSIONS]
    if known != [d for d in DIMENSIONS if d in known]:
        problems.append(f"dimensions not in the order {'|'.join(DIMENSIONS)}: {row['dimensions']}")
    for d in DIMENSIONS:
        in_sql = re.search(rf"\${d}\b", row["value_sql"]) is not None
        if d in listed and not in_sql:
            problems.append(f"lists {d} but its SQL has no ${d}")
        if in_sql and d not in listed:
            problems.append(f"its SQL takes ${d} but dimensions does not list {d}")
    params = set(re.findall(r"\$([a-z_]+)", row["value_sql"]))
    unknown_params = params - {"date_from", "date_to", *DIMENSIONS}
    if unknown_params:
        problems.append(f"unknown parameters {sorted(unknown_params)}")
    return problems


def test_dimensions_match_the_sql_parameters():
    problems = {r["kpi_name"]: p for r in registry() if (p := dimension_problems(r))}
    assert problems == {}


@pytest.mark.parametrize(
    ("dimensions", "sql", "expected"),
    [
        ("region", "select 1 where $date_to and ($region is null or r = $region)", []),
        ("", "select 1 where $date_to", []),
        ("region|owner", "select 1 where $date_to and ($region is null or r = $region)",
         ["lists owner but its SQL has no $owner"]),
        ("", "select 1 where $date_to and ($grade is null or g = $grade)",
         ["its SQL takes $grade but dimensions does not list grade"]),
        ("owner|region", "select $region, $owner", [
            "dimensions not in the order region|category|grade|owner: owner|region"]),
        ("colour", "select $colour", [
            "unknown dimension 'colour'", "unknown parameters ['colour']"]),
    ],
)
def test_the_dimension_check_catches_mismatches(dimensions, sql, expected):
    assert dimension_problems({"dimensions": dimensions, "value_sql": sql}) == expected


def test_main_kpis_can_be_cut_by_region():
    cut = {r["kpi_name"] for r in registry() if "region" in r["dimensions"].split("|")}
    assert MUST_CUT_BY_REGION - cut == set()
