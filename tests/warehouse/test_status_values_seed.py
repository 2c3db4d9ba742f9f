"""seeds/status_values.csv feeds every accepted-values test: it must equal operational/states.py.

Regenerate it with ``python tests/warehouse/test_status_values_seed.py`` after changing states.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

from operational.states import KINDS, TRANSITIONS

SEED = Path(__file__).resolve().parents[2] / "seeds" / "status_values.csv"


def expected_rows() -> list[tuple[str, str]]:
    rows = [(machine, status) for machine, table in TRANSITIONS.items() for status in table]
    rows += [(name, value) for name, values in KINDS.items() for value in values]
    return rows


def seed_rows() -> list[tuple[str, str]]:
    with SEED.open(newline="", encoding="utf-8") as f:
        return [(r["machine"], r["status"]) for r in csv.DictReader(f)]


def test_status_seed_matches_states_module() -> None:
    assert sorted(seed_rows()) == sorted(expected_rows()), (
        "seeds/status_values.csv is out of date: "
        "run python tests/warehouse/test_status_values_seed.py"
    )


def test_status_seed_has_no_duplicates() -> None:
    rows = seed_rows()
    assert len(rows) == len(set(rows))


if __name__ == "__main__":
    with SEED.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["machine", "status"])
        w.writerows(expected_rows())
    print(f"wrote {SEED}")
