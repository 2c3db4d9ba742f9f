"""The schema comes from the Alembic migrations, and the store says when it is behind."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import operational.models  # noqa: F401
from operational.db import check_schema, current_revision, head_revision, make_engine, upgrade
from operational.errors import SchemaNotMigrated


def test_fresh_store_is_refused_until_upgraded(store_url: str) -> None:
    # Our store_url override hands out migrated stores: start from a truly empty one.
    if store_url.startswith("sqlite"):
        store_url = store_url.replace("operational.sqlite", "empty.sqlite")
    engine = make_engine(store_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("drop schema public cascade; create schema public"))
        with pytest.raises(SchemaNotMigrated) as err:
            check_schema(engine)
        assert "is not migrated (no migration has been applied): run `mis db upgrade`" in str(
            err.value
        )
        upgrade(engine)
        check_schema(engine)
        assert current_revision(engine) == head_revision() == "0002"
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        assert "alembic_version" in tables
    finally:
        engine.dispose()


def test_old_revision_is_refused(store_engine) -> None:  # noqa: ANN001
    with store_engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '0000'"))
    try:
        with pytest.raises(SchemaNotMigrated, match="at revision 0000, latest is 0002"):
            check_schema(store_engine)
    finally:  # the PostgreSQL store is reused by the next test
        with store_engine.begin() as conn:
            conn.execute(text("update alembic_version set version_num = '0002'"))


def test_migrations_match_the_models(store_engine) -> None:  # noqa: ANN001
    """Autogenerate finds nothing to do: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
