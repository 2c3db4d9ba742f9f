"""Links between pages: a record page URL for any operational record.

The record page (``app_pages/record.py``, url path ``record``) shows one row of the
operational store with its related rows and its change history from ``audit_log``.
"""

from __future__ import annotations

from urllib.parse import urlencode

RECORD_PAGE = "record"


def record_url(table: str, record_id: int, *, lang: str | None = None) -> str:
    """Relative URL of the record page for ``table``/``record_id`` (e.g. ``sales_order``, 12)."""
    params: dict[str, str] = {"table": table, "id": str(int(record_id))}
    if lang:
        params["lang"] = lang
    return f"/{RECORD_PAGE}?{urlencode(params)}"
