"""`mis` gives clear errors and `--help` everywhere."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mis_cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command", [[], ["seed"], ["refresh"], ["kpi"], ["app"], ["schedule"], ["db", "upgrade"]]
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_kpi_without_a_warehouse_says_what_to_run(mis_home):
    result = runner.invoke(app, ["kpi", "--json"])
    assert result.exit_code == 1
    assert "No published warehouse" in result.output
    assert "mis refresh" in result.output


def test_kpi_rejects_bad_dates(mis_home):
    result = runner.invoke(app, ["kpi", "--from", "2026-13-01"])
    assert result.exit_code == 2
    assert "--from must be a date as YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["kpi", "--from", "2026-05-02", "--to", "2026-05-01"])
    assert result.exit_code == 2
    assert "is after" in result.output
