"""Every saved change of a customer, invoice, payment and subscription is published on the bus as
a RecordChanged (what outbound webhooks will follow): named as its timeline entry names it, after
the write, and never for a write that was refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import StaleWrite
from billing.domain.events import RecordChanged, RecordKind
from billing.services.customers import CustomerService
from billing.services.events import EventBus
from billing.services.publishing import PublishingCustomers, PublishingSubscriptions
from tests.unit.fakes import FixedClock, InMemoryCustomers, InMemorySettings, NoProcessor, RegisteredVatIds
from tests.unit.wiring import ADMIN, Billow


def changes(billow: Billow, since: int = 0) -> list[tuple[str, str]]:
    return [(c.kind.value, c.change) for c in billow.changes[since:]]


def test_subscribing_with_autopay_publishes_the_payment_the_subscription_and_its_paid_first_invoice_in_order():
    billow = Billow()
    subscription = billow.subscribe()
    assert changes(billow) == [
        ("payment", "payment.created"),
        ("payment", "payment.succeeded"),  # charged first, before anything is created
        ("subscription", "subscription.created"),
        ("invoice", "invoice.created"),
        ("subscription", "subscription.period_invoiced"),  # moved on in the invoice's write
        ("invoice", "invoice.finalized"),
        ("invoice", "invoice.paid"),
        ("payment", "payment.updated"),  # applied to the invoice in the same write
        ("subscription", "subscription.period_paid"),
    ]
    created = next(c for c in billow.changes if c.change == "subscription.created")
    assert (created.tenant_id, created.record_id, created.record.id) == ("t", subscription.id, subscription.id)
    paid = next(c for c in billow.changes if c.change == "invoice.paid")
    assert paid.record.status.value == "paid"  # the record as saved, not as it was before


def test_a_renewal_night_and_a_cancellation_publish_their_changes():
    billow = Billow()
    subscription = billow.subscribe()
    before = len(billow.changes)
    billow.night(date(2026, 4, 1))
    renewal = changes(billow, before)
    assert renewal[:3] == [
        ("invoice", "invoice.created"),
        ("subscription", "subscription.period_invoiced"),
        ("invoice", "invoice.finalized"),  # numbered with its batch
    ]
    assert ("payment", "payment.succeeded") in renewal and renewal[-1] == ("subscription", "subscription.period_paid")

    before = len(billow.changes)
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    assert changes(billow, before) == [("subscription", "subscription.canceled")]


def test_customers_are_published_as_created_updated_and_deleted():
    bus, seen = EventBus(), []
    bus.subscribe(RecordChanged, seen.append)
    service = CustomerService(
        PublishingCustomers(InMemoryCustomers(), bus),
        InMemorySettings(),
        FixedClock(),
        lambda: NoProcessor(),
        RegisteredVatIds,
    )
    caller = Caller("t", "user_1", Role.ADMIN)
    customer = service.create(caller, {"type": "company", "company_name": "Muster GmbH"})
    service.update(caller, customer.id, {"company_name": "Muster AG"})
    service.delete(caller, customer.id)
    assert [(c.kind, c.change, c.record_id) for c in seen] == [
        (RecordKind.CUSTOMER, "customer.created", customer.id),
        (RecordKind.CUSTOMER, "customer.updated", customer.id),
        (RecordKind.CUSTOMER, "customer.deleted", customer.id),
    ]
    assert seen[1].record.company_name == "Muster AG"


def test_a_refused_write_publishes_nothing():
    billow = Billow()
    subscription = billow.subscribe()
    bus, seen = EventBus(), []
    bus.subscribe(RecordChanged, seen.append)
    records = PublishingSubscriptions(billow.subscriptions, bus)
    stale = replace(billow.subscription(subscription.id), version=0, updated_at=datetime(2026, 3, 2, tzinfo=UTC))
    with pytest.raises(StaleWrite):
        records.save(stale)
    assert seen == []
    assert records.get("t", subscription.id).id == subscription.id  # reads pass through
    assert seen == []
