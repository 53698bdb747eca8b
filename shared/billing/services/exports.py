"""Exports: a file in the export bucket behind a presigned link that expires."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from billing.domain.ids import new_id
from billing.ports import Clock, FileStore, SpreadsheetWriter

R = TypeVar("R")

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Export:
    url: str
    expires_at: str
    rows: int


def export_table(
    columns: Mapping[str, Callable[[R, date], object]],
    records: Iterable[R],
    today: date,
    chosen: Sequence[str] = (),
) -> tuple[list[str], list[list[object]]]:
    """The header row and one row per record: the ``chosen`` columns (all when none), each cell
    read from the record as it stands ``today``. Every export declares its columns this one way."""
    headers = list(chosen or columns)
    return headers, [[columns[name](record, today) for name in headers] for record in records]


def spreadsheet(
    writer: SpreadsheetWriter, file_format: str, sheet: str, headers: list[str], rows: list[list[object]]
) -> bytes:
    if file_format == "csv":
        return writer.to_csv(headers, rows)
    return writer.to_xlsx(sheet, headers, rows)


def stored_export(
    files: FileStore, clock: Clock, tenant_id: str, what: str, file_format: str, body: bytes, rows: int, seconds: int
) -> Export:
    key = f"exports/{tenant_id}/{what}/{new_id('export')}.{file_format}"
    files.put(key, body, CONTENT_TYPES[file_format])
    expires_at = (clock.now() + timedelta(seconds=seconds)).isoformat()
    return Export(url=files.download_url(key, seconds), expires_at=expires_at, rows=rows)
