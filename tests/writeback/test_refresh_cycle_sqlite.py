"""The refresh + write-back loop with the operational store on SQLite (see refresh_cycle)."""

from __future__ import annotations

import pytest

from tests.writeback.refresh_cycle import (  # noqa: F401 - the module's fixture and tests
    home,
    test_1_first_cycle_raises_one_task_per_finding_for_its_owner,
    test_2_reasons_carry_the_figures,
    test_3_two_more_cycles_raise_nothing_new,
    test_4_conditions_cleared_in_the_store_close_their_tasks,
    test_5_dashboards_read_findings_and_work_from_the_published_warehouse,
    test_6_a_full_rebuild_of_the_same_sql_runs_data_tests_not_unit_tests,
)

pytestmark = pytest.mark.slow
BACKEND = "sqlite"
