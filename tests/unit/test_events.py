"""The in-process dispatcher: services publish what happened, the composition root says who
follows it, in order, and a follower is built only when its event comes."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from billing.domain.events import InvoicePaid, PaymentRefunded, PaymentStatusChanged
from billing.domain.payments import PaymentStatus, new_payment
from billing.services.events import EventBus, follow_events

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_handlers_run_in_the_order_they_subscribed_and_only_for_their_event():
    bus, heard = EventBus(), []
    bus.subscribe(PaymentRefunded, lambda event: heard.append(("first", event)))
    bus.subscribe(PaymentRefunded, lambda event: heard.append(("second", event)))
    bus.subscribe(InvoicePaid, lambda event: heard.append(("invoice", event)))
    refunded = PaymentRefunded(new_payment("t", "cus_1", 1000, "eur", NOW))
    bus.publish(refunded)
    assert heard == [("first", refunded), ("second", refunded)]


def test_an_event_nobody_follows_is_published_to_no_one():
    EventBus().publish(PaymentRefunded(new_payment("t", "cus_1", 1000, "eur", NOW)))


def test_followers_are_asked_for_only_when_their_event_comes_and_the_subscription_hears_first():
    """A payment's status change reaches the subscription it was taken for before the receipt goes
    out; a payment of no invoice or subscription never builds the subscriptions."""
    built, heard = [], []

    def subscriptions():
        built.append("subscriptions")
        outcomes = SimpleNamespace(
            payment_changed=lambda payment, previous, base: heard.append(("subscription", payment.id, base)),
            invoice_paid=lambda invoice: heard.append(("period paid", invoice)),
        )
        return SimpleNamespace(billing=SimpleNamespace(outcomes=outcomes))

    def notifier():
        built.append("notifier")
        return SimpleNamespace(payment_changed=lambda payment, previous: heard.append(("receipt", payment.id)))

    bus = EventBus()
    follow_events(
        bus,
        subscriptions=subscriptions,
        invoicing=lambda: None,
        notifier=notifier,
        public_base=lambda: "https://api.billow.test",
    )
    assert built == []
    plain = new_payment("t", "cus_1", 1000, "eur", NOW)
    bus.publish(PaymentStatusChanged(plain, PaymentStatus.PENDING))
    assert (built, heard) == (["notifier"], [("receipt", plain.id)])
    for_an_invoice = new_payment("t", "cus_1", 1000, "eur", NOW, invoice_id="inv_1")
    heard.clear()
    bus.publish(PaymentStatusChanged(for_an_invoice, PaymentStatus.PENDING))
    assert heard == [("subscription", for_an_invoice.id, "https://api.billow.test"), ("receipt", for_an_invoice.id)]
