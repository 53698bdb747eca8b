"""The RecordChanged events an outbound webhook will see for each saved change: which kind and
change name, for which tenant and record, and the record as it was saved (or, for a deletion, as
it was). A change is named by the timeline entry written with it only when that entry is the
record's own kind; otherwise it is ``<kind>.updated``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.domain.events import RecordChanged, RecordKind
from billing.domain.orders import InvoiceOrder, LineOrder
from billing.domain.timeline import timeline_event
from billing.services.events import EventBus
from billing.services.publishing import PublishingCustomers, PublishingPayments, record_changed
from tests.unit.wiring import ADMIN, TENANT, Billow

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def billow() -> Billow:
    return Billow()


def published_since(billow: Billow, start: int) -> list[tuple[str, str, str]]:
    """(kind, change, record id) of each change published since the ``start``-th."""
    return [(c.kind.value, c.change, c.record_id) for c in billow.changes[start:]]


def new_draft(billow: Billow):
    order = InvoiceOrder(billow.customer_id, lines=(LineOrder(name="Setup", unit_price="9.99"),))
    return billow.invoicing.drafts.create(ADMIN, order)


def event_of(event_type: str):
    return timeline_event("cus_1", event_type, NOW, "user_1", "something happened")


# ---------------------------------------------------------------- how a change is named


def test_a_change_is_named_by_its_own_timeline_entry_and_carries_the_record(billow):
    customer = billow.customers.get(TENANT, billow.customer_id)

    changed = record_changed(RecordKind.CUSTOMER, customer, event_of("customer.merged"))

    assert changed == RecordChanged(RecordKind.CUSTOMER, "customer.merged", TENANT, customer.id, customer)


@pytest.mark.parametrize(
    "event_type",
    ["payment_method.default_changed", "invoice.paid", "customerx.renamed"],
)
def test_a_timeline_entry_of_another_kind_names_the_change_as_an_update(billow, event_type):
    customer = billow.customers.get(TENANT, billow.customer_id)
    assert record_changed(RecordKind.CUSTOMER, customer, event_of(event_type)).change == "customer.updated"


def test_a_change_a_payment_entry_only_resembles_is_a_payments_update(billow):
    """``payment_method.*`` begins with ``payment`` but is not a payment's own entry."""
    payment = billow.payments.get(TENANT, billow.subscribe().first_payment_id)
    assert record_changed(RecordKind.PAYMENT, payment, event_of("payment_method.added")).change == "payment.updated"


def test_a_change_without_a_timeline_entry_is_an_update_and_a_named_change_wins_over_the_entry(billow):
    customer = billow.customers.get(TENANT, billow.customer_id)
    assert record_changed(RecordKind.CUSTOMER, customer, None).change == "customer.updated"
    named = record_changed(RecordKind.CUSTOMER, customer, event_of("customer.updated"), "customer.created")
    assert named.change == "customer.created"


# ---------------------------------------------------------------- the wrapped repositories


def test_a_customer_saved_with_a_payment_method_entry_is_published_as_updated(billow):
    bus, seen = EventBus(), []
    bus.subscribe(RecordChanged, seen.append)
    customers = PublishingCustomers(billow.customers, bus)
    customer = customers.get(TENANT, billow.customer_id)

    customers.save(customer, event_of("payment_method.default_changed"), previous_debtor_number=None)

    assert [(c.change, c.record_id, c.tenant_id) for c in seen] == [("customer.updated", customer.id, TENANT)]
    assert billow.customers.get(TENANT, customer.id).version == customer.version + 1  # the write happened


def test_a_payment_saved_is_published_as_saved_and_named_by_its_entry(billow):
    bus, seen = EventBus(), []
    bus.subscribe(RecordChanged, seen.append)
    payments = PublishingPayments(billow.payments, bus)
    payment = payments.get(TENANT, billow.subscribe().first_payment_id)

    saved = payments.save(payment, event_of("payment.noted"))
    payments.save(saved, None)

    assert [(c.kind, c.change, c.record_id) for c in seen] == [
        (RecordKind.PAYMENT, "payment.noted", payment.id),
        (RecordKind.PAYMENT, "payment.updated", payment.id),
    ]
    assert seen[0].record == saved  # the record as saved, with its new version


