"""Credit notes take back what the invoice charged, rate by rate: chosen lines and quantities (with
the one-time discounts and fees on their rates), or an amount split across the rates, never more
than is left; what was still due stops being due, the rest goes back by the settlement chosen."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.credit_notes import (
    CreditReason,
    CreditTerms,
    LineCredit,
    RefundStatus,
    Settlement,
    credit_note,
    credit_of_amount,
    credit_of_lines,
    credit_of_rest,
)
from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.invoices import (
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    PaymentSource,
    Recipient,
    priced,
)
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import Adjustment, AdjustmentKind, AmountType, LineItem, LineTax, summarize
from billing.domain.settings import Seller

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
VAT_19 = LineTax("USt", D(19))
VAT_7 = LineTax("USt", D(7))
SELLER = Seller(business_name="Muster GmbH", business_country="DE")


def invoice(*items: LineItem, adjustments=(), currency="eur", status=InvoiceStatus.OPEN) -> Invoice:
    summary = summarize(list(items), list(adjustments), currency, date(2026, 3, 1))
    lines, adjusted, totals = priced(summary, [BillingFrequency.ONE_TIME] * len(items), [(None, None)] * len(items))
    return Invoice(
        tenant_id="t",
        id="inv_1",
        customer_id="cus_1",
        currency=currency,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        recipient=Recipient(name="Kunde"),
        lines=lines,
        totals=totals,
        adjustments=adjusted,
        number="INV-000001",
        sequence=1,
        issued_on=date(2026, 3, 1),
    )


def line(price: str, tax: LineTax | None, quantity: str = "1") -> LineItem:
    return LineItem(name="Item", quantity=D(quantity), unit_price=D(price), tax=tax)


TEN_PERCENT_OFF = Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, D(10), "Rabatt")


def issue(inv: Invoice, credit, reason=CreditReason.ORDER_CHANGE, **terms):
    return credit_note(
        inv,
        credit,
        CreditTerms(reason, **terms),
        number="CN-000001",
        sequence=1,
        now=NOW,
        actor="user_1",
        seller=SELLER,
    )


def paid(inv: Invoice, amount: int | None = None, payment_id: str = "pay_1") -> Invoice:
    payment = InvoicePayment(
        "ipay_1",
        inv.total if amount is None else amount,
        date(2026, 3, 2),
        PaymentSource.ONLINE,
        NOW,
        "billow",
        method="card",
        payment_id=payment_id,
    )
    payments = (payment,)
    status = InvoiceStatus.PAID if payment.amount >= inv.total else InvoiceStatus.PARTIALLY_PAID
    return replace(inv, payments=payments, status=status, online_payment_made=True)


def test_the_whole_invoice_taken_back_is_its_lines_with_the_discount_on_each_rate_155_25():
    inv = invoice(line("100", VAT_19), line("50", VAT_7), adjustments=[TEN_PERCENT_OFF])
    assert inv.total == 15525
    credit = credit_of_rest(inv, "Gutschrift")
    assert [(x.net, x.tax) for x in credit.lines] == [(10000, 1900), (5000, 350)]
    assert [(a.kind, a.net, a.tax) for a in credit.adjustments] == [("discount", 1000, 190), ("discount", 500, 35)]
    assert [(r.net, r.tax) for r in credit.rates] == [(9000, 1710), (4500, 315)]
    assert credit.total == 15525
    note, after = issue(inv, credit)
    assert note.full and note.total == 15525 and (note.net, note.tax) == (13500, 2025)
    assert after.status is InvoiceStatus.CREDITED and after.amount_due == 0
    assert [(t.net, t.tax) for t in note.tax_amounts] == [(9000, 1710), (4500, 315)]


def test_one_line_taken_back_takes_its_rates_share_of_the_discount():
    inv = invoice(line("100", VAT_19), line("50", VAT_7), adjustments=[TEN_PERCENT_OFF])
    credit = credit_of_lines(inv, [LineCredit(0)])
    assert credit.total == 9000 + 1710  # 100.00 less its 10.00 off, with 19 % on the 90.00 paid
    note, after = issue(inv, credit)
    assert not note.full
    assert after.status is InvoiceStatus.OPEN and after.amount_due == 15525 - 10710
    rest = credit_of_rest(after, "Gutschrift")
    assert rest.total == 4500 + 315


def test_a_line_taken_back_in_thirds_adds_up_to_the_line_exactly():
    inv = invoice(line("10.00", VAT_19, quantity="3"), line("0.01", VAT_7))
    totals = []
    for _ in range(3):
        credit = credit_of_lines(inv, [LineCredit(0, D(1))])
        _, inv = issue(inv, credit)
        totals.append((credit.lines[0].net, credit.lines[0].tax))
    assert sum(n for n, _ in totals) == 3000 and sum(t for _, t in totals) == 570
    with pytest.raises(ValidationFailed) as refused:
        credit_of_lines(inv, [LineCredit(0, D(1))])
    assert refused.value.errors[0].field == "lines.0.line"


def test_more_than_is_left_of_a_line_is_refused_naming_the_quantity():
    inv = invoice(line("10", VAT_19, quantity="2"))
    with pytest.raises(ValidationFailed) as refused:
        credit_of_lines(inv, [LineCredit(0, D(3))])
    assert refused.value.errors[0].field == "lines.0.quantity"
    assert "at most 2" in refused.value.errors[0].message
    with pytest.raises(ValidationFailed) as refused:
        credit_of_lines(inv, [LineCredit(5)])
    assert refused.value.errors[0].field == "lines.0.line"


def test_an_amount_is_split_across_the_rates_by_what_is_left_of_each():
    inv = invoice(line("100", VAT_19), line("50", VAT_7), adjustments=[TEN_PERCENT_OFF])
    credit = credit_of_amount(inv, 5000, "Kulanz")
    # 107.10 and 48.15 are left: 50.00 splits 34.49 / 15.51, each part with its rate's VAT inside
    assert [x.total for x in credit.lines] == [3449, 1551]
    assert [(x.net, x.tax) for x in credit.lines] == [(2898, 551), (1450, 101)]
    assert credit.total == 5000
    with pytest.raises(ValidationFailed) as refused:
        credit_of_amount(inv, 15526, "Kulanz")
    assert refused.value.errors[0].field == "amount"


def test_amounts_in_yen_and_kuwaiti_dinar_keep_their_minor_units():
    yen = invoice(line("1000", VAT_19), line("500", VAT_7), currency="jpy")
    credit = credit_of_amount(yen, 1000, "Kulanz")
    assert credit.total == 1000 and credit.lines[0].unit_price == D(int(credit.lines[0].net))
    dinar = invoice(line("1.005", VAT_19), line("2.5", VAT_7), adjustments=[TEN_PERCENT_OFF], currency="kwd")
    whole = credit_of_rest(dinar, "Gutschrift")
    assert whole.total == dinar.total


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=6),
    prices=st.tuples(st.integers(1, 100000), st.integers(1, 100000)),
)
def test_credit_notes_never_take_more_than_the_invoice_and_the_last_takes_exactly_the_rest(amounts, prices):
    inv = invoice(
        line(str(D(prices[0]) / 100), VAT_19), line(str(D(prices[1]) / 100), VAT_7), adjustments=[TEN_PERCENT_OFF]
    )
    for amount in amounts:
        if amount >= inv.creditable:
            break
        _, inv = issue(inv, credit_of_amount(inv, amount, "Teil"))
    last = credit_of_rest(inv, "Rest")
    _, inv = issue(inv, last)
    assert inv.amount_credited == inv.total and inv.status is InvoiceStatus.CREDITED
    credited = {}
    for credit in inv.credits:
        for rate in credit.rates:
            net, tax = credited.get(rate.index, (0, 0))
            credited[rate.index] = (net + rate.net, tax + rate.tax)
    assert [credited[i] for i in range(len(inv.tax_amounts))] == [(t.net, t.tax) for t in inv.tax_amounts]


def test_of_an_open_invoice_the_credit_reduces_what_is_due_and_needs_no_settlement():
    inv = invoice(line("100", VAT_19))
    note, after = issue(inv, credit_of_amount(inv, 5000, "Kulanz"))
    assert (note.due_reduced, note.settled, note.settlement) == (5000, 0, None)
    assert after.amount_due == 11900 - 5000


def test_of_a_paid_invoice_the_money_goes_back_as_chosen_else_the_settlement_is_asked_for():
    inv = paid(invoice(line("100", VAT_19)))
    with pytest.raises(ValidationFailed) as refused:
        issue(inv, credit_of_amount(inv, 5000, "Kulanz"))
    assert refused.value.errors[0].field == "settlement"
    note, after = issue(inv, credit_of_amount(inv, 5000, "Kulanz"), settlement=Settlement.CREDIT_BALANCE)
    assert (note.settled, note.credited_to_balance) == (5000, 5000)
    assert after.status is InvoiceStatus.PAID and after.amount_due == 0


def test_a_stripe_refund_goes_to_the_invoices_payment_and_the_invoice_counts_it_as_given_back():
    inv = paid(invoice(line("100", VAT_19)))
    note, after = issue(inv, credit_of_rest(inv, "Storno"), settlement=Settlement.REFUND)
    assert note.refund is not None and (note.refund.payment_id, note.refund.amount) == ("pay_1", 11900)
    assert note.refund.status is RefundStatus.PENDING
    assert after.status is InvoiceStatus.CREDITED and after.amount_paid == 0 and after.amount_due == 0


def test_a_refund_larger_than_any_stripe_payment_of_the_invoice_is_refused():
    inv = paid(invoice(line("100", VAT_19)), amount=5000)
    manual = InvoicePayment("ipay_2", 6900, date(2026, 3, 3), PaymentSource.MANUAL, NOW, "u", method="bank_transfer")
    inv = replace(inv, payments=(*inv.payments, manual), status=InvoiceStatus.PAID)
    with pytest.raises(Conflict, match="refund it by hand"):
        issue(inv, credit_of_rest(inv, "Storno"), settlement=Settlement.REFUND)
    note, _ = issue(inv, credit_of_rest(inv, "Storno"), settlement=Settlement.MANUAL_REFUND, manual_reference="TX-1")
    assert (note.settled, note.manual_reference) == (11900, "TX-1")


def test_a_partly_paid_invoice_stops_asking_for_the_rest_first_and_gives_back_only_the_excess():
    inv = paid(invoice(line("100", VAT_19)), amount=10000)  # 19.00 still due
    note, after = issue(inv, credit_of_amount(inv, 5000, "Kulanz"), settlement=Settlement.CREDIT_BALANCE)
    assert (note.due_reduced, note.settled) == (1900, 3100)
    assert after.amount_due == 0 and after.status is InvoiceStatus.PAID


def test_drafts_void_and_fully_credited_invoices_take_no_credit_note():
    draft = invoice(line("100", VAT_19), status=InvoiceStatus.DRAFT)
    with pytest.raises(Conflict, match="draft"):
        issue(draft, credit_of_amount(draft, 100, "x"))
    whole = invoice(line("100", VAT_19))
    _, credited = issue(whole, credit_of_rest(whole, "Storno"))
    with pytest.raises(ValidationFailed):
        credit_of_amount(credited, 1, "x")
    with pytest.raises(Conflict, match="nothing is left"):
        issue(credited, credit_of_amount(whole, 1, "x"))


def test_a_credit_note_reads_as_an_invoice_document_net_of_tax_with_inclusive_prices():
    inv = invoice(LineItem("Buch", D(2), D("59.50"), tax=LineTax("USt", D(19), inclusive=True)))
    assert inv.total == 11900
    note, _ = issue(inv, credit_of_lines(inv, [LineCredit(0, D(1))]))
    document = note.as_document()
    assert (document.lines[0].net, document.lines[0].tax, document.lines[0].tax_inclusive) == (5000, 950, False)
    assert document.total == note.total == 5950 and document.number == "CN-000001"
    assert [(t.net, t.tax, t.inclusive) for t in document.tax_amounts] == [(5000, 950, False)]
