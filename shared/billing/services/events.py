"""The in-process dispatcher of domain events: services publish what happened; the composition
root subscribes who follows it, in order. A handler runs after the publisher saved what the event
says: at once, or, inside a unit of work (``with bus.unit():``), when the unit ends, so a follower
never runs inside the use case that published (a charge's outcome does not re-enter the
collection that charged)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
        self._units: list[deque[DomainEvent]] = []

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, event: DomainEvent) -> None:
        if self._units:
            self._units[-1].append(event)
        else:
            self._dispatch(event)

    @contextmanager
    def unit(self) -> Iterator[None]:
        """Events published inside are held until the unit ends, then followed in the order they
        came (what a follower publishes is followed after them). They are followed when the unit
        fails as well: what they say was saved."""
        held: deque[DomainEvent] = deque()
        self._units.append(held)
        try:
            yield
        finally:
            try:
                while held:
                    self._dispatch(held.popleft())
            finally:
                self._units.pop()

    def _dispatch(self, event: DomainEvent) -> None:
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
