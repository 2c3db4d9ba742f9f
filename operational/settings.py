"""One settings object for every path and URL (environment variables with the ``MIS_`` prefix)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIS_", extra="ignore")

    home: Path = Field(default=Path(".mis"), description="Data folder: store, warehouse, logs.")
    database_url: str | None = Field(
        default=None, description="Operational store URL; default: SQLite file in MIS_HOME."
    )
    timezone: str = Field(default="Asia/Shanghai", description="Company timezone for dates.")
    currency: str = "CNY"
    overlap_minutes: int = Field(
        default=10, description="Landing re-reads this window before the cursor (late commits)."
    )
    discount_approval_threshold: float = Field(
        default=0.15, description="Line discounts above this need an approved discount request."
    )
    demo: bool = Field(default=True, description="Demo mode: seeded users, default secrets.")
    app_port: int = 8501

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'operational.sqlite'}"

    @property
    def is_sqlite(self) -> bool:
        return self.store_url.startswith("sqlite")

    @property
    def warehouse_dir(self) -> Path:
        return self.resolved_home / "warehouse"

    @property
    def build_db_path(self) -> Path:
        """The DuckDB file a refresh writes (never read by dashboards)."""
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_db_path(self) -> Path:
        """The DuckDB copy dashboards and ``mis kpi`` read; swapped in atomically."""
        return self.warehouse_dir / "published.duckdb"


@lru_cache
def get_settings() -> Settings:
    return Settings()
