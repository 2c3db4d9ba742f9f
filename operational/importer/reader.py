"""Read a ``.csv`` or ``.xlsx`` file into a header and numbered rows of raw cell values.

Row numbers are what a person sees when they open the file: the header is row 1, the first
data row is row 2 (a CSV record whose quoted cell spans several lines is still one row, as
in a spreadsheet). Blank rows (every cell empty) are skipped but keep their numbers.

Cells come out as text, except XLSX date cells (``date``/``datetime``, checked by the date
parsers). XLSX numbers become text too: integers as digits, other numbers as the shortest
text that round-trips the stored float (``12.5``, ``0.30000000000000004``), so a price a
formula left at 12.100000000000001 is refused like any other 3-decimal amount, never rounded.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import compress
from pathlib import Path
from typing import Any

SUFFIXES = (".csv", ".xlsx")


class UnreadableFile(ValueError):
    """The file cannot be read as a table (wrong type, not UTF-8, no header, damaged)."""

    def __init__(self, message: str, row: int = 1) -> None:
        self.row = row
        super().__init__(message)


@dataclass
class RawTable:
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_table(path: Path) -> RawTable:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"{path.name}: only .csv and .xlsx files can be imported")
    if not path.is_file():
        raise UnreadableFile(f"{path.name}: no such file")
    return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)


def _is_empty(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_csv(path: Path) -> RawTable:
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark; plain UTF-8 reads too.
        with path.open(encoding="utf-8-sig", newline="") as f:
            records = csv.reader(f)
            header = next(records, None)
            if header is None or _is_empty(header):
                raise UnreadableFile(f"{path.name}: the first row must be the header")
            while header[-1].strip() == "":  # trailing empty columns (spreadsheet exports)
                header.pop()
            table = RawTable(header)
            numbered = list(enumerate(records, start=2))
            # Blank lines and rows of empty cells are skipped (checked in C: map/any).
            filled = list(map(any, (cells for _, cells in numbered)))
            table.rows = numbered if all(filled) else list(compress(numbered, filled))
    except UnicodeDecodeError:
        raise UnreadableFile(
            f"{path.name} is not UTF-8 text (save it as 'CSV UTF-8')", _first_bad_line(path)
        ) from None
    except csv.Error as exc:
        raise UnreadableFile(f"{path.name}: not a valid CSV file ({exc})") from None
    return table


def _first_bad_line(path: Path) -> int:
    """The first line that is not UTF-8 (a row number unless a quoted cell spans lines)."""
    for n, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return n
    return 1


def _read_xlsx(path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML or format errors: say which file
        raise UnreadableFile(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = wb.worksheets[0]
        rows: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        header = [_cell(c) for c in first] if first else []
        while header and header[-1] == "":  # trailing formatted-but-empty columns
            header.pop()
        if not header:
            raise UnreadableFile(f"{path.name}: the first row must be the header")
        table = RawTable(header)
        for row_no, values in enumerate(rows, start=2):
            cells = [_cell(c) for c in values]
            if not _is_empty(cells):
                while len(cells) > len(header) and cells[-1] == "":
                    cells.pop()
                table.rows.append((row_no, cells))
    finally:
        wb.close()
    return table


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str | datetime | date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value)
