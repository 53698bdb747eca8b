"""Every saved change of a customer, invoice, payment or subscription, published as a
``RecordChanged``: the repositories the composition root hands to the services are wrapped here,
so no write can forget to tell (the timeline, receipts and the cycle follow their own events;
outbound webhooks will follow these).

A change is published after its write succeeded, never for a write that was refused (a stale
version, a taken request key); reads pass straight through to the wrapped repository."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from billing.domain.customers import Customer
from billing.domain.events import RecordChanged, RecordKind
from billing.domain.invoices import HistoryEntry, Invoice
from billing.domain.payments import Payment
from billing.domain.subscriptions import Subscription
from billing.domain.timeline import TimelineEvent
from billing.ports import (
    CustomerRepository,
    EventPublisher,
    InvoiceRepository,
    PaymentRepository,
    SubscriptionRepository,
)


def record_changed(
    kind: RecordKind,
    record: Customer | Invoice | Payment | Subscription,
    event: TimelineEvent | None,
    change: str = "",
) -> RecordChanged:
    """``change``, else the type of the timeline entry written with the record, else ``<kind>.updated``."""
    if not change:
        named = event is not None and event.type.startswith(f"{kind.value}.")
        change = event.type if event is not None and named else f"{kind.value}.updated"
    return RecordChanged(kind, change, record.tenant_id, record.id, record)


class _Wrapped:
    def __init__(self, inner: Any, events: EventPublisher):
        self._inner = inner
        self._events = events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _publish(
        self,
        kind: RecordKind,
        record: Customer | Invoice | Payment | Subscription,
        event: TimelineEvent | None,
        change: str = "",
    ) -> None:
        self._events.publish(record_changed(kind, record, event, change))


class PublishingCustomers(_Wrapped):
    def __init__(self, inner: CustomerRepository, events: EventPublisher):
        super().__init__(inner, events)
        self._customers = inner

    def add(self, customer: Customer, event: TimelineEvent) -> None:
        self._customers.add(customer, event)
        self._publish(RecordKind.CUSTOMER, customer, event, "customer.created")

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        self._customers.save(customer, event, previous_debtor_number=previous_debtor_number)
        self._publish(RecordKind.CUSTOMER, customer, event)

    def delete(self, customer: Customer) -> None:
        self._customers.delete(customer)
        self._publish(RecordKind.CUSTOMER, customer, None, "customer.deleted")


class PublishingPayments(_Wrapped):
    def __init__(self, inner: PaymentRepository, events: EventPublisher):
        super().__init__(inner, events)
        self._payments = inner

    def add(self, payment: Payment, event: TimelineEvent, request_key: str | None = None) -> Payment:
        added = self._payments.add(payment, event, request_key)
        self._publish(RecordKind.PAYMENT, added, event, "payment.created")
        return added

    def save(self, payment: Payment, event: TimelineEvent | None) -> Payment:
        saved = self._payments.save(payment, event)
        self._publish(RecordKind.PAYMENT, saved, event)
        return saved


class PublishingInvoices(_Wrapped):
    def __init__(self, inner: InvoiceRepository, events: EventPublisher):
        super().__init__(inner, events)
        self._invoices = inner

    def add(
        self,
        invoice: Invoice,
        entry: HistoryEntry,
        event: TimelineEvent,
        request_key: str | None = None,
        subscription: Subscription | None = None,
    ) -> Invoice:
        added = self._invoices.add(invoice, entry, event, request_key, subscription)
        self._publish(RecordKind.INVOICE, added, event, "invoice.created")
        if subscription is not None:  # moved on to its next period in the same write
            self._publish(RecordKind.SUBSCRIPTION, subscription, None, "subscription.period_invoiced")
        return added

    def save(
        self,
        invoice: Invoice,
        entry: HistoryEntry | None,
        event: TimelineEvent | None = None,
        payment: Payment | None = None,
    ) -> Invoice:
        saved = self._invoices.save(invoice, entry, event, payment)
        self._publish(RecordKind.INVOICE, saved, event)
        if payment is not None:  # its applications changed in the same write
            self._publish(RecordKind.PAYMENT, payment, None)
        return saved

    def finalize(
        self,
        tenant_id: str,
        drafts: Sequence[Invoice],
        first_number: int,
        numbered: Callable[[Invoice, int], tuple[Invoice, HistoryEntry, TimelineEvent]],
    ) -> list[Invoice]:
        finalized = self._invoices.finalize(tenant_id, drafts, first_number, numbered)
        for invoice in finalized:
            self._publish(RecordKind.INVOICE, invoice, None, "invoice.finalized")
        return finalized

    def delete(self, invoice: Invoice, event: TimelineEvent) -> None:
        self._invoices.delete(invoice, event)
        self._publish(RecordKind.INVOICE, invoice, None, "invoice.deleted")


class PublishingSubscriptions(_Wrapped):
    def __init__(self, inner: SubscriptionRepository, events: EventPublisher):
        super().__init__(inner, events)
        self._subscriptions = inner

    def add(
        self, subscriptions: Sequence[Subscription], events: Sequence[TimelineEvent], request_key: str | None
    ) -> list[Subscription]:
        added = self._subscriptions.add(subscriptions, events, request_key)
        for subscription in added:
            self._publish(RecordKind.SUBSCRIPTION, subscription, None, "subscription.created")
        return added

    def save(self, subscription: Subscription, event: TimelineEvent | None = None) -> Subscription:
        saved = self._subscriptions.save(subscription, event)
        self._publish(RecordKind.SUBSCRIPTION, saved, event)
        return saved

    def delete(self, subscription: Subscription, event: TimelineEvent) -> None:
        self._subscriptions.delete(subscription, event)
        self._publish(RecordKind.SUBSCRIPTION, subscription, None, "subscription.deleted")
