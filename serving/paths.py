"""Where the dbt project lives (the repository root, beside this package)."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
