"""The invoice export: the invoices a filter (or its ids) selects, newest first, with the chosen
columns, as XLSX or CSV behind an expiring link."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.invoices import EXPORT_COLUMNS, InvoiceFilter
from billing.ports import Clock, FileStore, InvoiceRepository, SpreadsheetWriter
from billing.services.exports import Export, rated_table, spreadsheet, stored_export


@dataclass(frozen=True)
class InvoiceExport:
    invoices: InvoiceRepository
    files: FileStore
    spreadsheets: SpreadsheetWriter
    clock: Clock
    link_seconds: int

    def export(
        self, caller: Caller, where: InvoiceFilter, columns: list[str], file_format: str, *, decimal_comma: bool = False
    ) -> Export:
        """The columns chosen (every one when none); ``rates`` stands for a net and a VAT column
        per VAT rate the invoices hold, after any one-time discount or fee on it."""
        caller.require(Permission.READ)
        records = self.invoices.all(caller.tenant_id, where)
        today = self.clock.now().date()
        headers, rows = rated_table(
            EXPORT_COLUMNS, records, today, columns, lambda i: i.tax_amounts, lambda i: i.currency
        )
        body = spreadsheet(self.spreadsheets, file_format, "Invoices", headers, rows, decimal_comma=decimal_comma)
        return stored_export(
            self.files, self.clock, caller.tenant_id, "invoices", file_format, body, len(rows), self.link_seconds
        )
