"""The subscription export: the subscriptions a filter selects as XLSX or CSV, behind a link
valid 30 days."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.subscriptions import EXPORT_COLUMNS, SubscriptionFilter
from billing.ports import Clock, FileStore, SpreadsheetWriter, SubscriptionRepository
from billing.services.exports import Export, export_table, spreadsheet, stored_export


@dataclass(frozen=True)
class SubscriptionExport:
    subscriptions: SubscriptionRepository
    files: FileStore
    spreadsheets: SpreadsheetWriter
    clock: Clock
    link_seconds: int

    def export(self, caller: Caller, where: SubscriptionFilter, file_format: str) -> Export:
        caller.require(Permission.READ)
        records = self.subscriptions.all(caller.tenant_id, where)
        headers, rows = export_table(EXPORT_COLUMNS, records, self.clock.now().date())
        body = spreadsheet(self.spreadsheets, file_format, "Subscriptions", headers, rows)
        return stored_export(
            self.files,
            self.clock,
            caller.tenant_id,
            "subscriptions",
            file_format,
            body,
            len(rows),
            self.link_seconds,
        )
