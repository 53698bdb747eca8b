"""Exports (SPEC C8, I11, S12): a file in the export bucket behind a presigned link that expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from billing.domain.ids import new_id
from billing.ports import Clock, FileStore

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Export:
    url: str
    expires_at: str
    rows: int


def stored_export(
    files: FileStore, clock: Clock, tenant_id: str, what: str, file_format: str, body: bytes, rows: int, seconds: int
) -> Export:
    key = f"exports/{tenant_id}/{what}/{new_id('export')}.{file_format}"
    files.put(key, body, CONTENT_TYPES[file_format])
    expires_at = (clock.now() + timedelta(seconds=seconds)).isoformat()
    return Export(url=files.download_url(key, seconds), expires_at=expires_at, rows=rows)
