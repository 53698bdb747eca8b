"""DynamoDB repository of credit notes, their number sequence, and customers' credit balances.

Numbers: the tenant's credit-note counter holds the last number drawn. A credit note is written in
one transaction with a conditional SET of the counter on the value just read, its invoice over
the version read, and whatever else it changes (a ledger payment, the customer's balance), so a
number is never issued twice, never lost, and never drawn for a note that was not written; a lost
race re-reads and tries again."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import Unavailable, failed_conditions, translated
from billing.adapters.dynamodb.invoices import _conflicted, _history_item, _invoice_item
from billing.adapters.dynamodb.models import (
    BillowItem,
    CounterItem,
    CreditBalanceItem,
    CreditNoteItem,
    GuardItem,
)
from billing.adapters.dynamodb.payments import payment_item
from billing.adapters.dynamodb.repositories import RecordList, _and, _event_item, domain_record, stored_item
from billing.domain.credit_notes import CreditNote, CreditNoteFilter
from billing.domain.errors import Conflict, NotFound, RequestTaken, StaleWrite
from billing.domain.ids import is_valid_id
from billing.domain.invoices import HistoryEntry, Invoice
from billing.domain.timeline import TimelineEvent
from billing.ports import CreditIssue

COUNTER_ATTEMPTS = 25


def _note_item(note: CreditNote) -> CreditNoteItem:
    t = note.tenant_id
    created = note.created_at.isoformat()
    return stored_item(
        CreditNoteItem,
        note,
        pk=keys.credit_note_pk(t, note.id),
        sk=keys.META,
        gsi1pk=keys.customer_pk(t, note.customer_id),
        gsi1sk=keys.by_customer_sk(keys.CREDIT_NOTE_PREFIX, created, note.id),
        gsi2pk=keys.credit_note_list_pk(t),
        gsi2sk=keys.created_sk(created, note.id),
    )


def _counter_key(tenant_id: str) -> CounterItem:
    return CounterItem(pk=keys.tenant_pk(tenant_id), sk=keys.counter_sk(keys.CREDIT_NOTE_COUNTER))


def _balance_key(tenant_id: str, customer_id: str, currency: str) -> CreditBalanceItem:
    return CreditBalanceItem(pk=keys.customer_pk(tenant_id, customer_id), sk=keys.balance_sk(currency))


class _LostRace(Exception):
    """Another credit note moved the counter between our read and our write."""


class DynamoCreditNotes(RecordList[CreditNote, CreditNoteItem, CreditNoteFilter]):
    kind, what, prefix = "credit_note", "credit notes", keys.CREDIT_NOTE_PREFIX

    def add(
        self, tenant_id: str, first_number: int, issue: Callable[[int], CreditIssue], request_key: str | None = None
    ) -> CreditNote:
        for attempt in range(COUNTER_ATTEMPTS):
            last, exists = self._read_counter(tenant_id)
            sequence = max(last + 1, first_number)
            issued = issue(sequence)
            try:
                self._write(tenant_id, issued, last, exists, sequence, request_key)
            except _LostRace:
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            return issued.note
        raise Unavailable("credit note numbers: too many credit notes at once, retry shortly")

    def _read_counter(self, tenant_id: str) -> tuple[int, bool]:
        with translated("credit note counter"):
            try:
                key = _counter_key(tenant_id)
                counter = CounterItem.get(key.pk, key.sk, consistent_read=True)
            except DoesNotExist:
                return 0, False
        return int(counter.value or 0), True

    def _write(
        self, tenant_id: str, issued: CreditIssue, last: int, exists: bool, sequence: int, request_key: str | None
    ) -> None:
        counter_condition = CounterItem.value == last if exists else CounterItem.pk.does_not_exist()
        # What each item's failed condition means, in the order PynamoDB sends them: puts, then updates.
        meaning: list[Callable[[], Exception]] = []
        try:
            with self._transaction() as tx:
                tx.save(_note_item(issued.note), condition=CreditNoteItem.pk.does_not_exist())
                meaning.append(lambda: StaleWrite("credit note"))
                tx.save(_invoice_item(issued.invoice))
                meaning.append(lambda: StaleWrite("invoice"))
                tx.save(_history_item(tenant_id, issued.entry))
                meaning.append(lambda: StaleWrite("invoice history"))
                tx.save(_event_item(tenant_id, issued.event))
                meaning.append(lambda: StaleWrite("timeline"))
                if request_key is not None:
                    pk, sk = keys.request_guard(tenant_id, "credit_note", request_key)
                    tx.save(GuardItem(pk=pk, sk=sk, owner_id=issued.note.id), condition=GuardItem.pk.does_not_exist())
                    meaning.append(lambda: RequestTaken(request_key))
                if issued.payment is not None:
                    tx.save(payment_item(issued.payment))
                    meaning.append(lambda: StaleWrite("payment"))
                tx.update(
                    _counter_key(tenant_id), actions=[CounterItem.value.set(sequence)], condition=counter_condition
                )
                meaning.append(_LostRace)
                if issued.balance:
                    note = issued.note
                    tx.update(
                        _balance_key(tenant_id, note.customer_id, note.currency),
                        actions=[
                            CreditBalanceItem.kind.set(CreditBalanceItem),  # created by the first credit kept
                            CreditBalanceItem.amount.add(issued.balance),
                        ],
                    )
                    meaning.append(lambda: StaleWrite("credit balance"))
        except TransactWriteError as error:
            failed = failed_conditions(error)
            for index, did_fail in enumerate(failed):
                if did_fail:
                    raise meaning[index]() from error
            if _conflicted(error):
                raise _LostRace from error
            with translated("credit note"):
                raise

    def for_request(self, tenant_id: str, request_key: str) -> CreditNote | None:
        with translated("credit note"):
            try:
                guard = GuardItem.get(*keys.request_guard(tenant_id, "credit_note", request_key), consistent_read=True)
            except DoesNotExist:
                return None
        return self.get(tenant_id, guard.owner_id)

    def get(self, tenant_id: str, credit_note_id: str) -> CreditNote:
        if not is_valid_id("credit_note", credit_note_id):
            raise NotFound(f"credit note {credit_note_id} not found")
        with translated("credit note"):
            try:
                item = BillowItem.get(keys.credit_note_pk(tenant_id, credit_note_id), keys.META, consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"credit note {credit_note_id} not found") from None
        return domain_record(CreditNote, item)

    def save(self, note: CreditNote) -> CreditNote:
        from dataclasses import replace

        with translated("credit note"):
            _note_item(note).save()
        return replace(note, version=note.version + 1)

    def balances(self, tenant_id: str, customer_id: str) -> dict[str, int]:
        pk = keys.customer_pk(tenant_id, customer_id)
        with translated("credit balance"):
            items = CreditBalanceItem.query(
                pk, CreditBalanceItem.sk.startswith(keys.BALANCE_PREFIX), consistent_read=True
            )
            return {
                item.sk.removeprefix(keys.BALANCE_PREFIX): int(item.amount) for item in items if int(item.amount or 0)
            }

    def use_balance(self, invoice: Invoice, entry: HistoryEntry, event: TimelineEvent, amount: int) -> Invoice:
        from dataclasses import replace

        t = invoice.tenant_id
        try:
            with self._transaction() as tx:
                tx.save(_invoice_item(invoice))
                tx.save(_history_item(t, entry))
                tx.save(_event_item(t, event))
                tx.update(
                    _balance_key(t, invoice.customer_id, invoice.currency),
                    actions=[CreditBalanceItem.amount.add(-amount)],
                    condition=CreditBalanceItem.amount >= amount,
                )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if failed and failed[0]:
                raise StaleWrite("invoice") from error
            if len(failed) > 3 and failed[3]:
                raise Conflict("the customer's credit balance holds less than that now") from error
            with translated("credit balance"):
                raise
        return replace(invoice, version=invoice.version + 1)

    def _list_pk(self, tenant_id: str) -> str:
        return keys.credit_note_list_pk(tenant_id)

    def _item_of(self, record: CreditNote) -> CreditNoteItem:
        return _note_item(record)

    def _record_of(self, item: CreditNoteItem) -> CreditNote:
        return domain_record(CreditNote, item)

    def _filter(self, where: CreditNoteFilter) -> Condition | None:
        conditions: list[Condition] = []
        if where.invoice_id:
            conditions.append(CreditNoteItem.invoice_id == where.invoice_id)
        if where.reasons:
            conditions.append(CreditNoteItem.reason.is_in(*where.reasons))
        if where.settlements:
            conditions.append(CreditNoteItem.settlement.is_in(*where.settlements))
        if where.ids:
            conditions.append(CreditNoteItem.id.is_in(*where.ids))
        return _and(*conditions)