def test_a_draft_is_published_as_created_alone_and_finalizing_it_as_finalized(billow):
    start = len(billow.changes)
    draft = new_draft(billow)
    assert published_since(billow, start) == [("invoice", "invoice.created", draft.id)]

    start = len(billow.changes)
    billow.invoicing.lifecycle.finalize(ADMIN, draft.id)
    assert published_since(billow, start) == [("invoice", "invoice.finalized", draft.id)]
    assert billow.changes[-1].record.number == "INV-000001"


def test_a_batch_finalized_publishes_each_invoice_of_it_in_order(billow):
    drafts = [new_draft(billow) for _ in range(3)]
    start = len(billow.changes)

    billow.invoicing.lifecycle.finalize_drafts(ADMIN, drafts)

    assert published_since(billow, start) == [("invoice", "invoice.finalized", d.id) for d in drafts]
    assert [c.record.number for c in billow.changes[start:]] == ["INV-000001", "INV-000002", "INV-000003"]


def test_voiding_and_deleting_invoices_are_published_with_the_record_as_it_was(billow):
    invoice = billow.invoicing.lifecycle.finalize(ADMIN, new_draft(billow).id)
    draft = new_draft(billow)
    start = len(billow.changes)

    billow.invoicing.lifecycle.void(ADMIN, invoice.id)
    billow.invoicing.lifecycle.delete(ADMIN, draft.id)

    assert published_since(billow, start) == [
        ("invoice", "invoice.voided", invoice.id),
        ("invoice", "invoice.deleted", draft.id),
    ]
    assert billow.changes[-1].record.id == draft.id and billow.changes[-1].tenant_id == TENANT


def test_a_canceled_subscription_deleted_is_published_as_deleted(billow):
    subscription = billow.subscribe()
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    start = len(billow.changes)

    billow.subscription_cases.cancellation.delete(ADMIN, subscription.id)

    assert published_since(billow, start) == [("subscription", "subscription.deleted", subscription.id)]
    assert billow.changes[-1].record.status.value == "canceled"


# ---------------------------------------------------------------- the write itself goes through whole


@pytest.fixture
def publishing(billow: Billow):
    """The fakes of ``billow`` wrapped by a publisher of their own; answers (customers, payments)."""
    bus = EventBus()
    return PublishingCustomers(billow.customers, bus), PublishingPayments(billow.payments, bus)


def test_a_customers_timeline_entries_are_written_with_it_through_the_publisher(billow, publishing):
    customers, _ = publishing
    customer = replace(customers.get(TENANT, billow.customer_id), id="cus_2", debtor_number=10001)
    created = timeline_event("cus_2", "customer.created", NOW, "user_1", "Customer created")

    customers.add(customer, created)
    renamed = timeline_event("cus_2", "customer.updated", NOW, "user_1", "Customer renamed")
    customers.save(replace(customers.get(TENANT, "cus_2"), debtor_number=10002), renamed, previous_debtor_number=10001)

    assert [e.summary for e in billow.customers.events[(TENANT, "cus_2")]] == ["Customer created", "Customer renamed"]
    third = replace(customer, id="cus_3", debtor_number=10001)  # the number given up is free again
    customers.add(third, timeline_event("cus_3", "customer.created", NOW, "user_1", "Customer created"))
    assert customers.get(TENANT, "cus_3").debtor_number == 10001


def test_a_payments_request_key_is_kept_through_the_publisher(billow, publishing):
    _, payments = publishing
    payment = replace(billow.payments.get(TENANT, billow.subscribe().first_payment_id), id="pay_2", version=0)

    payments.add(payment, event_of("payment.created"), "key-1")

    assert payments.for_request(TENANT, "key-1").id == "pay_2"
