"""The invoice's own rules: numbers, due dates, statuses from payments, and who may edit, delete or
void what."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import Conflict, NotFound, ValidationFailed
from billing.domain.invoices import (
    EXPORT_COLUMNS,
    AdjustmentShare,
    EInvoiceFormat,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    PaymentSource,
    PaymentTerms,
    Recipient,
    Totals,
    cloned,
    deletion_refusal,
    document_fingerprint,
    document_key,
    edit_refusal,
    einvoice_refusal,
    finalized,
    format_number,
    new_invoice,
    new_invoice_payment,
    priced,
    recipient_of,
    service_period,
    terms_for_days,
    void_refusal,
    voided,
    with_payment,
    with_refund_followed,
    without_payment,
)
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import Adjustment, AdjustmentKind, AmountType, LineItem, LineTax, UnitDiscount, summarize
from billing.domain.settings import Seller
from billing.domain.vat import VatCategory

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
BASE = "https://api.billow.test"
SELLER = Seller(business_name="Billow Demo GmbH", business_vat_id="DE999999995")
FULL_SELLER = Seller(
    business_name="Billow Demo GmbH",
    business_country="DE",
    business_city="Berlin",
    business_postal_code="10119",
    business_vat_id="DE999999995",
    business_contact_name="Erika",
    business_phone="+49 30 1",
    business_email="r@billow.de",
    bank_iban="DE89370400440532013000",
)
TODAY = NOW.date()


def line(net: int, tax: int = 0, percentage: str | None = None, inclusive: bool = False, name: str = "USt"):
    return InvoiceLine(
        name="x",
        quantity=Decimal(1),
        unit_price=Decimal(net) / 100,
        amount=net,
        discount=0,
        net=net,
        tax=tax,
        tax_name=name if percentage else None,
        tax_percentage=Decimal(percentage) if percentage else None,
        tax_inclusive=inclusive,
    )


def draft(total: int = 11900, **details):
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    details = {
        "currency": "eur",
        "lines": (line(10000, 1900, "19"),),
        "totals": Totals(lines_amount=10000, subtotal=10000, taxes=1900, total=total),
    } | details
    return new_invoice("t", customer, NOW, **details)


def opened(**details):
    return finalized(draft(**details), "INV-000007", 7, NOW, TODAY, SELLER)


def paid_by_hand(amount: int, source=PaymentSource.MANUAL):
    return new_invoice_payment(amount, TODAY, source, NOW, "user_1", method="cash")


def test_numbers_carry_the_prefix_and_the_padded_sequence():
    assert format_number("RE-2026-", 6, 123) == "RE-2026-000123"
    assert format_number("", 1, 1234567) == "1234567"  # digits pad, never cut


@pytest.mark.parametrize(
    ("terms", "days", "due"),
    [
        (PaymentTerms.DUE_ON_RECEIPT, 0, date(2026, 3, 10)),
        (PaymentTerms.NET_14, 14, date(2026, 3, 24)),
        (PaymentTerms.NET_DAYS, 45, date(2026, 4, 24)),
    ],
)
def test_finalizing_sets_the_date_the_number_and_the_due_date_from_the_terms(terms, days, due):
    invoice = finalized(draft(payment_terms=terms, days_until_due=days), "INV-000007", 7, NOW, TODAY, SELLER)
    assert (invoice.status, invoice.number, invoice.sequence) == (InvoiceStatus.OPEN, "INV-000007", 7)
    assert (invoice.issued_on, invoice.due_date) == (TODAY, due)
    assert len(invoice.hosted_token) >= 32 and invoice.finalized_at == NOW
    assert invoice.seller == SELLER  # the seller as issued, whatever the settings say later


def test_a_fixed_due_date_is_kept_and_a_zero_invoice_is_paid_when_finalized():
    fixed = finalized(
        draft(payment_terms=PaymentTerms.DUE_DATE, days_until_due=None, due_date=date(2026, 5, 1)),
        "N",
        1,
        NOW,
        TODAY,
        SELLER,
    )
    assert fixed.due_date == date(2026, 5, 1)
    free = finalized(draft(total=0), "N", 1, NOW, TODAY, SELLER)
    assert free.status is InvoiceStatus.PAID and free.paid_at == NOW


def test_only_a_draft_is_finalized():
    with pytest.raises(Conflict):
        finalized(opened(), "INV-000008", 8, NOW, TODAY, SELLER)


def test_named_terms_are_found_by_their_days():
    assert terms_for_days(0) is PaymentTerms.DUE_ON_RECEIPT
    assert terms_for_days(30) is PaymentTerms.NET_30
    assert terms_for_days(21) is PaymentTerms.NET_DAYS


def test_payments_move_the_status_and_never_exceed_the_amount_due():
    invoice = opened()
    with pytest.raises(ValidationFailed) as too_much:
        with_payment(invoice, paid_by_hand(11901), NOW)
    assert too_much.value.errors[0].field == "amount"
    part = with_payment(invoice, paid_by_hand(1900), NOW)
    assert (part.status, part.amount_paid, part.amount_due, part.paid_at) == (
        InvoiceStatus.PARTIALLY_PAID,
        1900,
        10000,
        None,
    )
    whole = with_payment(part, paid_by_hand(10000), NOW)
    assert (whole.status, whole.amount_due, whole.paid_at) == (InvoiceStatus.PAID, 0, NOW)
    with pytest.raises(Conflict):
        with_payment(whole, paid_by_hand(1), NOW)
    back, removed = without_payment(whole, whole.payments[0].id, NOW)
    assert removed.amount == 1900 and back.status is InvoiceStatus.PARTIALLY_PAID and back.paid_at is None
    with pytest.raises(NotFound):
        without_payment(whole, "ipay_missing", NOW)


def test_a_payment_must_be_above_zero_and_given():
    for amount in (0, -5, None):
        with pytest.raises(ValidationFailed):
            paid_by_hand(amount)


def test_an_online_payment_marks_the_invoice_for_good_and_cannot_be_removed():
    online = with_payment(replace(opened(), checkout_session_id="cs_1"), paid_by_hand(11900, PaymentSource.ONLINE), NOW)
    assert online.online_payment_made and online.checkout_session_id is None
    with pytest.raises(Conflict):
        without_payment(online, online.payments[0].id, NOW)


def test_edits_of_a_finalized_invoice_need_the_setting_an_admin_no_payment_and_no_subscription():
    assert not edit_refusal(draft(), editing_allowed=False, may_edit_finalized=False)
    invoice = opened()
    assert not edit_refusal(invoice, editing_allowed=True, may_edit_finalized=True)
    refusal = edit_refusal(
        replace(with_payment(invoice, paid_by_hand(100), NOW), subscription_id="sub_1"),
        editing_allowed=False,
        may_edit_finalized=False,
    )
    assert len(refusal.reasons) == 4
    refunded_online = replace(invoice, online_payment_made=True)
    assert edit_refusal(refunded_online, editing_allowed=True, may_edit_finalized=True).reasons == [
        "a payment was made on the invoice"
    ]


def test_deletion_needs_the_setting_for_a_finalized_invoice_and_never_a_paid_one():
    assert not deletion_refusal(draft(), deleting_allowed=False)
    assert deletion_refusal(opened(), deleting_allowed=False)
    assert not deletion_refusal(opened(), deleting_allowed=True)
    paid = with_payment(opened(), paid_by_hand(11900), NOW)
    assert deletion_refusal(paid, deleting_allowed=True).reasons == ["a paid invoice can never be deleted"]


def test_void_revokes_the_link_and_is_refused_after_any_online_payment_or_with_payments_recorded():
    void = voided(opened(), NOW)
    assert (void.status, void.hosted_token, void.amount_due) == (InvoiceStatus.VOID, None, 0)
    with pytest.raises(Conflict):
        voided(void, NOW)
    with pytest.raises(Conflict):
        voided(draft(), NOW)
    assert void_refusal(replace(opened(), online_payment_made=True))
    assert "remove the recorded payments first" in void_refusal(with_payment(opened(), paid_by_hand(1), NOW)).reasons


def test_tax_amounts_group_the_lines_by_rate_and_split_inclusive_tax_out_of_the_net():
    invoice = draft(
        lines=(
            line(10000, 1900, "19"),
            line(5000, 950, "19"),
            line(1070, 70, "7", inclusive=True, name="USt ermäßigt"),
            line(300),
        ),
    )
    assert [(t.name, t.percentage, t.net, t.tax) for t in invoice.tax_amounts] == [
        ("USt", Decimal(19), 15000, 2850),
        ("USt ermäßigt", Decimal(7), 1000, 70),
        ("", Decimal(0), 300, 0),
    ]


def test_a_recurring_line_covers_one_period_from_the_day_it_is_billed():
    assert service_period(BillingFrequency.MONTHLY, date(2026, 1, 31), None, None, "lines.0") == (
        date(2026, 1, 31),
        date(2026, 2, 27),
    )
    assert service_period(BillingFrequency.ONE_TIME, TODAY, None, None, "lines.0") == (None, None)
    given = (date(2026, 1, 1), date(2026, 12, 31))
    assert service_period(BillingFrequency.ONE_TIME, TODAY, *given, "lines.0") == given
    with pytest.raises(ValidationFailed) as half:
        service_period(BillingFrequency.MONTHLY, TODAY, date(2026, 1, 1), None, "lines.2")
    assert half.value.errors[0].field == "lines.2.period_end"
    with pytest.raises(ValidationFailed) as backwards:
        service_period(BillingFrequency.MONTHLY, TODAY, date(2026, 2, 1), date(2026, 1, 1), "lines.0")
    assert backwards.value.errors[0].field == "lines.0.period_end"


# ---------------------------------------------------------------- what an invoice copies and shows


def test_the_recipient_is_the_customers_billing_side_as_it_was():
    customer = new_customer(
        "t",
        NOW,
        CustomerType.COMPANY,
        company_name="Muster GmbH",
        email="info@muster.de",
        billing_email="ap@muster.de",
        vat_id="DE123456788",
        debtor_number=10001,
        address={"line1": "Lieferweg 2", "city": "Potsdam", "country": "DE"},
        billing_address={
            "line1": "Hauptstr. 1",
            "line2": "Hof",
            "postal_code": "10115",
            "city": "Berlin",
            "state": "BE",
            "country": "DE",
        },
    )
    assert recipient_of(customer) == Recipient(
        name="Muster GmbH",
        company_name="Muster GmbH",
        email="ap@muster.de",
        line1="Hauptstr. 1",
        line2="Hof",
        postal_code="10115",
        city="Berlin",
        state="BE",
        country="DE",
        vat_id="DE123456788",
        debtor_number=10001,
    )


def test_priced_copies_every_figure_of_the_engine_onto_the_lines_and_totals():
    items = [
        LineItem(
            "Hosting",
            Decimal(3),
            Decimal("11.90"),
            discount=UnitDiscount(AmountType.PERCENT, Decimal(15)),
            tax=LineTax("USt", Decimal(19), tax_rate_id="txr_1"),
            product_id="prod_1",
            unit_cost=Decimal("2.5"),
            description="Monatlich",
        ),
        LineItem("Buch", Decimal(1), Decimal("21.40"), tax=LineTax("USt", Decimal(7), inclusive=True)),
    ]
    adjustments = [Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, Decimal("5"), "Versand")]
    summary = summarize(items, adjustments, "eur", TODAY)
    period = (date(2026, 3, 10), date(2026, 4, 9))
    lines, applied, totals = priced(
        summary, [BillingFrequency.MONTHLY, BillingFrequency.ONE_TIME], [period, (None, None)]
    )
    hosting, book = lines
    # 3 x 11.90 at 15 % off is 30.345 exactly: 30.35 (half-up), so the discount shown is 5.35
    assert (hosting.amount, hosting.discount, hosting.net, hosting.tax) == (3570, 535, 3035, 577)
    assert (hosting.discount_type, hosting.discount_value, hosting.tax_name, hosting.tax_percentage) == (
        "percent",
        Decimal(15),
        "USt",
        Decimal(19),
    )
    assert (hosting.tax_rate_id, hosting.product_id, hosting.unit_cost, hosting.description) == (
        "txr_1",
        "prod_1",
        Decimal("2.5"),
        "Monatlich",
    )
    assert (hosting.billing_frequency, hosting.period_start, hosting.period_end) == (BillingFrequency.MONTHLY, *period)
    assert (book.tax_inclusive, book.tax, book.total, book.discount_type) == (True, 140, 2140, None)
    assert hosting.total == 3035 + 577
    # The 5.00 fee goes with the lines in the ratio 30.35 : 21.40 and carries their VAT: 19 % of
    # 33.28 is 6.32 (0.55 more); 23.47 gross at 7 % contains 1.54 (0.14 more).
    shares = (
        AdjustmentShare(293, 55, tax_name="USt", tax_percentage=Decimal(19), tax_category=VatCategory.STANDARD),
        AdjustmentShare(
            207, 14, tax_name="USt", tax_percentage=Decimal(7), tax_inclusive=True, tax_category=VatCategory.STANDARD
        ),
    )
    assert applied == (InvoiceAdjustment("fee", "amount", Decimal("5"), 500, "Versand", shares),)
    assert totals == Totals(
        lines_amount=5710,
        line_discounts=535,
        subtotal=5175,
        one_time_discounts=0,
        fees=500,
        taxes=632,
        taxes_included=154,
        total=5175 + 500 + 632,
    )


def test_tax_amounts_are_the_net_and_vat_per_rate_after_the_one_time_discount():
    items = [
        LineItem("Beratung", Decimal(1), Decimal(100), tax=LineTax("USt", Decimal(19))),
        LineItem("Buch", Decimal(1), Decimal(50), tax=LineTax("USt", Decimal(7))),
    ]
    summary = summarize(items, [Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, Decimal(10))], "eur", TODAY)
    lines, adjustments, totals = priced(summary, [BillingFrequency.ONE_TIME] * 2, [(None, None)] * 2)
    invoice = replace(draft(), lines=lines, adjustments=adjustments, totals=totals)
    assert [(t.percentage, t.net, t.tax) for t in invoice.tax_amounts] == [
        (Decimal(19), 9000, 1710),
        (Decimal(7), 4500, 315),
    ]
    assert (totals.subtotal, totals.one_time_discounts, totals.taxes, totals.total) == (15000, 1500, 2025, 15525)


def test_a_clone_keeps_the_document_and_none_of_its_life():
    original = with_payment(
        replace(opened(), memo="m", footer="f", associated_customer_ids=("cus_2",)), paid_by_hand(1), NOW
    )
    copy = cloned(original, NOW, "user_2")
    assert (copy.status, copy.number, copy.sequence, copy.payments, copy.hosted_token) == (
        InvoiceStatus.DRAFT,
        None,
        None,
        (),
        None,
    )
    assert (copy.lines, copy.totals, copy.memo, copy.footer, copy.associated_customer_ids) == (
        original.lines,
        original.totals,
        "m",
        "f",
        ("cus_2",),
    )
    assert (copy.owner, copy.cloned_from, copy.customer_id) == ("user_2", original.id, original.customer_id)
    assert copy.id != original.id and copy.due_date is None and copy.issued_on is None


def test_the_document_fingerprint_follows_what_the_pdf_shows_and_nothing_else():
    invoice = opened()
    same = document_fingerprint(invoice, BASE)
    assert document_fingerprint(with_payment(invoice, paid_by_hand(100), NOW), BASE) == same  # payments are not printed
    assert document_fingerprint(replace(invoice, last_sent_at=NOW), BASE) == same
    for changed in (
        replace(invoice, memo="new"),
        replace(invoice, due_date=date(2026, 12, 1)),
        replace(invoice, recipient=replace(invoice.recipient, name="Other")),
        voided(invoice, NOW),
        draft(),
    ):
        assert document_fingerprint(changed, BASE) != same


def test_overdue_and_amount_due_follow_the_status_and_the_date():
    invoice = opened()  # due 2026-03-24
    assert not invoice.overdue(date(2026, 3, 24)) and invoice.overdue(date(2026, 3, 25))
    assert not with_payment(invoice, paid_by_hand(11900), NOW).overdue(date(2027, 1, 1))
    assert not draft().overdue(date(2027, 1, 1))
    assert voided(invoice, NOW).amount_due == 0 and invoice.amount_due == 11900
    assert [s for s in InvoiceStatus if s.collectable] == [InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID]
    assert [t.days for t in PaymentTerms] == [0, 7, 14, 30, 60, None, None]


def test_a_one_time_tax_is_its_own_tax_amount():
    invoice = draft(
        adjustments=(
            InvoiceAdjustment("tax", "percent", Decimal("1.5"), 150, "Kurtaxe"),
            InvoiceAdjustment("tax", "amount", Decimal("2"), 200, ""),
            InvoiceAdjustment("fee", "amount", Decimal("3"), 300, "Versand"),
        )
    )
    assert [(t.name, t.percentage, t.net, t.tax) for t in invoice.tax_amounts][1:] == [
        ("Kurtaxe", Decimal("1.5"), 0, 150),
        ("Tax", Decimal(0), 0, 200),
    ]


def test_an_e_invoice_needs_the_seller_and_buyer_data_its_format_requires():
    seller = FULL_SELLER
    buyer = Recipient(name="Muster GmbH", email="ap@m.de", postal_code="10115", city="Berlin", country="DE")
    invoice = replace(opened(), recipient=buyer)
    assert not einvoice_refusal(invoice, seller, EInvoiceFormat.XRECHNUNG)
    assert not einvoice_refusal(
        invoice, Seller(business_name="B", business_country="DE", business_tax_number="1"), EInvoiceFormat.ZUGFERD
    )
    bare = einvoice_refusal(replace(invoice, recipient=Recipient(name="X")), Seller(), EInvoiceFormat.XRECHNUNG).reasons
    for needed in (
        "settings.business_name",
        "settings.business_country",
        "settings.business_city",
        "settings.business_postal_code",
        "settings.business_contact_name",
        "settings.business_phone",
        "settings.business_email",
        "settings.bank_iban",
        "settings.business_vat_id",
        "country (BT-55)",
        "city and post code",
        "billing email",
    ):
        assert any(needed in reason for reason in bare), needed
    assert (
        len(einvoice_refusal(replace(invoice, recipient=Recipient(name="X")), Seller(), EInvoiceFormat.ZUGFERD).reasons)
        == 4
    )
    with_fee = replace(invoice, adjustments=(InvoiceAdjustment("fee", "amount", Decimal(1), 100),))
    assert "one-time" in einvoice_refusal(with_fee, seller, EInvoiceFormat.ZUGFERD).reasons[0]
    assert einvoice_refusal(draft(), seller, EInvoiceFormat.ZUGFERD).reasons == [
        "a draft invoice has no e-invoice; finalize it first"
    ]


def test_every_export_column_reads_its_field():
    invoice = replace(
        with_payment(opened(), paid_by_hand(1900), NOW),
        owner="user_1",
        associated_customer_ids=("cus_2", "cus_3"),
        subscription_id="sub_1",
        last_sent_at=NOW,
        memo="m",
        recipient=Recipient(name="Muster GmbH", email="ap@m.de", vat_id="DE1", debtor_number=10001),
    )
    row = {name: read(invoice, date(2026, 3, 30)) for name, read in EXPORT_COLUMNS.items()}
    assert row == {
        "id": invoice.id,
        "number": "INV-000007",
        "status": "partially_paid",
        "overdue": True,
        "customer_id": invoice.customer_id,
        "customer_name": "Muster GmbH",
        "customer_email": "ap@m.de",
        "debtor_number": 10001,
        "customer_vat_id": "DE1",
        "currency": "EUR",
        "issued_on": "2026-03-10",
        "due_date": "2026-03-24",
        "subtotal": Decimal("100.00"),
        "discounts": Decimal("0.00"),
        "taxes": Decimal("19.00"),
        "total": Decimal("119.00"),
        "amount_paid": Decimal("19.00"),
        "amount_due": Decimal("100.00"),
        "payment_terms": "net_14",
        "owner": "user_1",
        "associated_customer_ids": "cus_2;cus_3",
        "subscription_id": "sub_1",
        "last_sent_at": NOW.isoformat(),
        "created_at": NOW.isoformat(),
        "memo": "m",
    }
    blank = {name: read(draft(), TODAY) for name, read in EXPORT_COLUMNS.items()}
    assert (
        blank["number"],
        blank["issued_on"],
        blank["due_date"],
        blank["last_sent_at"],
        blank["subscription_id"],
    ) == (
        "",
        "",
        "",
        "",
        "",
    )


# ---------------------------------------------------------------- the words a refusal says (each reason as sent)


def test_an_e_invoice_refusal_names_each_missing_setting_in_words():
    invoice = replace(opened(), recipient=Recipient(name="X"))
    assert einvoice_refusal(invoice, Seller(), EInvoiceFormat.XRECHNUNG).reasons == [
        "settings.business_name: the seller's name (BT-27) is missing",
        "settings.business_country: the seller's country (BT-40) is missing",
        "settings.business_city: the seller's city (BR-DE-3) is missing",
        "settings.business_postal_code: the seller's post code (BR-DE-4) is missing",
        "settings.business_contact_name: the seller's contact (BR-DE-5) is missing",
        "settings.business_phone: the seller's phone (BR-DE-6) is missing",
        "settings.business_email: the seller's email, also its electronic address (BR-DE-7, BT-34) is missing",
        "settings.bank_iban: the IBAN the buyer pays to (BR-DE-1, BR-DE-23) is missing",
        "settings.business_vat_id: the seller's VAT id or tax number (BR-CO-26) is missing",
        "the customer's billing address has no country (BT-55)",
        "the customer's billing address needs a city and post code (BR-DE-8, BR-DE-9)",
        "the customer needs a billing email, its electronic address (BT-49)",
    ]
    fee_of_old = InvoiceAdjustment("fee", "amount", Decimal(1), 100)  # billed before fees carried VAT
    one_time_tax = InvoiceAdjustment("tax", "amount", Decimal(1), 100, "Kurtaxe")
    with_both = replace(opened(), adjustments=(fee_of_old, one_time_tax))
    assert einvoice_refusal(with_both, FULL_SELLER, EInvoiceFormat.ZUGFERD).reasons == [
        "a one-time tax is not VAT, the only tax EN 16931 knows; put it on a line instead",
        "its one-time discounts or fees were issued before they were assigned to VAT rates, which EN 16931 "
        "requires; issue a corrected invoice",
        "the customer's billing address has no country (BT-55)",
    ]
    fee_by_rate = replace(fee_of_old, shares=(AdjustmentShare(100, 19, tax_name="USt", tax_percentage=Decimal(19)),))
    assert einvoice_refusal(
        replace(opened(), adjustments=(fee_by_rate,)), FULL_SELLER, EInvoiceFormat.ZUGFERD
    ).reasons == ["the customer's billing address has no country (BT-55)"]
    half_address = Recipient(name="X", email="x@y.de", city="Berlin", country="DE")
    assert einvoice_refusal(
        replace(opened(), recipient=half_address), FULL_SELLER, EInvoiceFormat.XRECHNUNG
    ).reasons == ["the customer's billing address needs a city and post code (BR-DE-8, BR-DE-9)"]
    assert einvoice_refusal(voided(opened(), NOW), FULL_SELLER, EInvoiceFormat.ZUGFERD).reasons == [
        "a void invoice has no e-invoice; finalize it first"
    ]


def test_void_and_delete_refusals_say_why_in_words():
    assert void_refusal(draft()).reasons == ["a draft has nothing to void; delete it instead"]
    assert void_refusal(voided(opened(), NOW)).reasons == ["the invoice is already void"]
    paid = with_payment(opened(), paid_by_hand(11900, PaymentSource.ONLINE), NOW)
    assert void_refusal(paid).reasons == [
        "a paid invoice cannot be voided",
        "an online payment was made on the invoice (even if refunded)",
    ]
    with pytest.raises(Conflict) as refused:
        voided(with_payment(opened(), paid_by_hand(5), NOW), NOW)
    assert refused.value.message == "remove the recorded payments first"
    with pytest.raises(Conflict) as twice:
        voided(paid, NOW)
    assert (
        twice.value.message
        == "a paid invoice cannot be voided; an online payment was made on the invoice (even if refunded)"
    )
    assert deletion_refusal(paid, deleting_allowed=False).reasons == [
        "the tenant's settings do not allow deleting finalized invoices",
        "a paid invoice can never be deleted",
        "an online payment was made on the invoice",
    ]
    refunded = replace(opened(), online_payment_made=True)
    assert deletion_refusal(refunded, deleting_allowed=True).reasons == ["an online payment was made on the invoice"]
    partly = with_payment(opened(), paid_by_hand(5), NOW)
    assert deletion_refusal(partly, deleting_allowed=True).reasons == ["a paid invoice can never be deleted"]


def test_edit_refusals_say_why_in_words():
    assert edit_refusal(voided(opened(), NOW), editing_allowed=True, may_edit_finalized=True).reasons == [
        "the invoice is void"
    ]
    refusal = edit_refusal(
        replace(with_payment(opened(), paid_by_hand(100), NOW), subscription_id="sub_1"),
        editing_allowed=False,
        may_edit_finalized=False,
    )
    assert refusal.reasons == [
        "the tenant's settings do not allow editing finalized invoices",
        "only an admin may edit a finalized invoice",
        "a payment was made on the invoice",
        "the invoice was created by a subscription",
    ]
    assert edit_refusal(opened(), editing_allowed=True, may_edit_finalized=False).reasons == [
        "only an admin may edit a finalized invoice"
    ]


def test_a_void_records_when_and_clears_the_link_and_the_checkout():
    later = datetime(2026, 3, 11, tzinfo=UTC)
    void = voided(replace(opened(), checkout_session_id="cs_1"), later)
    assert (void.voided_at, void.updated_at, void.hosted_token, void.checkout_session_id) == (later, later, None, None)


def test_payment_errors_name_the_field_and_say_why():
    for amount, message in ((None, "required for a payment recorded by hand"), (0, "must be above 0")):
        with pytest.raises(ValidationFailed) as bad:
            paid_by_hand(amount)
        assert [(e.field, e.message) for e in bad.value.errors] == [("amount", message)]
    with pytest.raises(ValidationFailed) as too_much:
        with_payment(opened(), paid_by_hand(11901), NOW)
    assert [(e.field, e.message) for e in too_much.value.errors] == [("amount", "exceeds the amount due (11900)")]
    invoice = opened()
    with pytest.raises(Conflict) as closed:
        with_payment(draft(), paid_by_hand(1), NOW)
    assert closed.value.message.endswith("is draft; only an open invoice takes payments")
    with pytest.raises(NotFound) as missing:
        without_payment(invoice, "ipay_x", NOW)
    assert missing.value.message == f"payment ipay_x not found on invoice {invoice.id}"
    online = with_payment(invoice, paid_by_hand(100, PaymentSource.ONLINE), NOW)
    with pytest.raises(Conflict) as kept:
        without_payment(online, online.payments[0].id, NOW)
    assert kept.value.message == "an online payment cannot be removed from the invoice; refund it instead"
    with pytest.raises(Conflict) as not_draft:
        finalized(invoice, "N", 1, NOW, TODAY, SELLER)
    assert not_draft.value.message == f"invoice {invoice.id} is open, not a draft"


def test_a_payment_records_what_was_paid_when_how_and_by_whom():
    payment = new_invoice_payment(
        700, date(2026, 3, 9), PaymentSource.LEDGER, NOW, "user_7", method="card", reference="pi_1", payment_id="pay_1"
    )
    assert (payment.amount, payment.paid_on, payment.source, payment.recorded_at, payment.recorded_by) == (
        700,
        date(2026, 3, 9),
        PaymentSource.LEDGER,
        NOW,
        "user_7",
    )
    assert (payment.method, payment.reference, payment.payment_id) == ("card", "pi_1", "pay_1")
    assert payment.id.startswith("ipay_")
    part = with_payment(replace(opened(), checkout_session_id="cs_1"), payment, NOW)
    assert part.checkout_session_id == "cs_1" and part.updated_at == NOW  # a part payment keeps the checkout open
    later = datetime(2026, 3, 12, tzinfo=UTC)
    back, _ = without_payment(part, payment.id, later)
    assert (back.status, back.payments, back.updated_at) == (InvoiceStatus.OPEN, (), later)


def test_finalizing_ignores_a_due_date_the_terms_do_not_fix_and_updates_the_time():
    stale = draft(payment_terms=PaymentTerms.NET_7, days_until_due=7, due_date=date(2030, 1, 1))
    invoice = finalized(stale, "N", 1, NOW, TODAY, SELLER)
    assert invoice.due_date == date(2026, 3, 17) and invoice.updated_at == NOW
    assert (
        finalized(draft(payment_terms=PaymentTerms.NET_DAYS, days_until_due=None), "N", 1, NOW, TODAY, SELLER).due_date
        == TODAY
    )


def test_a_new_invoice_and_its_clone_belong_to_the_tenant_and_customer():
    invoice = draft()
    assert (invoice.tenant_id, invoice.status, invoice.created_at, invoice.updated_at) == (
        "t",
        InvoiceStatus.DRAFT,
        NOW,
        NOW,
    )
    assert invoice.id.startswith("inv_") and invoice.customer_id.startswith("cus_")
    copy = cloned(replace(opened(), payment_terms=PaymentTerms.DUE_DATE, due_date=date(2026, 5, 1)), NOW, "u")
    assert (copy.tenant_id, copy.currency, copy.created_at, copy.updated_at) == ("t", "eur", NOW, NOW)
    assert (copy.payment_terms, copy.days_until_due, copy.due_date, copy.adjustments) == (
        PaymentTerms.DUE_DATE,
        14,
        date(2026, 5, 1),
        (),
    )
    assert copy.recipient == opened().recipient


def test_the_pay_link_printed_is_part_of_the_document_so_another_public_address_renders_it_again():
    invoice = opened()
    assert document_fingerprint(invoice, "https://pay.example.com") != document_fingerprint(invoice, BASE)
    assert document_fingerprint(invoice, BASE) == document_fingerprint(invoice, BASE)


def test_a_document_is_stored_under_a_name_that_reveals_neither_tenant_nor_invoice():
    invoice = replace(opened(), tenant_id="tenant_acme", id="invoice_0123456789")
    key = document_key(invoice, BASE, "pdf", "pdf")
    assert re.fullmatch(r"documents/[0-9a-f]{40}\.pdf", key)
    assert "acme" not in key and "0123456789" not in key and invoice.hosted_token not in key
    assert key == document_key(invoice, BASE, "pdf", "pdf")  # the same document, the same name
    assert key != document_key(invoice, BASE, "zugferd", "pdf")
    assert key != document_key(invoice, "https://pay.example.com", "pdf", "pdf")
    assert key != document_key(replace(invoice, id="invoice_other"), BASE, "pdf", "pdf")
    assert document_key(draft(), BASE, "pdf", "pdf").startswith("previews/")  # expired by the bucket


def test_the_stamp_is_part_of_the_document_only_for_drafts_and_voids():
    invoice = opened()
    assert document_fingerprint(replace(invoice, status=InvoiceStatus.VOID), BASE) != document_fingerprint(
        invoice, BASE
    )
    assert document_fingerprint(replace(invoice, status=InvoiceStatus.PAID), BASE) == document_fingerprint(
        invoice, BASE
    )
    assert len(document_fingerprint(invoice, BASE)) == 24


def test_a_half_given_period_names_the_missing_end_and_priced_refuses_a_short_list():
    with pytest.raises(ValidationFailed) as half:
        service_period(BillingFrequency.MONTHLY, TODAY, None, date(2026, 1, 1), "lines.1")
    assert [(e.field, e.message) for e in half.value.errors] == [
        ("lines.1.period_start", "give period_start and period_end together, or neither")
    ]
    with pytest.raises(ValidationFailed) as backwards:
        service_period(BillingFrequency.MONTHLY, TODAY, date(2026, 2, 1), date(2026, 1, 1), "lines.0")
    assert backwards.value.errors[0].message == "must not be before period_start"
    assert service_period(BillingFrequency.MONTHLY, TODAY, TODAY, TODAY, "lines.0") == (TODAY, TODAY)
    summary = summarize([LineItem("a", Decimal(1), Decimal(1))], [], "eur", TODAY)
    with pytest.raises(ValueError):
        priced(summary, [], [])


def test_the_smallest_amounts_and_a_free_invoice():
    cent = finalized(draft(total=1), "N", 1, NOW, TODAY, SELLER)
    assert (cent.status, cent.paid_at) == (InvoiceStatus.OPEN, None)
    free = finalized(draft(total=0), "N", 1, NOW, TODAY, SELLER)
    assert deletion_refusal(free, deleting_allowed=True).reasons == ["a paid invoice can never be deleted"]
    assert cloned(opened(), NOW, "u").id.startswith("inv_")


def test_priced_keeps_what_was_sold_and_leaves_an_untaxed_line_without_tax():
    summary = summarize([LineItem("Porto", Decimal("2.5"), Decimal("4.10"))], [], "eur", TODAY)
    (line,) = priced(summary, [BillingFrequency.ONE_TIME], [(None, None)])[0]
    assert (line.name, line.quantity, line.unit_price, line.net) == ("Porto", Decimal("2.5"), Decimal("4.10"), 1025)
    assert (line.tax_name, line.tax_percentage, line.tax_rate_id, line.tax_inclusive, line.tax) == (
        None,
        None,
        None,
        False,
        0,
    )


def test_a_clone_keeps_adjustments_and_terms_and_each_change_records_its_time():
    fee = InvoiceAdjustment("fee", "amount", Decimal(5), 500, "Versand")
    original = replace(opened(), adjustments=(fee,), payment_terms=PaymentTerms.NET_DAYS, days_until_due=45)
    copy = cloned(original, NOW, "u")
    assert (copy.adjustments, copy.payment_terms, copy.days_until_due) == ((fee,), PaymentTerms.NET_DAYS, 45)
    later = datetime(2026, 3, 12, tzinfo=UTC)
    assert finalized(draft(), "N", 1, later, later.date(), SELLER).updated_at == later
    assert with_payment(opened(), paid_by_hand(5), later).updated_at == later


def test_a_refund_of_the_ledger_payment_that_paid_the_invoice_reopens_it_for_what_it_gave_back():
    online = replace(paid_by_hand(11900, PaymentSource.ONLINE), payment_id="pay_1")
    invoice = with_payment(opened(), online, NOW)
    assert invoice.status is InvoiceStatus.PAID
    part = with_refund_followed(invoice, "pay_1", 3000, NOW)
    assert (part.status, part.amount_paid, part.amount_due, part.paid_at) == (
        InvoiceStatus.PARTIALLY_PAID,
        8900,
        3000,
        None,
    )
    whole = with_refund_followed(part, "pay_1", 11900, NOW)
    assert (whole.status, whole.amount_paid, whole.amount_due) == (InvoiceStatus.OPEN, 0, 11900)
    assert whole.payments[0].amount == 11900 and whole.payments[0].refunded == 11900  # the history stays
    assert with_refund_followed(whole, "pay_1", 11900, NOW) is whole  # told twice, changed once
    assert with_refund_followed(invoice, "pay_other", 100, NOW) is invoice
