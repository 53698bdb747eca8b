"""The subscription export: the subscriptions a filter selects as XLSX or CSV, behind a link
valid 30 days."""

from __future__ import annotations

from billing.domain.access import Caller, Permission
from billing.domain.subscriptions import EXPORT_COLUMNS, SubscriptionFilter
from billing.ports import Clock, FileStore, SpreadsheetWriter, SubscriptionRepository
from billing.services.exports import Export, export_table, spreadsheet, stored_export


class SubscriptionExport:
    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        files: FileStore,
        spreadsheets: SpreadsheetWriter,
        clock: Clock,
        link_seconds: int,
    ):
        self._subscriptions = subscriptions
        self._files = files
        self._spreadsheets = spreadsheets
        self._clock = clock
        self._link_seconds = link_seconds

    def export(self, caller: Caller, where: SubscriptionFilter, file_format: str) -> Export:
        caller.require(Permission.READ)
        records = self._subscriptions.all(caller.tenant_id, where)
        headers, rows = export_table(EXPORT_COLUMNS, records, self._clock.now().date())
        body = spreadsheet(self._spreadsheets, file_format, "Subscriptions", headers, rows)
        return stored_export(
            self._files,
            self._clock,
            caller.tenant_id,
            "subscriptions",
            file_format,
            body,
            len(rows),
            self._link_seconds,
        )
