"""Every KPI in the domain brief has one definition, a unit test and a place on a dashboard."""

from __future__ import annotations

import csv
import re
from pathlib import Path

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
    assert list(rows[0].keys()) == REQUIRED_COLUMNS
    names = [r["kpi_name"] for r in rows]
    assert len(names) == len(set(names)), "a KPI is defined twice"
    for r in rows:
        for col in REQUIRED_COLUMNS:
            assert r[col].strip(), f"{r['kpi_name']}: empty {col}"
        assert r["unit"] in {"money", "rate", "count", "days", "hours"}, r["kpi_name"]
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
