"""store change counters

Per-table change counters kept by triggers (operational/change_counters.py): a refresh
skips reading tables whose counter has not moved since it last landed them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from operational import change_counters

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counted_tables() -> list[str]:
    """The tables of this revision with an ``updated_at``: those a refresh lands (and the
    few it does not, whose counters cost a write each and are never read)."""
    inspector = sa.inspect(op.get_bind())
    return sorted(
        t for t in inspector.get_table_names()
        if t not in {change_counters.TABLE, "alembic_version"}
        and any(c["name"] == "updated_at" for c in inspector.get_columns(t))
    )


def upgrade() -> None:
    op.create_table(
        "store_change",
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("txid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "txid"),
    )
    change_counters.install(op.get_bind(), _counted_tables())


def downgrade() -> None:
    change_counters.uninstall(op.get_bind(), _counted_tables())
    op.drop_table("store_change")
