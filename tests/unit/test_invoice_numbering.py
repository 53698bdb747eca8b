"""Invoice numbers and hosted-page tokens through the invoice service, over the in-memory invoices.
The scenarios take a ``Books`` - the service, its tenant and a way to land another request's work
between the counter's read and its write - so that
tests/integration/test_invoice_counter_conditions.py runs the same ones over DynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from billing.domain.access import Caller
from billing.domain.errors import NotFound
from billing.domain.invoices import Invoice
from billing.domain.orders import InvoiceOrder, LineOrder
from billing.services.invoices import Invoicing
from tests.unit.wiring import ADMIN, HOSTED, Billow


@dataclass
class Books:
    """One tenant's invoices as a test drives them."""

    service: Invoicing
    caller: Caller
    customer_id: str
    settings: object  # the SettingsRepository the service reads
    after_counter_read: Callable[[Callable[[], object]], None]  # run work once, between read and write
    index_lags: Callable[[], None]  # the hosted-token index stops following the table

    def drafts(self, count: int) -> list[Invoice]:
        order = InvoiceOrder(self.customer_id, lines=(LineOrder(name="Setup", unit_price="9.99"),))
        return [self.service.drafts.create(self.caller, order) for _ in range(count)]

    def finalize(self, draft: Invoice) -> Invoice:
        return self.service.lifecycle.finalize(self.caller, draft.id)

    def numbered(self, count: int) -> list[Invoice]:
        return [self.finalize(d) for d in self.drafts(count)]

    def delete(self, invoice: Invoice) -> None:
        self.service.lifecycle.delete(self.caller, invoice.id)

    def change_settings(self, **changes) -> None:
        self.settings.save(replace(self.settings.get(self.caller.tenant_id), **changes))

    def next_sequence(self) -> int:
        return self.finalize(self.drafts(1)[0]).sequence


def memory_books() -> Books:
    billow = Billow()
    books = Books(
        billow.invoicing,
        ADMIN,
        billow.customer_id,
        billow.settings,
        billow.invoices.meanwhile,
        billow.invoices.index_lags,
    )
    books.change_settings(invoice_deleting_allowed=True)
    return books


# ---------------------------------------------------------------- scenarios (also run over DynamoDB)


def delete_racing_a_finalization(books: Books) -> None:
    first, second = books.numbered(2)
    (third,) = books.drafts(1)
    books.after_counter_read(lambda: books.delete(first))  # lands after the finalization read the counter
    assert books.finalize(third).sequence == 3
    books.delete(second)
    books.delete(third)
    assert books.next_sequence() == 1  # the last numbered invoice is gone: the sequence starts again


def finalization_racing_a_delete(books: Books) -> None:
    first, second = books.numbered(2)
    (third,) = books.drafts(1)
    books.after_counter_read(lambda: books.finalize(third))  # lands after the delete read the counter
    books.delete(second)
    assert books.service.queries.get(books.caller, third.id).sequence == 3
    books.delete(first)
    books.delete(books.service.queries.get(books.caller, third.id))
    assert books.next_sequence() == 1


def two_deletes_racing(books: Books) -> None:
    first, second, third = books.numbered(3)
    books.after_counter_read(lambda: books.delete(second))
    books.delete(first)
    books.delete(third)
    assert books.next_sequence() == 1


def number_start_honoured(books: Books) -> None:
    books.change_settings(invoice_number_start=1000)
    first = books.finalize(books.drafts(1)[0])
    assert (first.sequence, first.number) == (1000, "INV-001000")
    batch = books.service.lifecycle.finalize_drafts(books.caller, books.drafts(2))  # the billing run's path
    assert [i.sequence for i in batch] == [1001, 1002]
    books.change_settings(invoice_number_start=5000)  # a new range
    assert books.next_sequence() == 5000
    books.change_settings(invoice_number_start=10)  # never back into numbers drawn
    assert books.next_sequence() == 5001


def voided_token_opens_nothing_while_the_index_lags(books: Books) -> None:
    (invoice,) = books.numbered(1)
    token = invoice.hosted_token
    assert books.service.hosted.hosted(token).id == invoice.id
    books.index_lags()
    books.service.lifecycle.void(books.caller, invoice.id)
    with pytest.raises(NotFound):
        books.service.hosted.hosted(token)
    with pytest.raises(NotFound):
        books.service.hosted.pay_online(token, HOSTED)
    with pytest.raises(NotFound):
        books.service.hosted.hosted_pdf_link(token, HOSTED)


# ---------------------------------------------------------------- the rules, over the in-memory invoices


def test_a_delete_racing_a_finalization_leaves_the_count_right_so_the_last_delete_resets_the_sequence():
    """The counter keeps the last number drawn and how many numbered invoices still exist, and a
    finalization moves it only from the values it read: a numbered invoice deleted after the
    finalization read the counter makes it read again, so the count stays right and deleting the
    last numbered invoice starts the sequence again at 1."""
    delete_racing_a_finalization(memory_books())


def test_a_finalization_racing_a_delete_leaves_the_count_right():
    """A delete, too, lowers the count only from the values it read."""
    finalization_racing_a_delete(memory_books())


def test_two_deletes_racing_each_lower_the_count():
    """Two numbered invoices deleted at once lower the count by two, not one."""
    two_deletes_racing(memory_books())


def test_the_last_numbered_invoice_deleted_resets_the_sequence_and_a_gap_stays_a_gap():
    """Deleting a numbered invoice leaves its number a gap; deleting the last one left resets."""
    books = memory_books()
    first, second = books.numbered(2)
    books.delete(first)
    assert books.next_sequence() == 3  # 1 stays a gap
    books.delete(second)
    assert books.next_sequence() == 4  # 3 still exists
    for invoice in books.service.queries.list(
        books.caller, books.service.queries.filter(), limit=10, cursor=None
    ).items:
        books.delete(invoice)
    assert books.next_sequence() == 1


def test_invoice_number_start_is_where_numbering_starts_and_a_higher_start_begins_a_new_range():
    """The tenant's invoice_number_start is the first number, on the single and the batch path;
    raised above the numbers drawn it starts a new range, lowered it never reuses numbers."""
    number_start_honoured(memory_books())


def test_invoice_number_start_is_where_the_sequence_starts_again_after_a_reset():
    """Once the last numbered invoice is deleted, the sequence starts again at the tenant's start."""
    books = memory_books()
    books.change_settings(invoice_number_start=700)
    (only,) = books.numbered(1)
    books.delete(only)
    assert books.next_sequence() == 700


def test_a_hosted_page_token_the_index_still_holds_after_a_void_opens_nothing():
    """A hosted-page token is looked up through an index that follows the invoices a moment late;
    the invoice found is checked against the token, so a voided invoice's page opens nothing
    (neither the page, nor online payment, nor its PDF) while the index still names it."""
    voided_token_opens_nothing_while_the_index_lags(memory_books())


def test_a_batch_of_more_drafts_than_one_transaction_holds_is_refused_before_anything_is_numbered():
    """The batch path numbers at most 99 drafts at a time (one transaction with the counter)."""
    books = memory_books()
    drafts = books.drafts(100)
    with pytest.raises(ValueError):
        books.service.lifecycle.finalize_drafts(books.caller, drafts)
    assert books.next_sequence() == 1
