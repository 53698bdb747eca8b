"""The one catalogue of what a buyer reads: every language says every text, with the same
placeholders, and the emails built from it read as a letter in the tenant's language."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.domain.orders import SendOrder
from billing.domain.payments import Payment, PaymentMethod, PaymentStatus
from billing.domain.settings import TenantSettings
from billing.http.public_pages import browser_locale
from billing.services.invoices.delivery import invoice_email
from billing.services.notifications import receipt_subject, receipt_text
from billing.texts import LANGUAGES, SECTIONS, catalogue, language_of, method_label, paid_with, texts

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_every_text_of_english_with_the_same_placeholders(language):
    english, other = catalogue("en"), catalogue(language)
    assert sorted(other) == sorted(english) == sorted(SECTIONS)
    for section in SECTIONS:
        assert sorted(other[section]) == sorted(english[section]), section
        for key, text in english[section].items():
            assert placeholders(other[section][key]) == placeholders(text), f"{section}.{key}"
            assert other[section][key].strip(), f"{section}.{key} is empty"


def test_a_locale_reads_its_language_and_one_billow_lacks_reads_english():
    assert [language_of(locale) for locale in ("de_DE", "de-AT", "en_US", "fr_FR", "")] == [
        "de",
        "de",
        "en",
        "en",
        "en",
    ]
    assert texts("de_CH", "page")["pay"] == "Bezahlen"
    assert texts("fr_FR", "page")["pay"] == "Pay"
    with pytest.raises(KeyError):
        texts("de_DE", "invoices")


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR,fr;q=0.9,de;q=0.5,en;q=0.4", "de"),
        ("en;q=0.3, de;q=0.7", "de"),
        ("de;q=0, en", "en"),
        ("fr", "en"),
        (None, "en"),
        ("de;q=x", "en"),
    ],
)
def test_a_page_for_no_known_tenant_speaks_the_browsers_first_language_billow_has(header, locale):
    assert browser_locale(header) == locale


def test_a_saved_method_is_described_in_the_buyers_language():
    card = PaymentMethod(
        id="pm_1", customer_id="c", type="card", brand="visa", last4="4242", exp_month=3, exp_year=2029, created_at=NOW
    )
    debit = replace(card, type="sepa_debit", brand="", exp_month=0, exp_year=0, last4="3000", bank_code="37040044")
    debit = replace(debit, country="DE")
    assert method_label(card, texts("de_DE", "page")) == "Visa-Karte •••• 4242, gültig bis 03/2029"
    assert method_label(card, texts("en_US", "page")) == "Visa card •••• 4242, valid until 03/2029"
    assert method_label(debit, texts("de_DE", "page")) == "SEPA-Lastschrift von DE •••• 3000, BLZ 37040044"
    assert method_label(replace(debit, bank_code=""), texts("en_US", "page")) == "SEPA Direct Debit from DE •••• 3000"


def test_how_a_payment_was_made_keeps_the_cards_last_digits_and_never_the_records_english():
    document = texts("de_DE", "document")
    assert paid_with("visa •••• 4242 (12/2029)", "online", document) == "Karte •••• 4242"
    assert (
        paid_with("SEPA Direct Debit DE •••• 3000, bank 37040044", "online", document) == "SEPA-Lastschrift •••• 3000"
    )
    assert paid_with("bank_transfer", "manual", document) == "Überweisung"
    assert paid_with("", "manual", texts("en_US", "document")) == "payment"


def payment(**changes) -> Payment:
    base = Payment(
        tenant_id="t1",
        id="pay_1",
        customer_id="cus_1",
        amount=11900,
        currency="eur",
        status=PaymentStatus.SUCCEEDED,
        created_at=NOW,
        updated_at=NOW,
        method="visa •••• 4242 (12/2029)",
        description="Invoice RE-2026-000007",
    )
    return replace(base, **changes)


def test_a_german_receipt_is_a_german_letter_with_no_internal_id():
    settings = TenantSettings(tenant_id="t1", business_name="Muster GmbH", locale="de_DE")
    assert receipt_subject(settings) == "Zahlungsbestätigung von Muster GmbH"
    assert receipt_text(payment(), settings) == (
        "Guten Tag,\n\nvielen Dank für Ihre Zahlung an Muster GmbH.\n\n"
        "Betrag:      119,00\xa0€\nBezahlt am:  04.03.2026\nZahlungsart: Karte •••• 4242\n"
        "Rechnung:    RE-2026-000007\n\nMit freundlichen Grüßen\nMuster GmbH\n"
    )
    first = receipt_text(
        payment(description="First payment of subscription sub_1", subscription_ids=("sub_1",)), settings
    )
    assert "sub_1" not in first and "pay_1" not in first and "Rechnung:" not in first


def test_an_english_receipt_without_a_business_name_is_from_us():
    settings = TenantSettings(tenant_id="t1", locale="en_US")
    assert receipt_subject(settings) == "Receipt from us"
    assert receipt_text(payment(), settings).startswith("Hello,\n\nThank you for your payment to us.\n\nAmount paid:")


def invoice(number: str, *, paid: bool = False):
    """An open invoice of 119.00 EUR issued 10 March 2026, due in 14 days (or paid in full)."""
    from billing.domain.invoices import with_payment
    from tests.unit.test_invoice_rules import NOW, opened, paid_by_hand

    issued = replace(opened(), number=number)
    return with_payment(issued, paid_by_hand(11900), NOW) if paid else issued


def test_an_invoice_email_in_billows_words_is_a_letter_in_the_tenants_language():
    settings = TenantSettings(tenant_id="t1", business_name="Muster GmbH", locale="de_DE")
    document = invoice("RE-2026-000001")
    subject, text = invoice_email(document, settings, SendOrder(), "https://pay.example/i/tok")
    assert subject == "Rechnung RE-2026-000001 von Muster GmbH"
    assert text == (
        "Guten Tag,\n\nanbei erhalten Sie die Rechnung RE-2026-000001 über 119,00\xa0€, zahlbar bis 24.03.2026.\n\n"
        "Online ansehen und bezahlen: https://pay.example/i/tok\n\nMit freundlichen Grüßen\nMuster GmbH\n"
    )


def test_a_paid_invoices_email_asks_for_nothing():
    settings = TenantSettings(tenant_id="t1", business_name="Muster GmbH", locale="de_DE")
    paid = invoice("RE-2026-000002", paid=True)
    _, text = invoice_email(paid, settings, SendOrder(), "https://pay.example/i/tok")
    assert "bereits bezahlt" in text and "Online ansehen: https://pay.example/i/tok" in text
    assert "zahlbar" not in text and "bezahlen:" not in text


def test_the_tenants_own_templates_and_the_senders_words_come_before_billows():
    settings = TenantSettings(
        tenant_id="t1",
        business_name="Muster GmbH",
        locale="de_DE",
        invoice_email_subject="Ihre Rechnung {number}",
        invoice_email_message="Hallo, {total} bis {due_date}.",
    )
    document = invoice("RE-1")
    subject, text = invoice_email(document, settings, SendOrder(), None)
    assert (subject, text) == ("Ihre Rechnung RE-1", "Hallo, 119,00\xa0€ bis 24.03.2026.\n")
    subject, text = invoice_email(document, settings, SendOrder(subject="Betreff", message="Text"), "https://x/i/t")
    assert (subject, text) == ("Betreff", "Text\n\nOnline ansehen und bezahlen: https://x/i/t\n")
