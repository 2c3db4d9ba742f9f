"""Fields every operational table shares: surrogate id, database-clock timestamps, version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from operational.types import utcnow


class TableBase(SQLModel):
    """Mixin for table models.

    ``created_at``/``updated_at`` come from the database clock in UTC; ``version`` is
    SQLAlchemy's optimistic-concurrency column, so a stale save raises ``StaleDataError``
    instead of overwriting someone else's change.
    """

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime | None = Field(
        default=None, sa_column_kwargs={"server_default": utcnow(), "nullable": False}
    )
    updated_at: datetime | None = Field(
        default=None,
        index=True,
        sa_column_kwargs={"server_default": utcnow(), "onupdate": utcnow(), "nullable": False},
    )
    updated_by: str | None = Field(default=None, max_length=80)
    version: int = Field(default=1, nullable=False)

    @declared_attr  # type: ignore[misc,arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
