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


def test_inside_a_unit_of_work_followers_run_when_it_ends_in_the_order_published():
    bus, heard = EventBus(), []
    first = PaymentRefunded(new_payment("t", "cus_1", 1000, "eur", NOW))
    second = PaymentRefunded(new_payment("t", "cus_2", 2000, "eur", NOW))

    def follow(event):
        heard.append(event.payment.customer_id)
        if event is first:
            bus.publish(second)  # what a follower sets off is followed after what came before it

    bus.subscribe(PaymentRefunded, follow)
    with bus.unit():
        bus.publish(first)
        assert heard == []  # not inside the use case that published
    assert heard == ["cus_1", "cus_2"]
    bus.publish(first)  # outside any unit: at once
    assert heard == ["cus_1", "cus_2", "cus_1", "cus_2"]


def test_a_failed_unit_of_work_still_tells_what_was_saved_before_it_failed():
    bus, heard = EventBus(), []
    bus.subscribe(PaymentRefunded, lambda event: heard.append(event))
    refunded = PaymentRefunded(new_payment("t", "cus_1", 1000, "eur", NOW))
    try:
        with bus.unit():
            bus.publish(refunded)
            raise RuntimeError("the use case failed after saving")
    except RuntimeError:
        pass
    assert heard == [refunded]
    with bus.unit():  # the failed unit is closed: a new one holds its own events
        bus.publish(refunded)
        assert heard == [refunded]
    assert heard == [refunded, refunded]
