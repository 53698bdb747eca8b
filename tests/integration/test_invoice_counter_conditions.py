"""The conditions of the DynamoDB invoice repository over moto's server, run through the invoice
service: the number counter moved only from the values read (the last number drawn and the count
of numbered invoices), the start of the tenant's range, the size of a numbering transaction, a
hosted-page token checked against its invoice when the index lags, and a period's invoice written
only over the subscription version it was decided on. The counter and token scenarios are those
tests/unit/test_invoice_numbering.py runs over the in-memory invoices: both behave alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.invoices import DynamoInvoices
from billing.adapters.dynamodb.models import BillowItem
from billing.adapters.dynamodb.repositories import (
    DynamoCustomerRepository,
    DynamoSettingsRepository,
)
from billing.adapters.dynamodb.subscriptions import DynamoSubscriptions
from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import StaleWrite
from billing.domain.invoices import InvoiceFilter
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import LineItem
from billing.domain.subscriptions import (
    CancelMode,
    CollectionMethod,
    Subscription,
    billed,
    canceled,
    new_subscription,
    period_invoice,
)
from billing.domain.timeline import timeline_event
from tests.integration.conftest import invoicing_over_dynamodb
from tests.unit.test_invoice_numbering import (
    Books,
    delete_racing_a_finalization,
    finalization_racing_a_delete,
    number_start_honoured,
    two_deletes_racing,
    voided_token_opens_nothing_while_the_index_lags,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems


class FixedClock:
    def now(self):
        return NOW


def after_counter_read(repository: DynamoInvoices):
    """Run work once, right after the repository's next read of the number counter."""

    def schedule(work) -> None:
        original, pending = repository._read_counter, [work]

        def read(tenant_id):
            answer = original(tenant_id)
            while pending:
                pending.pop()()
            return answer

        repository._read_counter = read

    return schedule


def lagging_index(monkeypatch, tenant_id: str):
    """From the call on, the hosted-token index answers what it held then for the tenant's invoices
    (it lags the table), as a DynamoDB index may for a moment."""

    def lag() -> None:
        original = BillowItem.by_external_id.query
        held = {
            item.gsi3pk: list(original(item.gsi3pk, limit=1))
            for item in BillowItem.by_status.query(keys.invoice_list_pk(tenant_id))
            if item.gsi3pk
        }

        def query(hash_key, *args, **kwargs):
            return iter(held[hash_key]) if hash_key in held else original(hash_key, *args, **kwargs)

        monkeypatch.setattr(BillowItem.by_external_id, "query", query)

    return lag


@pytest.fixture
def books(stack, monkeypatch) -> Books:
    caller = Caller(f"t{uuid.uuid4().hex[:12]}", "admin_1", Role.ADMIN)
    customers, settings = DynamoCustomerRepository(), DynamoSettingsRepository()
    repository = DynamoInvoices()
    service = invoicing_over_dynamodb(repository, FixedClock())
    customer = new_customer(caller.tenant_id, NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, timeline_event(customer.id, "customer.created", NOW, "admin_1", "created"))
    found = Books(
        service,
        caller,
        customer.id,
        settings,
        after_counter_read(repository),
        lagging_index(monkeypatch, caller.tenant_id),
    )
    found.change_settings(invoice_deleting_allowed=True)
    return found


def test_a_delete_racing_a_finalization_leaves_the_count_right_so_the_last_delete_resets_the_sequence(books):
    """A numbered invoice deleted after a finalization read the counter fails the finalization's
    condition on the count, which reads again: the count stays right and the last delete resets."""
    delete_racing_a_finalization(books)


def test_a_finalization_racing_a_delete_leaves_the_count_right(books):
    finalization_racing_a_delete(books)


def test_two_deletes_racing_each_lower_the_count(books):
    """The second delete's condition on the count fails, it reads again and lowers it once more."""
    two_deletes_racing(books)


