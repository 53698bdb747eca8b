"""Every line of a PDF says when it was supplied (§ 14 Abs. 4 Nr. 6 UStG): a recurring line its
service period, a line given one day that day, any other the day the invoice was issued, and a
credit note's lines the day of the invoice it corrects."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

from pypdf import PdfReader

from billing.adapters.pdf.invoice import InvoicePdf
from billing.domain.credit_notes import LineCredit, credit_of_lines
from billing.domain.settings import Seller
from tests.unit.test_credit_notes import VAT_19, invoice, issue, line

SELLER = Seller(business_name="Muster GmbH", business_country="DE", locale="de_DE")


def text(document) -> str:
    pdf = InvoicePdf().render(document, SELLER, None)
    pages = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(pages.replace("\u00a0", " ").split())  # the narrow column wraps its lines


def test_each_line_says_its_date_of_supply_or_its_service_period():
    billed = invoice(line("100", VAT_19), line("50", VAT_19), line("10", VAT_19))
    one_day, period, plain = billed.lines
    billed = replace(
        billed,
        issued_on=date(2026, 3, 5),
        lines=(
            replace(one_day, period_start=date(2026, 2, 27), period_end=date(2026, 2, 27)),
            replace(period, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)),
            plain,
        ),
    )
    printed = text(billed)
    assert "Leistungsdatum: 27.02.2026" in printed
    assert "Leistungszeitraum: 01.03.2026 – 31.03.2026" in printed
    assert "Leistungsdatum: 05.03.2026" in printed  # the invoice date, as none was given


def test_a_credit_notes_lines_were_supplied_when_the_corrected_invoice_says():
    billed = replace(invoice(line("100", VAT_19)), issued_on=date(2026, 3, 1))
    note, *_ = issue(billed, credit_of_lines(billed, [LineCredit(0)]))
    assert "Leistungsdatum: 01.03.2026" in text(note.as_document())
