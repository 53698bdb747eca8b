"""The in-process dispatcher of domain events: services publish what happened; the composition
root subscribes who follows it, in order. A handler runs in the publisher's request, after the
publisher saved what the event says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from billing.domain.events import DomainEvent, InvoicePaid, PaymentRefunded, PaymentStatusChanged

if TYPE_CHECKING:
    from billing.services.invoices import Invoicing
    from billing.services.notifications import PaymentNotifier
    from billing.services.subscriptions import Subscriptions

E = TypeVar("E")


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, event: DomainEvent) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(event)


def follow_events(
    bus: EventBus,
    *,
    subscriptions: Callable[[], Subscriptions],
    invoicing: Callable[[], Invoicing],
    notifier: Callable[[], PaymentNotifier],
    public_base: Callable[[], str],
) -> None:
    """Who follows what, in order. Each follower is asked for only when its event comes, so a
    function that never sees one never builds it.

    - a payment's status changed: the subscription and invoice it was taken for, then the
      receipt and the admins' note;
    - a refund of an applied payment: the invoices it reaches;
    - an invoice paid in full: its subscription's period."""

    def subscription_follows(event: PaymentStatusChanged) -> None:
        if event.payment.invoice_id or event.payment.subscription_ids:
            subscriptions().billing.outcomes.payment_changed(event.payment, event.previous, public_base())

    bus.subscribe(PaymentStatusChanged, subscription_follows)
    bus.subscribe(PaymentStatusChanged, lambda event: notifier().payment_changed(event.payment, event.previous))
    bus.subscribe(PaymentRefunded, lambda event: invoicing().collection.follow_refunds(event.payment))
    bus.subscribe(InvoicePaid, lambda event: subscriptions().billing.outcomes.invoice_paid(event.invoice))
