"""The invoice sequencer's batch path over moto's server: the billing run finalizes up to 99 drafts
in one transaction with the counter, and the numbers stay gapless across batches and single
finalizations racing them."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from billing.adapters.dynamodb.invoices import DynamoInvoices
from billing.adapters.dynamodb.repositories import (
    DynamoCustomerRepository,
)
from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.invoices import MAX_FINALIZE_BATCH
from billing.domain.orders import InvoiceOrder, LineOrder
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import LineItem
from billing.domain.subscriptions import CollectionMethod, Period, PeriodInvoice
from billing.domain.timeline import timeline_event
from tests.integration.conftest import invoicing_over_dynamodb

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FixedClock:
    def now(self):
        return NOW


class Billing(SimpleNamespace):
    """The invoice use cases (``billing.lifecycle``, ...) with the tenant's caller and customer."""

    def __getattr__(self, name: str):
        return getattr(self.invoicing, name)


@pytest.fixture
def billing(stack):
    caller = Caller(f"t{uuid.uuid4().hex[:12]}", "run", Role.BILLING)
    customers = DynamoCustomerRepository()
    customer = new_customer(caller.tenant_id, NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, timeline_event(customer.id, "customer.created", NOW, "run", "created"))
    return Billing(invoicing=invoicing_over_dynamodb(DynamoInvoices(), FixedClock()), caller=caller, customer=customer)


def drafts(service, count: int):
    order = InvoiceOrder(service.customer.id, lines=(LineOrder(name="Plan", unit_price="9.99"),))
    return [service.drafts.create(service.caller, order) for _ in range(count)]


def test_a_batch_of_99_drafts_takes_its_block_of_numbers_in_one_transaction(billing, transactions):
    batch = drafts(billing, MAX_FINALIZE_BATCH)
    transactions.clear()
    finalized = billing.lifecycle.finalize_drafts(billing.caller, batch)
    assert transactions == [100]  # the counter and 99 invoices; their history follows in batch writes
    assert [i.sequence for i in finalized] == list(range(1, 100))
    assert [i.number for i in finalized[:2]] == ["INV-000001", "INV-000002"]
    stored = [billing.queries.get(billing.caller, i.id) for i in batch]
    assert [i.number for i in stored] == [i.number for i in finalized]
    assert all(i.status.value == "open" and i.hosted_token for i in stored)
    history = billing.queries.history(billing.caller, batch[0].id, limit=10, cursor=None).items
    assert [e.type for e in history] == ["finalized", "created"]


def test_a_single_finalization_is_one_transaction_with_its_history_and_timeline(billing, transactions):
    (draft,) = drafts(billing, 1)
    transactions.clear()
    billing.lifecycle.finalize(billing.caller, draft.id)
    assert transactions == [4]  # counter, invoice, history entry, timeline entry


def test_batches_and_single_finalizations_racing_leave_no_gap_and_no_duplicate(billing):
    batches = [drafts(billing, 20) for _ in range(2)]
    singles = drafts(billing, 6)
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(billing.lifecycle.finalize_drafts, billing.caller, batch) for batch in batches]
        jobs += [pool.submit(billing.lifecycle.finalize, billing.caller, draft.id) for draft in singles]
        results = [job.result() for job in jobs]
    sequences = [i.sequence for batch in results[:2] for i in batch] + [i.sequence for i in results[2:]]
    assert sorted(sequences) == list(range(1, 47))
    for batch in results[:2]:  # a batch's numbers are one block, in its order
        assert [i.sequence for i in batch] == list(range(batch[0].sequence, batch[0].sequence + 20))


def test_a_billing_cycle_issues_and_charges_once_however_often_it_is_repeated(stack):
    """The call the subscriptions' cycle makes: create, finalize and charge with one request key;
    repeated (a retried run, a second worker), it returns the same invoice and charges once."""
    import stripe

    from billing.bootstrap import invoicing
    from local.run import STRIPE_SECRET_KEY
    from tests.integration.conftest import Api, connect_stripe_account
    from tests.integration.test_payments_api import save_card

    api = Api(stack.url, f"t{uuid.uuid4().hex[:12]}")
    api.account = connect_stripe_account(api)
    api.customer = api.post("/v1/customers", json={"type": "company", "company_name": "Abo GmbH"}).json()
    stack.stripe.switches.copies, stack.stripe.switches.hold = 1, False
    save_card(api, stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url}), stack.stripe)
    caller = Caller(api.tenant, "billing-run", Role.BILLING)
    march = Period(2, date(2026, 3, 1), date(2026, 3, 31))
    bill = PeriodInvoice(
        subscription_id="sub_1",
        customer_id=api.customer["id"],
        currency="eur",
        period=march,
        lines=(LineItem("Abo März", Decimal(1), Decimal("29.00"), BillingFrequency.MONTHLY),),
        adjustments=(),
        days_until_due=0,
        address_id=None,
        memo="",
    )
    service = invoicing()
    with ThreadPoolExecutor(max_workers=4) as pool:
        issued = list(
            pool.map(
                lambda _: service.issuing.issue(
                    caller,
                    bill,
                    march.key("sub_1"),
                    subscription=None,  # no stored subscription moves on here
                    collect=CollectionMethod.CHARGE_AUTOMATICALLY,
                    payment_method_id=None,
                    hosted_base=stack.url,
                ),
                range(4),
            )
        )
    assert {i.id for i in issued} == {issued[0].id}
    final = service.queries.get(caller, issued[0].id)
    assert final.status.value == "paid" and len(final.payments) == 1 and final.number == "INV-000001"
    # Workers that raced to the charge asked Stripe with one idempotency key: one PaymentIntent exists.
    objects = stack.stripe.accounts[api.account].objects.values()
    assert len([o for o in objects if o["object"] == "payment_intent"]) == 1
    again = service.issuing.issue(
        caller,
        bill,
        march.key("sub_1"),
        collect=CollectionMethod.CHARGE_AUTOMATICALLY,
        payment_method_id=None,
        hosted_base=stack.url,
    )
    assert again.id == final.id and len(again.payments) == 1
