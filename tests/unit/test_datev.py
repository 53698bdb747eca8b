"""The DATEV bookings: an invoice per VAT rate on the debtor against its rate's revenue account
(after the one-time discount), a credit note the other way, payments from the money account to
the debtor with the invoice's number, and the EXTF files as DATEV reads them (header, ";", the
decimal comma, Windows-1252)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D

from billing.domain.credit_notes import LineCredit, credit_of_lines
from billing.domain.datev import (
    BOOKING_COLUMNS,
    CHARTS,
    Debtor,
    bookings_file,
    credit_note_bookings,
    datev_setup,
    debtors_file,
    invoice_bookings,
    payment_bookings,
    revenue_key,
)
from billing.domain.invoices import InvoicePayment, PaymentSource, Recipient, TaxAmount
from billing.domain.vat import VatCategory, VatTreatment
from tests.unit.test_credit_notes import TEN_PERCENT_OFF, VAT_7, VAT_19, invoice, issue, line

SETUP, _ = datev_setup(29098, 55003, "SKR03", 1, {})
NOW = datetime(2026, 3, 31, 18, 5, 7, 123000, tzinfo=UTC)


def two_rates():
    billed = invoice(line("100", VAT_19), line("50", VAT_7), adjustments=[TEN_PERCENT_OFF])
    return replace(billed, recipient=Recipient(name="Müller & Söhne GmbH", company_name="Müller & Söhne GmbH"))


def test_an_invoice_is_booked_per_rate_after_its_discount_on_automatic_revenue_accounts():
    bookings = invoice_bookings(two_rates(), 10001, SETUP)
    assert [(b.amount, b.side, b.account, b.contra, b.tax_key) for b in bookings] == [
        (D("107.10"), "S", 10001, 8400, ""),  # 90.00 net + 17.10 VAT
        (D("48.15"), "S", 10001, 8300, ""),  # 45.00 net + 3.15 VAT
    ]
    assert sum(b.amount for b in bookings) == D("155.25")
    assert {b.document for b in bookings} == {"INV-000001"}


def test_a_credit_note_books_the_revenue_back_and_refers_to_the_invoice():
    billed = two_rates()
    note, *_ = issue(billed, credit_of_lines(billed, [LineCredit(1)]))
    (booking,) = credit_note_bookings(note.as_document(), 10001, SETUP, billed.number)
    assert (booking.amount, booking.side, booking.contra, booking.document, booking.reference) == (
        D("48.15"),
        "H",
        8300,
        "CN-000001",
        "INV-000001",
    )


def test_payments_in_the_period_clear_the_invoice_from_their_money_account_and_credit_used_books_nothing():
    paid = replace(
        two_rates(),
        payments=(
            InvoicePayment("p1", 10000, date(2026, 3, 2), PaymentSource.ONLINE, NOW, "billow", method="card"),
            InvoicePayment("p2", 5000, date(2026, 3, 3), PaymentSource.MANUAL, NOW, "u", reference="Überweisung"),
            InvoicePayment("p3", 525, date(2026, 3, 4), PaymentSource.CREDIT_BALANCE, NOW, "billow"),
            InvoicePayment("p4", 1, date(2026, 4, 1), PaymentSource.MANUAL, NOW, "u"),  # after the period
        ),
    )
    bookings = payment_bookings(paid, 10001, SETUP, date(2026, 3, 1), date(2026, 3, 31))
    assert [(b.amount, b.side, b.account, b.contra, b.document) for b in bookings] == [
        (D("100.00"), "S", 1360, 10001, "INV-000001"),
        (D("50.00"), "S", 1200, 10001, "INV-000001"),
    ]


def test_each_treatment_has_its_revenue_account_in_both_charts():
    standard = TaxAmount("USt", D(19), False, 100, 19)
    zero = TaxAmount("", D(0), False, 100, 0, category=VatCategory.REVERSE_CHARGE)
    assert revenue_key(VatTreatment.DOMESTIC, standard) == "revenue_19"
    assert revenue_key(VatTreatment.REVERSE_CHARGE, zero) == "revenue_reverse_charge"
    assert revenue_key(VatTreatment.OUTSIDE_EU, zero) == "revenue_outside_eu"
    assert revenue_key(VatTreatment.SMALL_BUSINESS, zero) == "revenue_small_business"
    assert revenue_key(VatTreatment.EU_CONSUMER, replace(standard, percentage=D(20)), oss=True) == "revenue_oss"
    assert revenue_key(VatTreatment.EU_CONSUMER, standard) == "revenue_19"  # without OSS, the seller's rate
    assert set(CHARTS["SKR03"]) == set(CHARTS["SKR04"])
    assert (CHARTS["SKR03"]["revenue_19"], CHARTS["SKR04"]["revenue_19"]) == (8400, 4400)


def test_an_account_set_in_the_settings_replaces_the_charts_and_may_carry_a_tax_key():
    setup, errors = datev_setup(29098, 55003, "SKR04", 7, {"revenue_19": {"account": 4401, "tax_key": "3"}})
    assert errors == [] and setup is not None
    (first, _) = invoice_bookings(two_rates(), 10001, setup)
    assert (first.contra, first.tax_key) == (4401, "3")
    assert setup.fiscal_year_start(date(2026, 3, 1)) == date(2025, 7, 1)
    _, missing = datev_setup(None, None, "SKR03", 1, {})
    assert [e.field for e in missing] == ["settings.datev_consultant_number", "settings.datev_client_number"]


def test_the_buchungsstapel_is_extf_700_in_windows_1252_with_the_decimal_comma():
    bookings = invoice_bookings(two_rates(), 10001, SETUP)
    body = bookings_file(bookings, SETUP, NOW, "user_1", date(2026, 3, 1), date(2026, 3, 31))
    text = body.decode("cp1252")
    header, columns, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:6] == ["EXTF", "700", "21", "Buchungsstapel", "13", "20260331180507123"]
    assert header[10:16] == ["29098", "55003", "20260101", "4", "20260301", "20260331"]
    assert header[26] == "03" and len(header) == 31
    assert columns == BOOKING_COLUMNS and len(columns) == 125
    assert [row[:4] + row[6:11] for row in rows] == [
        ["107,10", "S", "EUR", "", "10001", "8400", "", "0103", "INV-000001"],
        ["48,15", "S", "EUR", "", "10001", "8300", "", "0103", "INV-000001"],
    ]
    assert rows[0][13] == "Rechnung INV-000001 Müller & Söhne GmbH"  # the umlauts as Windows-1252 holds them
    assert "Müller".encode("cp1252") in body and "\r\n" in text


def test_the_debtors_file_holds_each_debtor_as_company_or_person():
    company = Debtor(10001, Recipient(name="Müller GmbH", company_name="Müller GmbH", vat_id="ATU13585627"), True)
    person = Debtor(10002, Recipient(name="Anna Maria Gruber", city="Wien", country="AT"), False)
    text = debtors_file([company, person], SETUP, NOW, "user_1").decode("cp1252")
    header, names, first, second = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:5] == ["EXTF", "700", "16", "Debitoren/Kreditoren", "5"] and names[0] == "Konto"
    assert (first[0], first[1], first[6], first[8], first[9]) == ("10001", "Müller GmbH", "2", "AT", "U13585627")
    assert (second[3], second[4], second[6], second[18]) == ("Gruber", "Anna Maria", "1", "Wien")
