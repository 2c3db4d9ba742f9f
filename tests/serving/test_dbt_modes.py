"""Which dbt build a refresh runs: everything, what changed, or nothing; and when it recreates
seeds and tables instead of loading into last build's ones."""

from __future__ import annotations

from ingestion.landing import LandingReport, TableLanding
from serving.refresh import dbt_selection, needs_full_refresh, runs_unit_tests

PREVIOUS = {"as_of_date": "2026-11-22", "project_hash": "abc"}


def _landing(**landed: int) -> LandingReport:
    return LandingReport(
        tables=[TableLanding(table=t, mode="incremental", landed=n, deleted=0, cursor_at=None)
                for t, n in landed.items()],
        seconds=0.0,
    )


def test_a_changed_project_recreates_seeds_and_tables():
    # found in use: a seed that gained a column failed to load into the old seed table
    assert needs_full_refresh(full=False, previous=PREVIOUS, project_hash="def")
    assert needs_full_refresh(full=False, previous={}, project_hash="abc")  # first build
    assert needs_full_refresh(full=True, previous=PREVIOUS, project_hash="abc")
    assert not needs_full_refresh(full=False, previous=PREVIOUS, project_hash="abc")


def test_selection_follows_the_change():
    same = {"previous": PREVIOUS, "as_of_date": "2026-11-22", "project_hash": "abc"}
    assert dbt_selection(_landing(task=0), full=False, **same) == ("skip", None)
    mode, select = dbt_selection(_landing(task=2, customer=0), full=False, **same)
    assert mode == "changed" and select is not None
    assert "source:operational.task+" in select and "customer" not in select
    assert dbt_selection(_landing(task=2), full=True, **same) == ("full", None)
    new_day = {**same, "as_of_date": "2026-11-23"}
    assert dbt_selection(_landing(task=0), full=False, **new_day) == ("full", None)


def test_unit_tests_run_when_the_sql_changed_not_on_every_rebuild():
    # unit tests check model SQL against fixtures: a nightly full rebuild of the same SQL
    # does not need them, the first build of a changed (or new) project does
    assert runs_unit_tests(previous=PREVIOUS, project_hash="def")
    assert runs_unit_tests(previous={}, project_hash="abc")
    assert not runs_unit_tests(previous=PREVIOUS, project_hash="abc")
