"""The invoice sequencer's batch path over moto's server (SPEC I3): the billing run finalizes up to
99 drafts in one transaction with the counter, and the numbers stay gapless across batches and
single finalizations racing them."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import botocore.client
import pytest

from billing.adapters.dynamodb.invoices import DynamoInvoices
from billing.adapters.dynamodb.repositories import (
    DynamoCatalogRepository,
    DynamoCustomerRepository,
    DynamoSettingsRepository,
)
from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.invoices import MAX_FINALIZE_BATCH
from billing.domain.timeline import timeline_event
from billing.services.invoices import InvoiceService
from billing.services.pricing import PricingService

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FixedClock:
    def now(self):
        return NOW


@pytest.fixture
def billing(stack):
    caller = Caller(f"t{uuid.uuid4().hex[:12]}", "run", Role.BILLING)
    customers, settings = DynamoCustomerRepository(), DynamoSettingsRepository()
    pricing = PricingService(DynamoCatalogRepository(), settings, FixedClock())
    service = InvoiceService(DynamoInvoices(), customers, pricing, settings, FixedClock())
    customer = new_customer(caller.tenant_id, NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, timeline_event(customer.id, "customer.created", NOW, "run", "created"))
    service.caller, service.customer = caller, customer
    return service


def drafts(service, count: int):
    body = {"customer_id": service.customer.id, "lines": [{"name": "Plan", "unit_price": "9.99"}]}
    return [service.create(service.caller, body) for _ in range(count)]


@pytest.fixture
def transactions():
    """TransactWriteItems requests sent while the test runs, counted at the botocore client."""
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation, params):
        if operation == "TransactWriteItems":
            seen.append(len(params["TransactItems"]))
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counting
    yield seen
    botocore.client.BaseClient._make_api_call = original


def test_a_batch_of_99_drafts_takes_its_block_of_numbers_in_one_transaction(billing, transactions):
    batch = drafts(billing, MAX_FINALIZE_BATCH)
    transactions.clear()
    finalized = billing.finalize_drafts(billing.caller, batch)
    assert transactions == [100]  # the counter and 99 invoices; their history follows in batch writes
    assert [i.sequence for i in finalized] == list(range(1, 100))
    assert [i.number for i in finalized[:2]] == ["INV-000001", "INV-000002"]
    stored = [billing.get(billing.caller, i.id) for i in batch]
    assert [i.number for i in stored] == [i.number for i in finalized]
    assert all(i.status.value == "open" and i.hosted_token for i in stored)
    history = billing.history(billing.caller, batch[0].id, limit=10, cursor=None).items
    assert [e.type for e in history] == ["finalized", "created"]


def test_a_single_finalization_is_one_transaction_with_its_history_and_timeline(billing, transactions):
    (draft,) = drafts(billing, 1)
    transactions.clear()
    billing.finalize(billing.caller, draft.id)
    assert transactions == [4]  # counter, invoice, history entry, timeline entry


def test_batches_and_single_finalizations_racing_leave_no_gap_and_no_duplicate(billing):
    batches = [drafts(billing, 20) for _ in range(2)]
    singles = drafts(billing, 6)
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(billing.finalize_drafts, billing.caller, batch) for batch in batches]
        jobs += [pool.submit(billing.finalize, billing.caller, draft.id) for draft in singles]
        results = [job.result() for job in jobs]
    sequences = [i.sequence for batch in results[:2] for i in batch] + [i.sequence for i in results[2:]]
    assert sorted(sequences) == list(range(1, 47))
    for batch in results[:2]:  # a batch's numbers are one block, in its order
        assert [i.sequence for i in batch] == list(range(batch[0].sequence, batch[0].sequence + 20))
