"""The credit-note export: the credit notes a filter (or its ids) selects, newest first, with the
chosen columns and a net and VAT column per rate, as XLSX or CSV behind an expiring link."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import EXPORT_COLUMNS, CreditNoteFilter
from billing.ports import Clock, CreditNoteRepository, FileStore, SpreadsheetWriter
from billing.services.exports import Export, rated_table, spreadsheet, stored_export


@dataclass(frozen=True)
class CreditNoteExport:
    notes: CreditNoteRepository
    files: FileStore
    spreadsheets: SpreadsheetWriter
    clock: Clock
    link_seconds: int

    def export(
        self,
        caller: Caller,
        where: CreditNoteFilter,
        columns: list[str],
        file_format: str,
        *,
        decimal_comma: bool = False,
    ) -> Export:
        caller.require(Permission.READ)
        records = self.notes.all(caller.tenant_id, where)
        today = self.clock.now().date()
        headers, rows = rated_table(
            EXPORT_COLUMNS, records, today, columns, lambda n: n.tax_amounts, lambda n: n.currency
        )
        body = spreadsheet(self.spreadsheets, file_format, "Credit notes", headers, rows, decimal_comma=decimal_comma)
        return stored_export(
            self.files, self.clock, caller.tenant_id, "credit-notes", file_format, body, len(rows), self.link_seconds
        )
