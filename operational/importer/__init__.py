"""Bulk import: move a business off its spreadsheets, one ``.csv``/``.xlsx`` file per entity.

``import_file(engine=..., entity=..., path=...)`` (the CLI is ``mis import ENTITY FILE``):

- **Validated like the forms.** Each column is parsed with the rules of
  ``operational/validation.py`` (``fields``): exact decimals only (3-decimal money, NaN and
  infinity refused), codes without spaces or invisible characters, length limits, enum values,
  ISO dates. References are natural keys (``customer_code``, ``sku``, ``order_no``, ...)
  resolved with one query per file, not per row.
- **All or nothing.** Every row is checked first (cells, references, the store's rules); any
  error refuses the whole file with a list of ``(row, column, reason)``, row 1 being the
  header. Otherwise everything is written in one transaction with bulk inserts
  (``executemany`` on SQLite, ``COPY`` on PostgreSQL), stamped ``updated_by =
  'import:<file name>'``, with one ``audit_log`` row per file (action ``import``).
- **Idempotent.** A row whose natural key is already in the store with the same values is
  skipped, so re-importing a file changes nothing; the same key with different values is a
  row error (an import never updates a record silently).
- **History as it was.** Imported orders keep their status (any valid status) and reserve no
  stock; deliveries do not advance order statuses. Today's stock check (reservation at
  confirmation) does not apply to history, but the store's invariants do: line net amounts,
  invoice amounts and outstanding balances are computed with the services' rules.

Stock decision (imported history and the ledger): the stock ledger stays the one truth,
``stock_level.on_hand`` = sum of movements, never negative, replayable in time order.
Opening stock (``stock``: one ``opening`` movement per product, its first, dated the start
of ``as_of``) and deliveries (``shipment`` movements at ``shipped_at``) are written in time
order after the product's latest movement already in the store; a movement dated before that
is a row error, and so is a delivery that would take on-hand below zero (or below what open
orders reserved) at its moment. So history imports in order: products, opening stock dated
on or before the first shipment, then orders, lines, deliveries. Stock received during the
imported period is not an entity of its own: count it into the opening balance, or record
receipts through purchasing. See docs/importing.md.
"""

from operational.importer.base import RowError
from operational.importer.run import ENTITIES, ImportRejected, ImportReport, import_file

__all__ = ["ENTITIES", "ImportRejected", "ImportReport", "RowError", "import_file"]
