"""DuckDB connections with the scanner extensions loaded from their PyPI packages.

DuckDB cannot download extensions here, so auto-install is switched off and the
extension files shipped in ``duckdb-extension-*-scanner`` wheels are loaded by path.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import duckdb
from sqlalchemy.engine import make_url


@cache
def extension_path(name: str) -> Path:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package duckdb-extension-{name.replace('_', '-')} is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob(f"extensions/*/{name}.duckdb_extension"))
    if not found:
        raise RuntimeError(f"no {name} extension file under {root}")
    return found[-1]


def connect(path: Path | str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET autoinstall_known_extensions=false")
    con.execute("SET autoload_known_extensions=false")
    # Timestamps in the warehouse are naive UTC; timestamptz from PostgreSQL casts through this.
    con.execute("SET TimeZone='UTC'")
    return con


def attach_store(con: duckdb.DuckDBPyConnection, store_url: str, alias: str = "src") -> str:
    """Attach the operational store read-only; return the backend name ('sqlite'|'postgres')."""
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite":
        con.execute(f"LOAD '{extension_path('sqlite_scanner')}'")
        # Read SQLite values as text and cast them ourselves: money is stored as text there
        # and types must come out identical to the PostgreSQL path.
        con.execute("SET sqlite_all_varchar=true")
        con.execute(f"ATTACH '{url.database}' AS {alias} (TYPE sqlite, READ_ONLY)")
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        con.execute(f"LOAD '{extension_path('postgres_scanner')}'")
        parts = {
            "dbname": url.database,
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
        }
        if url.password:
            parts["password"] = url.password
        dsn = " ".join(f"{k}={v}" for k, v in parts.items())
        con.execute(f"ATTACH '{dsn}' AS {alias} (TYPE postgres, READ_ONLY)")
        return "postgres"
    raise ValueError(f"unsupported operational store: {url.get_backend_name()}")
