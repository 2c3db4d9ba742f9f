"""Landing: copy new and changed operational rows into DuckDB's ``raw`` schema (no Prefect here)."""
