"""Reading invoices: one, a filtered page of them, and one's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.errors import ValidationFailed
from billing.domain.invoices import HistoryEntry, Invoice, InvoiceFilter
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.ports import Clock, InvoiceRepository


@dataclass(frozen=True)
class InvoiceQueries:
    invoices: InvoiceRepository
    clock: Clock

    def today(self) -> date:
        return self.clock.now().date()

    def filter(
        self,
        *,
        statuses: tuple[str, ...] = (),
        customer_id: str | None = None,
        number: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        created_from: date | None = None,
        created_to: date | None = None,
        total_min: int | None = None,
        total_max: int | None = None,
        overdue: bool = False,
        ids: tuple[str, ...] = (),
    ) -> InvoiceFilter:
        """The list's filters, AND across properties and OR within ``statuses``."""
        if due_from and due_to and due_from > due_to:
            raise ValidationFailed.of("due_to", "must not be before due_from")
        if created_from and created_to and created_from > created_to:
            raise ValidationFailed.of("created_to", "must not be before created_from")
        if total_min is not None and total_max is not None and total_min > total_max:
            raise ValidationFailed.of("amount_max", "must not be below amount_min")
        return InvoiceFilter(
            statuses=tuple(dict.fromkeys(statuses)),
            customer_id=customer_id,
            number=number,
            due_from=due_from.isoformat() if due_from else None,
            due_to=due_to.isoformat() if due_to else None,
            created_from=created_from.isoformat() if created_from else None,
            created_to=created_to.isoformat() if created_to else None,
            total_min=total_min,
            total_max=total_max,
            overdue_on=self.today().isoformat() if overdue else None,
            ids=ids,
        )

    def get(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require(Permission.READ)
        return self.invoices.get(caller.tenant_id, invoice_id)

    def list(self, caller: Caller, where: InvoiceFilter, *, limit: int, cursor: str | None) -> Page[Invoice]:
        caller.require(Permission.READ)
        return self.invoices.list(caller.tenant_id, where, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)

    def history(self, caller: Caller, invoice_id: str, *, limit: int, cursor: str | None) -> Page[HistoryEntry]:
        caller.require(Permission.READ)
        self.invoices.get(caller.tenant_id, invoice_id)
        return self.invoices.history(caller.tenant_id, invoice_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)