def test_invoice_number_start_is_where_numbering_starts_and_a_higher_start_begins_a_new_range(books):
    number_start_honoured(books)


def test_a_hosted_page_token_the_index_still_holds_after_a_void_opens_nothing(books):
    """The index still names the voided invoice for its token; the invoice read is checked."""
    voided_token_opens_nothing_while_the_index_lags(books)


@pytest.mark.parametrize("count", [33, 34, 40, 49])
def test_a_numbering_transaction_stays_within_dynamodbs_100_items_whatever_the_batch(books, transactions, count):
    """Each numbered invoice brings a history and a timeline entry: 33 drafts and their entries fill
    one transaction (1 + 3 x 33 = 100 items); from 34 on the entries follow the transaction, which
    holds the counter and the invoices alone. Either way every entry is written."""
    drafts = books.drafts(count)
    transactions.clear()
    numbered = books.service.lifecycle.finalize_drafts(books.caller, drafts)
    assert len(transactions) == 1 and transactions[0] <= MAX_TRANSACTION_ITEMS
    assert [i.sequence for i in numbered] == list(range(1, count + 1))
    for invoice in (numbered[0], numbered[-1]):
        history = books.service.queries.history(books.caller, invoice.id, limit=10, cursor=None).items
        assert [e.type for e in history] == ["finalized", "created"]
    timeline = DynamoCustomerRepository().timeline(books.caller.tenant_id, books.customer_id, limit=100, cursor=None)
    assert len([e for e in timeline.items if e.type == "invoice.finalized"]) == count


def stored_subscription(books: Books):
    """An invoice-mode subscription of the books' customer, its first period due, as stored."""
    line = LineItem(name="Hosting", quantity=Decimal(1), unit_price=Decimal(29), frequency=BillingFrequency.MONTHLY)
    subscription = new_subscription(
        books.caller.tenant_id,
        books.customer_id,
        "eur",
        NOW,
        frequency=BillingFrequency.MONTHLY,
        starts_on=NOW.date(),
        lines=(line,),
        collection_method=CollectionMethod.SEND_INVOICE,
    )
    (stored,) = DynamoSubscriptions().add([subscription], [], None)
    return stored


def first_invoice(subscription: Subscription):
    return period_invoice(subscription, subscription.period(0))


def test_a_periods_invoice_is_not_written_over_a_subscription_changed_since_it_was_read(books):
    """The invoice of a subscription's period is added in one write with the subscription moved on,
    over the version the period was decided on: canceled meanwhile, the write is refused whole -
    no invoice, the request key still free, the cancellation kept."""
    tenant = books.caller.tenant_id
    read = stored_subscription(books)
    DynamoSubscriptions().save(canceled(read, CancelMode.IMMEDIATELY, NOW.date(), NOW, confirm=True))
    with pytest.raises(StaleWrite):
        books.service.drafts.create_for_period(
            books.caller, first_invoice(read), f"{read.id}:0", billed(read, 0, NOW), finalize=False
        )

    assert books.service.issuing.for_request(tenant, f"{read.id}:0") is None
    assert list(DynamoInvoices().all(tenant, InvoiceFilter())) == []
    kept = DynamoSubscriptions().get(tenant, read.id)
    assert (kept.status.value, kept.periods_billed, kept.version) == ("canceled", 0, read.version + 1)


def test_a_periods_invoice_over_the_subscription_version_read_moves_the_subscription_on(books):
    """The contrast: unchanged since it was read, the subscription moves on with its invoice."""
    tenant = books.caller.tenant_id
    read = stored_subscription(books)
    moved = billed(read, 0, NOW)
    invoice = books.service.drafts.create_for_period(
        books.caller, first_invoice(read), f"{read.id}:0", moved, finalize=False
    )
    assert books.service.issuing.for_request(tenant, f"{read.id}:0").id == invoice.id
    moved = DynamoSubscriptions().get(tenant, read.id)
    assert (moved.periods_billed, moved.collecting_period, moved.version) == (1, 0, read.version + 1)
