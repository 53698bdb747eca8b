"""DynamoDB repository of invoices, their history and their number sequence.

Numbers: the tenant's counter item holds the last number drawn and how many numbered
invoices still exist. Finalizing moves the counter with a conditional SET on the values just
read, in the same transaction that writes the numbers onto the invoices, so a number is never
issued twice and never lost; a lost race re-reads and tries again. Deleting a numbered invoice
lowers the count in its transaction, and the last one gone resets the sequence."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import OnCondition, Unavailable, failed_conditions, translated
from billing.adapters.dynamodb.models import (
    BillowItem,
    CounterItem,
    CustomerItem,
    GuardItem,
    InvoiceHistoryItem,
    InvoiceItem,
)
from billing.adapters.dynamodb.payments import payment_item
from billing.adapters.dynamodb.repositories import (
    RecordList,
    _and,
    _event_item,
    customer_touch,
    domain_record,
    entries_newest_first,
    stored_item,
)
from billing.adapters.dynamodb.subscriptions import subscription_item
from billing.domain.errors import NotFound, RequestTaken, StaleWrite, ValidationFailed
from billing.domain.ids import is_valid_id
from billing.domain.invoices import MAX_FINALIZE_BATCH, HistoryEntry, Invoice, InvoiceFilter
from billing.domain.paging import Page
from billing.domain.payments import Payment
from billing.domain.subscriptions import Subscription
from billing.domain.timeline import TimelineEvent

MAX_TRANSACTION_ITEMS = 100
COUNTER_ATTEMPTS = 25


def _invoice_item(invoice: Invoice) -> InvoiceItem:
    t = invoice.tenant_id
    created = invoice.created_at.isoformat()
    return stored_item(
        InvoiceItem,
        invoice,
        pk=keys.invoice_pk(t, invoice.id),
        sk=keys.META,
        gsi1pk=keys.customer_pk(t, invoice.customer_id),
        gsi1sk=keys.by_customer_sk(keys.INVOICE_PREFIX, created, invoice.id),
        gsi2pk=keys.invoice_list_pk(t),
        gsi2sk=keys.created_sk(created, invoice.id),
        gsi3pk=keys.hosted_token_key(invoice.hosted_token) if invoice.hosted_token else None,
    )


def _history_item(tenant_id: str, entry: HistoryEntry) -> InvoiceHistoryItem:
    return stored_item(
        InvoiceHistoryItem, entry, pk=keys.invoice_pk(tenant_id, entry.invoice_id), sk=keys.history_sk(entry.id)
    )


def _counter_key(tenant_id: str) -> CounterItem:
    return CounterItem(pk=keys.tenant_pk(tenant_id), sk=keys.counter_sk(keys.INVOICE_COUNTER))


def _invoice(item: BillowItem) -> Invoice:
    return domain_record(Invoice, item)


class DynamoInvoices(RecordList[Invoice, InvoiceItem, InvoiceFilter]):
    kind, what, prefix = "invoice", "invoices", keys.INVOICE_PREFIX

    def add(
        self,
        invoice: Invoice,
        entry: HistoryEntry,
        event: TimelineEvent,
        request_key: str | None = None,
        subscription: Subscription | None = None,
    ) -> Invoice:
        """A new draft, its first history entry and the customer's timeline entry; with a
        ``request_key``, the guard that names this invoice for that request (RequestTaken); with
        a ``subscription``, that subscription saved over its version in the same write (the
        period this invoice bills moves it on, once: StaleWrite otherwise).

        The same transaction moves the customer's version on (and needs the customer to
        exist), so a delete that counted the customer's records before this invoice existed
        fails on its version instead of leaving the invoice without its customer."""
        on_condition: OnCondition = [None, None, None]
        with translated("invoice", on_condition), self._transaction() as tx:
            tx.save(_invoice_item(invoice), condition=InvoiceItem.pk.does_not_exist())
            tx.save(_history_item(invoice.tenant_id, entry))
            tx.save(_event_item(invoice.tenant_id, event))
            if request_key is not None:
                pk, sk = keys.request_guard(invoice.tenant_id, "invoice", request_key)
                guard = GuardItem(pk=pk, sk=sk, owner_id=invoice.id)
                tx.save(guard, condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: RequestTaken(request_key))
            if subscription is not None:
                tx.save(subscription_item(subscription))
                on_condition.append(lambda: StaleWrite("subscription"))
            tx.update(
                customer_touch(invoice.tenant_id, invoice.customer_id),
                actions=[],
                condition=CustomerItem.pk.exists(),
                add_version_condition=False,
            )
            on_condition.append(lambda: ValidationFailed.of("customer_id", "the customer was deleted meanwhile"))
        return replace(invoice, version=invoice.version + 1)

    def for_request(self, tenant_id: str, request_key: str) -> Invoice | None:
        with translated("invoice"):
            try:
                guard = GuardItem.get(*keys.request_guard(tenant_id, "invoice", request_key), consistent_read=True)
            except DoesNotExist:
                return None
        return self.get(tenant_id, guard.owner_id)

    def get(self, tenant_id: str, invoice_id: str) -> Invoice:
        if not is_valid_id("invoice", invoice_id):
            raise NotFound(f"invoice {invoice_id} not found")
        with translated("invoice"):
            try:
                item = BillowItem.get(keys.invoice_pk(tenant_id, invoice_id), keys.META, consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"invoice {invoice_id} not found") from None
        return _invoice(item)

    def by_token(self, token: str) -> Invoice | None:
        with translated("invoice"):
            found = list(BillowItem.by_external_id.query(keys.hosted_token_key(token), limit=1))
            if not found:
                return None
            try:
                invoice = _invoice(BillowItem.get(found[0].pk, found[0].sk, consistent_read=True))
            except DoesNotExist:
                return None
        # The index follows the table a moment late: a token revoked just now must not open the page.
        return invoice if invoice.hosted_token == token else None

    def save(
        self,
        invoice: Invoice,
        entry: HistoryEntry | None,
        event: TimelineEvent | None = None,
        payment: Payment | None = None,
    ) -> Invoice:
        """The changed invoice over the version it was read at, with its history and timeline
        entries; with a ``payment`` (a ledger payment applied to it or given back), that payment
        over its version in the same write. StaleWrite when either changed meanwhile."""
        with translated("invoice"), self._transaction() as tx:
            tx.save(_invoice_item(invoice))
            if entry is not None:
                tx.save(_history_item(invoice.tenant_id, entry))
            if event is not None:
                tx.save(_event_item(invoice.tenant_id, event))
            if payment is not None:
                tx.save(payment_item(payment))
        return replace(invoice, version=invoice.version + 1)

    def finalize(
        self,
        tenant_id: str,
        drafts: Sequence[Invoice],
        first_number: int,
        numbered: Callable[[Invoice, int], tuple[Invoice, HistoryEntry, TimelineEvent]],
    ) -> list[Invoice]:
        """Give ``drafts`` (at most 99) the next numbers of the tenant's sequence, in order, in one
        transaction with the counter; ``numbered(draft, sequence)`` makes each finalized invoice
        and its entries. The sequence continues from the last number drawn, or from
        ``first_number`` when that is higher (a new range). History and timeline entries join the
        transaction while it has room, else follow it. Raises StaleWrite when an invoice changed
        since it was read."""
        if not 1 <= len(drafts) <= MAX_FINALIZE_BATCH:
            raise ValueError(f"finalize 1 to {MAX_FINALIZE_BATCH} invoices at a time")
        entries_fit = 1 + 3 * len(drafts) <= MAX_TRANSACTION_ITEMS
        for attempt in range(COUNTER_ATTEMPTS):
            last, count, exists = self._read_counter(tenant_id)
            start = max(last + 1, first_number)
            results = [numbered(draft, start + i) for i, draft in enumerate(drafts)]
            try:
                self._write_numbers(tenant_id, results, last, count, exists, start + len(drafts) - 1, entries_fit)
            except _LostRace:
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            if not entries_fit:
                with translated("invoice history"), BillowItem.batch_write() as batch:
                    for _, entry, event in results:
                        batch.save(_history_item(tenant_id, entry))
                        batch.save(_event_item(tenant_id, event))
            return [replace(invoice, version=invoice.version + 1) for invoice, _, _ in results]
        raise Unavailable("invoice numbers: too many finalizations at once, retry shortly")

    def _read_counter(self, tenant_id: str) -> tuple[int, int, bool]:
        with translated("invoice counter"):
            try:
                key = _counter_key(tenant_id)
                counter = CounterItem.get(key.pk, key.sk, consistent_read=True)
            except DoesNotExist:
                return 0, 0, False
        return int(counter.value or 0), int(counter.numbered or 0), True

    def _write_numbers(self, tenant_id, results, last, count, exists, new_last, entries_fit) -> None:
        counter_condition = (
            (CounterItem.value == last) & (CounterItem.numbered == count) if exists else CounterItem.pk.does_not_exist()
        )
        try:
            with self._transaction() as tx:
                tx.update(
                    _counter_key(tenant_id),
                    actions=[CounterItem.value.set(new_last), CounterItem.numbered.set(count + len(results))],
                    condition=counter_condition,
                )
                for invoice, entry, event in results:
                    tx.save(_invoice_item(invoice))
                    if entries_fit:
                        tx.save(_history_item(tenant_id, entry))
                        tx.save(_event_item(tenant_id, event))
        except TransactWriteError as error:
            # PynamoDB sends a transaction's puts before its updates: the counter is the last item.
            failed = failed_conditions(error)
            if any(failed[:-1]):
                raise StaleWrite("invoice") from error
            if (failed and failed[-1]) or _conflicted(error):
                raise _LostRace from error
            with translated("invoice"):
                raise

    def delete(self, invoice: Invoice, event: TimelineEvent) -> None:
        """A draft, or a finalized invoice (its number stays a gap; the last one resets the
        sequence); its history goes after it."""
        t = invoice.tenant_id
        for attempt in range(COUNTER_ATTEMPTS):
            counter = self._read_counter(t) if invoice.number else None
            try:
                with self._transaction() as tx:
                    tx.delete(_invoice_item(invoice))
                    tx.save(_event_item(t, event))
                    if counter is not None:
                        last, count, _ = counter
                        remaining = max(count - 1, 0)
                        tx.update(
                            _counter_key(t),
                            actions=[
                                CounterItem.numbered.set(remaining),
                                CounterItem.value.set(last if remaining else 0),
                            ],
                            condition=(CounterItem.value == last) & (CounterItem.numbered == count),
                        )
            except TransactWriteError as error:
                # PynamoDB sends deletes, then puts, then updates: invoice, event, counter.
                failed = failed_conditions(error)
                if failed and failed[0]:
                    raise StaleWrite("invoice") from error
                if (len(failed) > 2 and failed[2]) or _conflicted(error):
                    time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                    continue
                with translated("invoice"):
                    raise
            break
        else:
            raise Unavailable("invoice numbers: too many changes at once, retry shortly")
        with translated("invoice history"), BillowItem.batch_write() as batch:
            for item in InvoiceHistoryItem.query(keys.invoice_pk(t, invoice.id)):
                batch.delete(item)

    def history(self, tenant_id: str, invoice_id: str, *, limit: int, cursor: str | None) -> Page[HistoryEntry]:
        pk = keys.invoice_pk(tenant_id, invoice_id)
        return entries_newest_first(
            "invoice history", InvoiceHistoryItem, HistoryEntry, pk, keys.HISTORY_PREFIX, keys.history_sk, limit, cursor
        )

    def _list_pk(self, tenant_id: str) -> str:
        return keys.invoice_list_pk(tenant_id)

    def _item_of(self, record: Invoice) -> InvoiceItem:
        return _invoice_item(record)

    def _record_of(self, item: InvoiceItem) -> Invoice:
        return _invoice(item)

    def _filter(self, where: InvoiceFilter) -> Condition | None:
        return _filter(where)


class _LostRace(Exception):
    """Another finalization moved the counter between our read and our write."""


def _conflicted(error: TransactWriteError) -> bool:
    return error.cause_response_code == "TransactionConflictException" or any(
        r and r.code == "TransactionConflict" for r in error.cancellation_reasons or []
    )


def _filter(where: InvoiceFilter) -> Condition | None:
    conditions: list[Condition] = []
    if where.statuses:
        conditions.append(InvoiceItem.status.is_in(*where.statuses))
    if where.number:
        conditions.append(InvoiceItem.number == where.number)
    if where.due_from:
        conditions.append(InvoiceItem.due_date >= where.due_from)
    if where.due_to:
        conditions.append(InvoiceItem.due_date <= where.due_to)
    if where.total_min is not None:
        conditions.append(InvoiceItem.total >= where.total_min)
    if where.total_max is not None:
        conditions.append(InvoiceItem.total <= where.total_max)
    if where.overdue_on:
        collectable = InvoiceItem.status.is_in("open", "partially_paid")
        conditions.append(collectable & (InvoiceItem.due_date < where.overdue_on))
    if where.ids:
        conditions.append(InvoiceItem.id.is_in(*where.ids))
    if where.subscription_id:
        conditions.append(InvoiceItem.subscription_id == where.subscription_id)
    return _and(*conditions)
