"""The invoice export: the invoices a filter (or its ids) selects, newest first, with the chosen
columns, as XLSX or CSV behind an expiring link."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.invoices import EXPORT_COLUMNS, InvoiceFilter
from billing.ports import Clock, FileStore, InvoiceRepository, SpreadsheetWriter
from billing.services.exports import Export, export_table, spreadsheet, stored_export


@dataclass(frozen=True)
class InvoiceExport:
    invoices: InvoiceRepository
    files: FileStore
    spreadsheets: SpreadsheetWriter
    clock: Clock
    link_seconds: int

    def export(self, caller: Caller, where: InvoiceFilter, columns: list[str], file_format: str) -> Export:
        caller.require(Permission.READ)
        unknown = [
            FieldError(f"columns.{i}", "no such column") for i, c in enumerate(columns) if c not in EXPORT_COLUMNS
        ]
        if unknown:
            raise ValidationFailed(unknown)
        records = self.invoices.all(caller.tenant_id, where)
        headers, rows = export_table(EXPORT_COLUMNS, records, self.clock.now().date(), columns)
        body = spreadsheet(self.spreadsheets, file_format, "Invoices", headers, rows)
        return stored_export(
            self.files, self.clock, caller.tenant_id, "invoices", file_format, body, len(rows), self.link_seconds
        )
