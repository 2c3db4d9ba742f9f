"""The batched KPI evaluation (one statement for many KPIs and periods, what the dashboards'
tiles and sparklines use) gives the registry's value per period exactly, for every KPI."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sample_store import AS_OF
from wh_build import WarehouseBuild

from serving import kpis

pytestmark = pytest.mark.slow


def _months_back(n: int) -> list[tuple[date, date]]:
    """The last ``n`` months up to the store's as-of date, plus a period with no data."""
    ranges = [(lo, hi) for _, lo, hi in
              kpis.month_ranges(kpis.shift_months(AS_OF.replace(day=1), -(n - 1)), AS_OF)]
    return [*ranges, (date(2001, 1, 1), date(2001, 1, 31))]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return a == b


def _period_kpis(con: duckdb.DuckDBPyConnection) -> list[kpis.KpiDefinition]:
    return [k for k in kpis.registry(con).values() if k.grain == "period"]


def test_every_period_kpi_batched_equals_one_statement_per_period(
    wh: WarehouseBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    periods = _months_back(14)
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        defs = _period_kpis(con)
        expected = [[kpis.evaluate_one(con, k, lo, hi) for k in defs] for lo, hi in periods]

        def no_fallback(*_a: object, **_k: object) -> None:
            raise AssertionError("the batched statement failed and fell back per period")

        monkeypatch.setattr(kpis, "evaluate_one", no_fallback)
        got = kpis.evaluate_periods(con, defs, periods)
    assert len(got) == len(periods)
    diffs = [(defs[j].name, periods[i], got[i][j], expected[i][j])
             for i in range(len(periods)) for j in range(len(defs))
             if not _same(got[i][j], expected[i][j])]
    assert not diffs, diffs[:5]
    # the data is real: most KPIs have a value in the last month, sales none in 2001
    assert sum(v not in (None, 0) for v in got[-2]) >= len(defs) // 2
    intake = [k.name for k in defs].index("order_intake")
    assert got[-2][intake] > 0
    assert got[-1][intake] == 0


def test_batched_with_dimension_members_equals_one_statement(wh: WarehouseBuild) -> None:
    periods = _months_back(3)
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        defs = _period_kpis(con)
        checked = 0
        for dimension in kpis.DIMENSIONS:
            cut = [k for k in defs if dimension in k.dimensions]
            for member in [m["member"] for m in kpis.members(con, dimension)][:2]:
                dims = {dimension: member}
                got = kpis.evaluate_periods(con, cut, periods, dims)
                for i, (lo, hi) in enumerate(periods):
                    for j, k in enumerate(cut):
                        want = kpis.evaluate_one(con, k, lo, hi, dims)
                        assert _same(got[i][j], want), (k.name, dims, lo, got[i][j], want)
                        checked += 1
    assert checked > 100


def test_monthly_and_evaluate_keep_their_shape(wh: WarehouseBuild) -> None:
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        lo = kpis.shift_months(AS_OF.replace(day=1), -2)
        rows = kpis.monthly(con, kpis.MONTHLY, lo, AS_OF)
        assert [r["month"] for r in rows] == [m for m, _, _ in kpis.month_ranges(lo, AS_OF)]
        for r, (_, m_lo, m_hi) in zip(rows, kpis.month_ranges(lo, AS_OF), strict=True):
            reg = kpis.registry(con)
            for name in kpis.MONTHLY:
                assert _same(r[name], kpis.evaluate_one(con, reg[name], m_lo, m_hi))
        values = kpis.evaluate(con, kpis.HEADLINE, lo, AS_OF)
        assert list(values) == list(kpis.HEADLINE)
        assert values["order_intake"] > 0


@pytest.mark.parametrize("cut", ["whole", "region"])
def test_tile_values_are_each_period_evaluated_on_its_own(wh: WarehouseBuild, cut: str) -> None:
    """One statement for a row of tiles (the period, previous, last year and a 12-month
    sparkline whose last month is the period itself) equals evaluating each apart."""
    names = kpis.HEADLINE
    period = (AS_OF.replace(day=1), AS_OF)
    previous = kpis.previous_period(*period)
    last_year = kpis.same_period_last_year(*period)
    window = (kpis.shift_months(period[0], -11), AS_OF)
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        dims = None
        if cut == "region":
            dims = {"region": kpis.members(con, "region")[0]["member"]}
            names = tuple(n for n in names if "region" in kpis.registry(con)[n].dimensions)
        got = kpis.tile_values(con, names, period, previous, last_year, window, dims)
        assert got["now"] == kpis.evaluate(con, names, *period, dims)
        assert got["prev"] == kpis.evaluate(con, names, *previous, dims)
        assert got["ly"] == kpis.evaluate(con, names, *last_year, dims)
        assert got["spark"] == kpis.monthly(con, names, *window, dims)
    assert len(got["spark"]) == 12
    assert {n: got["spark"][-1][n] for n in names} == got["now"]
    assert got["now"]["order_intake"] > 0


def test_registry_is_read_again_when_the_warehouse_file_changes(
    wh: WarehouseBuild, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh.duckdb_path, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        assert kpis.registry(con)["turnover"].label_en == "Turnover"
        assert kpis.registry(con) is kpis.registry(con)  # read once per file version
    with duckdb.connect(str(copy)) as con:
        con.execute(f"update {kpis._registry_relation(con)} set label_en = 'Net turnover' "
                    "where kpi_name = 'turnover'")
        con.execute("checkpoint")
    with duckdb.connect(str(copy), read_only=True) as con:
        assert kpis.registry(con)["turnover"].label_en == "Net turnover"
