"""One settings object for every path and URL (environment variables with the ``MIS_`` prefix)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people copy from examples; a key equal to one of these is as good as none.
DEFAULT_SECRET_KEYS = frozenset({"", "change-me", "changeme", "secret", "demo", "dev", "mis"})
MIN_SECRET_KEY_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIS_", extra="ignore", populate_by_name=True)

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
    demo_mode: bool | None = Field(
        default=None,
        validation_alias=AliasChoices("MIS_DEMO_MODE", "MIS_DEMO"),
        description="Demo mode: demo logins (password 'demo') and no secret key needed. "
        "Default: on for the embedded SQLite store, off when MIS_DATABASE_URL is set.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs the dashboards' cookies; required outside demo mode."
    )
    session_idle_minutes: int = Field(
        default=60, gt=0, description="A dashboard session unused this long signs out."
    )
    session_max_hours: float = Field(
        default=12, gt=0, description="A dashboard session signs out this long after sign-in."
    )
    app_port: int = 8501

    @model_validator(mode="after")
    def _default_demo_mode(self) -> Settings:
        if self.demo_mode is None:
            self.demo_mode = self.database_url is None or self.database_url.startswith("sqlite")
        return self

    @property
    def demo(self) -> bool:
        """Demo mode, resolved (``demo_mode`` is never None after validation)."""
        return bool(self.demo_mode)

    @property
    def has_default_secret_key(self) -> bool:
        """True when MIS_SECRET_KEY is unset, a placeholder or too short to be a secret."""
        key = self.secret_key.get_secret_value().strip() if self.secret_key else ""
        return key.lower() in DEFAULT_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH

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
