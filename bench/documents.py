"""Invoice documents: a 10-line invoice rendered as a PDF (fpdf2), and as ZUGFeRD (the PDF with its
EN 16931 XML embedded by factur-x), each the median of fresh renders in this process."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from billing.domain.customers import CustomerType, new_customer
from billing.domain.invoices import finalized, new_invoice, priced, service_period
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import AmountType, LineItem, LineTax, UnitDiscount, summarize
from billing.domain.settings import Seller

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
RUNS = 30
SELLER = Seller(
    business_name="Billow Demo GmbH",
    business_address_line1="Torstraße 1",
    business_postal_code="10119",
    business_city="Berlin",
    business_country="DE",
    business_vat_id="DE999999999",
    bank_iban="DE89370400440532013000",
    locale="de_DE",
)


def ten_line_invoice():
    items = [
        LineItem(
            name=f"Position {i}",
            quantity=Decimal(1 + i % 3),
            unit_price=Decimal("119.90"),
            frequency=BillingFrequency.MONTHLY if i % 2 else BillingFrequency.ONE_TIME,
            discount=UnitDiscount(AmountType.PERCENT, Decimal("10")) if i % 3 == 0 else None,
            tax=LineTax("USt", Decimal("19") if i % 4 else Decimal("7")),
        )
        for i in range(10)
    ]
    summary = summarize([item.as_one_time() for item in items], [], "eur", NOW.date())
    periods = [service_period(item.frequency, NOW.date(), None, None, "lines") for item in items]
    lines, adjustments, totals = priced(summary, [item.frequency for item in items], periods)
    customer = new_customer("bench", NOW, CustomerType.COMPANY, company_name="Muster GmbH", address={"country": "DE"})
    draft = new_invoice("bench", customer, NOW, currency="eur", lines=lines, adjustments=adjustments, totals=totals)
    return finalized(draft, "RE-2026-000001", 1, NOW, NOW.date(), SELLER)


def _median_ms(work) -> float:
    work()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def report() -> None:
    from billing.adapters.einvoice import EInvoices
    from billing.adapters.pdf.invoice import InvoicePdf

    invoice = ten_line_invoice()
    pdf = InvoicePdf().render(invoice, SELLER, "https://billow.example/i/token")
    writer = EInvoices()
    rows = [
        (f"PDF (fpdf2, fonts embedded, {len(pdf) // 1024} KB)", lambda: InvoicePdf().render(invoice, SELLER, None)),
        (
            "EN 16931 CII XML (drafthorse, XSD-checked)",
            lambda: writer.xml(invoice, SELLER, xrechnung=True, payment_url=None),
        ),
        (
            "ZUGFeRD: the XML embedded in the PDF (factur-x)",
            lambda: writer.zugferd(invoice, SELLER, pdf, payment_url=None),
        ),
    ]
    print(f"\nInvoice documents, median of {RUNS} renders of a 10-line invoice")
    for label, work in rows:
        print(f"  {label:<62}{_median_ms(work):>7.1f} ms")
