"""A page run shares one warehouse connection: opened on the first read that misses the
cache, none for a run served from the cache, closed when the run ends."""

from __future__ import annotations

from datetime import date

import pytest

from tests.dashboards.conftest import APP, run_page


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    from dashboards import data

    made: list[object] = []
    real = data.connect_published

    def counting(*args: object, **kwargs: object):
        con = real(*args, **kwargs)
        made.append(con)
        return con

    monkeypatch.setattr(data, "connect_published", counting)
    return made


def test_reads_in_one_run_share_one_connection_closed_at_the_end(warehouse_home, opened):
    import duckdb
    import streamlit as st

    from dashboards import data

    st.cache_data.clear()
    with data.one_connection_per_run():
        info = data.build_info()
        assert info is not None
        rel = data.relations(info["build_id"])
        tiles = data.kpi_values(info["build_id"], ("order_intake", "turnover"),
                                date(2026, 1, 1), date(2026, 1, 31))
        assert "reports.rpt_kpi_daily_dims" in rel and set(tiles) == {"order_intake", "turnover"}
        assert len(opened) == 1
    with pytest.raises(duckdb.ConnectionException):  # closed when the run ended
        opened[0].execute("select 1")

    # the same reads again: served by the cache except the build stamp, one connection
    with data.one_connection_per_run():
        info = data.build_info()
        data.relations(info["build_id"])
    assert len(opened) == 2

    # outside a run each read opens (and closes) its own, as before
    data.build_info()
    data.build_info()
    assert len(opened) == 2  # open_published is not counted: the run path only


def test_the_app_reads_a_page_through_one_connection(warehouse_home, opened):
    import streamlit as st

    st.cache_data.clear()
    at = run_page(APP)
    assert not at.exception
    assert len(at.metric) >= 6  # the overview's tiles were read and drawn
    assert len(opened) == 1
