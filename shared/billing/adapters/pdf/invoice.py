"""The invoice as a PDF, with what a German or EU invoice must show: seller and buyer,
number and date, service period, each line with quantity, unit price, discount and tax rate, net
amounts and tax per rate, total, due date, payment terms and how to pay.

fpdf2 and babel are imported here only, so only the routes that render load them. Liberation Sans
(shipped in ./fonts, GPL with the font exception) is embedded: the core PDF fonts cannot write €."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing.domain.invoices import Invoice, InvoiceStatus
from billing.domain.settings import Seller
from billing.formatting import Formatter

FONTS = Path(__file__).parent / "fonts"
FONT = "LiberationSans"

LABELS = {
    "en": {
        "invoice": "Invoice",
        "number": "Invoice number",
        "date": "Invoice date",
        "due": "Due date",
        "customer_number": "Customer number",
        "vat_id": "VAT ID",
        "tax_number": "Tax number",
        "position": "Pos.",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "discount": "Discount",
        "tax_rate": "Tax",
        "net": "Net",
        "period": "Service period",
        "subtotal": "Subtotal (net)",
        "line_discounts": "Line discounts",
        "net_at": "Net at {rate}",
        "tax_at": "{name} {rate}",
        "taxes_included": "includes {name} {rate}",
        "total": "Total",
        "terms_due_on_receipt": "Payable on receipt.",
        "terms_days": "Payable within {days} days, by {date}.",
        "terms_date": "Payable by {date}.",
        "pay_online": "Pay online",
        "bank": "Bank transfer",
        "reference": "Reference",
        "void": "VOID",
        "draft": "DRAFT",
        "no_tax": "no tax",
    },
    "de": {
        "invoice": "Rechnung",
        "number": "Rechnungsnummer",
        "date": "Rechnungsdatum",
        "due": "Fällig am",
        "customer_number": "Kundennummer",
        "vat_id": "USt-IdNr.",
        "tax_number": "Steuernummer",
        "position": "Pos.",
        "description": "Beschreibung",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "discount": "Rabatt",
        "tax_rate": "USt.",
        "net": "Netto",
        "period": "Leistungszeitraum",
        "subtotal": "Zwischensumme (netto)",
        "line_discounts": "Rabatte",
        "net_at": "Netto zu {rate}",
        "tax_at": "{name} {rate}",
        "taxes_included": "enthält {name} {rate}",
        "total": "Gesamtbetrag",
        "terms_due_on_receipt": "Zahlbar sofort nach Erhalt.",
        "terms_days": "Zahlbar innerhalb von {days} Tagen bis {date}.",
        "terms_date": "Zahlbar bis {date}.",
        "pay_online": "Online bezahlen",
        "bank": "Überweisung",
        "reference": "Verwendungszweck",
        "void": "STORNIERT",
        "draft": "ENTWURF",
        "no_tax": "ohne USt.",
    },
}


class InvoicePdf:
    """Renders invoices; one instance per Lambda environment."""

    def render(self, invoice: Invoice, seller: Seller, hosted_url: str | None) -> bytes:
        return _Document(invoice, seller, hosted_url).build()


class _Document:
    def __init__(self, invoice: Invoice, seller: Seller, hosted_url: str | None):
        self.invoice = invoice
        self.seller = seller
        self.hosted_url = hosted_url
        self.format = Formatter(seller.locale, invoice.currency)
        self.text = LABELS.get(self.format.language, LABELS["en"])
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(f"{self.text['invoice']} {invoice.number or ''}".strip())
        self.pdf.set_author(seller.business_name or "Billow")
        self.pdf.set_creator("Billow")
        self.pdf.set_creation_date(invoice.finalized_at or invoice.created_at)
        self.pdf.add_font(FONT, "", str(FONTS / "LiberationSans-Regular.ttf"))
        self.pdf.add_font(FONT, "B", str(FONTS / "LiberationSans-Bold.ttf"))
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.set_margins(20, 18, 20)

    # ---------------------------------------------------------------- formatting

    def rate(self, percentage: Decimal | None) -> str:
        return self.text["no_tax"] if percentage is None else self.format.percent(percentage)

    # ---------------------------------------------------------------- layout

    def build(self) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        self.header()
        self.addresses()
        self.facts()
        self.lines()
        self.totals()
        self.closing()
        self.stamp()
        return bytes(pdf.output())

    def header(self) -> None:
        pdf, seller = self.pdf, self.seller
        pdf.set_font(FONT, "B", 16)
        pdf.cell(0, 8, seller.business_name or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8)
        sender = " · ".join(
            p
            for p in (
                seller.business_address_line1,
                seller.business_address_line2,
                f"{seller.business_postal_code} {seller.business_city}".strip(),
                seller.business_country,
            )
            if p
        )
        pdf.cell(0, 4, sender, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        contact = " · ".join(p for p in (seller.business_email, seller.business_phone) if p)
        if contact:
            pdf.cell(0, 4, contact, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(8)

    def addresses(self) -> None:
        pdf, r = self.pdf, self.invoice.recipient
        pdf.set_font(FONT, "", 10)
        lines = [r.name]
        if r.company_name and r.company_name != r.name:
            lines.append(r.company_name)
        lines += [r.line1, r.line2, f"{r.postal_code} {r.city}".strip(), r.state, r.country]
        for text in (x for x in lines if x):
            pdf.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if r.vat_id:
            pdf.cell(0, 5, f"{self.text['vat_id']}: {r.vat_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)

    def facts(self) -> None:
        pdf, invoice, t = self.pdf, self.invoice, self.text
        pdf.set_font(FONT, "B", 14)
        pdf.cell(0, 8, t["invoice"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        facts = [
            (t["number"], invoice.number or "—"),
            (t["date"], self.format.day(invoice.issued_on) if invoice.issued_on else "—"),
            (t["due"], self.format.day(invoice.due_date) if invoice.due_date else "—"),
        ]
        if invoice.recipient.debtor_number is not None:
            facts.append((t["customer_number"], str(invoice.recipient.debtor_number)))
        if self.seller.business_vat_id:
            facts.append((t["vat_id"], self.seller.business_vat_id))
        if self.seller.business_tax_number:
            facts.append((t["tax_number"], self.seller.business_tax_number))
        for label, value in facts:
            pdf.cell(45, 5, label)
            pdf.cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(5)

    def lines(self) -> None:
        pdf, t = self.pdf, self.text
        pdf.set_font(FONT, "", 9)
        widths = (10, 64, 16, 24, 18, 14, 24)
        aligns = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
        with pdf.table(col_widths=widths, text_align=aligns, line_height=5, first_row_as_headings=True) as table:
            headings = ("position", "description", "quantity", "unit_price", "discount", "tax_rate", "net")
            table.row([t[name] for name in headings])
            for index, line in enumerate(self.invoice.lines, start=1):
                description = line.name
                if line.description:
                    description += f"\n{line.description}"
                if line.period_start and line.period_end:
                    period = f"{self.format.day(line.period_start)} – {self.format.day(line.period_end)}"
                    description += f"\n{t['period']}: {period}"
                table.row(
                    [
                        str(index),
                        description,
                        self.format.number(line.quantity),
                        self.format.unit_money(line.unit_price),
                        self.format.money(line.discount) if line.discount else "",
                        self.rate(line.tax_percentage),
                        self.format.money(line.net),
                    ]
                )
        pdf.ln(4)

    def totals(self) -> None:
        pdf, invoice, t = self.pdf, self.invoice, self.text
        totals = invoice.totals
        rows: list[tuple[str, str, bool]] = [(t["subtotal"], self.format.money(totals.subtotal), False)]
        for adjustment in invoice.adjustments:
            if adjustment.kind in ("discount", "fee"):
                sign = "−" if adjustment.kind == "discount" else ""
                label = adjustment.name or adjustment.kind.title()
                rows.append((label, sign + self.format.money(adjustment.amount), False))
        for amount in invoice.tax_amounts:
            if amount.inclusive:
                label = t["taxes_included"].format(name=amount.name, rate=self.rate(amount.percentage))
                rows.append((label, self.format.money(amount.tax), False))
                continue
            if amount.net:
                label = t["net_at"].format(rate=self.rate(amount.percentage))
                rows.append((label, self.format.money(amount.net), False))
            if amount.tax:
                label = t["tax_at"].format(name=amount.name, rate=self.rate(amount.percentage))
                rows.append((label, self.format.money(amount.tax), False))
        rows.append((t["total"], self.format.money(totals.total), True))
        for label, value, bold in rows:
            pdf.set_font(FONT, "B" if bold else "", 10)
            pdf.cell(120, 6, label, align="R")
            pdf.cell(0, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        # Why a rate charges no VAT, as the law asks the invoice to say (an exemption, reverse charge).
        pdf.set_font(FONT, "", 9)
        reasons = (amount.exemption_reason for amount in invoice.tax_amounts if amount.exemption_reason)
        for reason in dict.fromkeys(reasons):
            pdf.multi_cell(0, 5, reason, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)

    def closing(self) -> None:
        pdf, invoice, t, seller = self.pdf, self.invoice, self.text, self.seller
        pdf.set_font(FONT, "", 10)
        if invoice.due_date and invoice.issued_on:
            days = (invoice.due_date - invoice.issued_on).days
            if days == 0:
                terms = t["terms_due_on_receipt"]
            elif invoice.payment_terms.value == "due_date":
                terms = t["terms_date"].format(date=self.format.day(invoice.due_date))
            else:
                terms = t["terms_days"].format(days=days, date=self.format.day(invoice.due_date))
            pdf.multi_cell(0, 5, terms, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if seller.bank_iban:
            bank = f"{t['bank']}: {seller.bank_account_holder or seller.business_name} · IBAN {seller.bank_iban}"
            if seller.bank_bic:
                bank += f" · BIC {seller.bank_bic}"
            if invoice.number:
                bank += f" · {t['reference']}: {invoice.number}"
            pdf.multi_cell(0, 5, bank, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.hosted_url and invoice.status.collectable:
            pdf.set_text_color(0, 80, 200)
            text = f"{t['pay_online']}: {self.hosted_url}"
            pdf.cell(0, 6, text, link=self.hosted_url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        for text in (invoice.memo, invoice.footer):
            if text:
                pdf.ln(3)
                pdf.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def stamp(self) -> None:
        """A void or draft invoice says so across every page. Payments are not printed: the PDF is
        the document as issued (the hosted page shows what was paid)."""
        word = {InvoiceStatus.VOID: "void", InvoiceStatus.DRAFT: "draft"}.get(self.invoice.status)
        if word is None:
            return
        pdf = self.pdf
        for page in range(1, pdf.page + 1):
            pdf.page = page
            pdf.set_font(FONT, "B", 40)
            pdf.set_text_color(200, 40, 40)
            with pdf.rotation(30, x=105, y=150):
                pdf.set_xy(30, 140)
                pdf.cell(150, 20, self.text[word], align="C")
            pdf.set_text_color(0, 0, 0)
