"""Reading subscriptions: one, its invoices, and a filtered page of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.errors import ValidationFailed
from billing.domain.invoices import Invoice, InvoiceFilter
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.subscriptions import Subscription, SubscriptionFilter
from billing.ports import SubscriptionRepository
from billing.services.invoices.queries import InvoiceQueries


@dataclass(frozen=True)
class SubscriptionQueries:
    subscriptions: SubscriptionRepository
    invoices: InvoiceQueries

    def get(self, caller: Caller, subscription_id: str) -> Subscription:
        caller.require(Permission.READ)
        return self.subscriptions.get(caller.tenant_id, subscription_id)

    def invoices_of(self, caller: Caller, subscription: Subscription) -> list[Invoice]:
        """The subscription's invoices, newest first (the latest 100)."""
        where = InvoiceFilter(customer_id=subscription.customer_id, subscription_id=subscription.id)
        return self.invoices.list(caller, where, limit=MAX_PAGE_SIZE, cursor=None).items

    def filter(
        self,
        *,
        statuses: tuple[str, ...] = (),
        customer_id: str | None = None,
        product_id: str | None = None,
        collection_method: str | None = None,
        next_from: date | None = None,
        next_to: date | None = None,
        created_from: date | None = None,
        created_to: date | None = None,
        ids: tuple[str, ...] = (),
    ) -> SubscriptionFilter:
        if next_from and next_to and next_from > next_to:
            raise ValidationFailed.of("next_payment_to", "must not be before next_payment_from")
        if created_from and created_to and created_from > created_to:
            raise ValidationFailed.of("created_to", "must not be before created_from")
        return SubscriptionFilter(
            statuses=tuple(dict.fromkeys(statuses)),
            customer_id=customer_id,
            product_id=product_id,
            collection_method=collection_method,
            next_from=next_from.isoformat() if next_from else None,
            next_to=next_to.isoformat() if next_to else None,
            created_from=created_from.isoformat() if created_from else None,
            created_to=created_to.isoformat() if created_to else None,
            ids=ids,
        )

    def list(self, caller: Caller, where: SubscriptionFilter, *, limit: int, cursor: str | None) -> Page[Subscription]:
        caller.require(Permission.READ)
        return self.subscriptions.list(caller.tenant_id, where, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)
