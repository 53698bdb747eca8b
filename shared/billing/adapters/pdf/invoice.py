"""The invoice as a PDF, with what a German or EU invoice must show: seller and buyer,
number and date, service period, each line with quantity, unit price, discount and tax rate, net
amounts and tax per rate, total, due date, payment terms and how to pay.

fpdf2 and babel are imported here only, so only the routes that render load them. Liberation Sans
(shipped in ./fonts, GPL with the font exception) is embedded: the core PDF fonts cannot write €."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing.domain.invoices import Invoice, InvoiceStatus
from billing.domain.settings import Seller
from billing.formatting import Formatter
from billing.texts import how_paid, tax_label, texts

FONTS = Path(__file__).parent / "fonts"
FONT = "LiberationSans"


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
        self.text = texts(seller.locale, "document")
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(f"{self.title} {invoice.number or ''}".strip())
        self.pdf.set_author(seller.business_name or "Billow")
        self.pdf.set_creator("Billow")
        self.pdf.set_creation_date(invoice.finalized_at or invoice.created_at)
        self.pdf.add_font(FONT, "", str(FONTS / "LiberationSans-Regular.ttf"))
        self.pdf.add_font(FONT, "B", str(FONTS / "LiberationSans-Bold.ttf"))
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.set_margins(20, 18, 20)

    # ---------------------------------------------------------------- formatting

    @property
    def title(self) -> str:
        correction = self.invoice.corrects
        if correction is None:
            return self.text["invoice"]
        return self.text["cancellation" if correction.full else "credit_note"]

    def rate(self, percentage: Decimal | None) -> str:
        return self.text["no_tax"] if percentage is None else self.format.percent(percentage)

    def tax_label(self, name: str, percentage: Decimal) -> str:
        return tax_label(name, self.format.percent(percentage), self.text["vat"])

    @property
    def supplied_on(self) -> date | None:
        """A line's date of supply when it names none (a one-day period names it): the day the
        invoice was issued, or for a credit note the corrected invoice's."""
        if self.invoice.corrects is not None:
            return self.invoice.corrects.invoice_issued_on
        return self.invoice.issued_on

    @property
    def domestic(self) -> bool:
        """The buyer's address is in the seller's country, so neither prints its country."""
        return self.invoice.recipient.country in ("", self.seller.business_country)

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
                "" if self.domestic else seller.business_country,
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
        lines += [r.line1, r.line2, f"{r.postal_code} {r.city}".strip(), r.state, "" if self.domestic else r.country]
        for text in (x for x in lines if x):
            pdf.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if r.vat_id:
            pdf.cell(0, 5, f"{self.text['buyer_vat_id']}: {r.vat_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)

    def facts(self) -> None:
        pdf, invoice, t = self.pdf, self.invoice, self.text
        pdf.set_font(FONT, "B", 14)
        pdf.cell(0, 8, self.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        correction = invoice.corrects
        if correction is None:
            facts = [
                (t["number"], invoice.number or "—"),
                (t["date"], self.format.day(invoice.issued_on) if invoice.issued_on else "—"),
                (t["due"], self.format.day(invoice.due_date) if invoice.due_date else "—"),
            ]
        else:
            facts = [
                (t["credit_number"], invoice.number or "—"),
                (t["credit_date"], self.format.day(invoice.issued_on) if invoice.issued_on else "—"),
                (t["reason"], t.get(f"reason_{correction.reason}", correction.reason)),
            ]
        if invoice.recipient.debtor_number is not None:
            facts.append((t["customer_number"], str(invoice.recipient.debtor_number)))
        if self.seller.business_vat_id:
            facts.append((t["seller_vat_id"], self.seller.business_vat_id))
        if self.seller.business_tax_number:
            facts.append((t["tax_number"], self.seller.business_tax_number))
        for label, value in facts:
            pdf.cell(45, 5, label)
            pdf.cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if correction is not None:  # the invoice it corrects, by number and date, as § 31 UStDV asks
            which = t["cancels" if correction.full else "corrects"]
            text = which.format(number=correction.invoice_number, date=self.format.day(correction.invoice_issued_on))
            pdf.ln(2)
            pdf.set_font(FONT, "B", 10)
            pdf.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FONT, "", 10)
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
                if line.period_start and line.period_end and line.period_start != line.period_end:
                    period = f"{self.format.day(line.period_start)} – {self.format.day(line.period_end)}"
                    description += f"\n{t['period']}: {period}"
                elif supplied := line.period_start or self.supplied_on:
                    description += f"\n{t['supplied']}: {self.format.day(supplied)}"
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
                label = t["taxes_included"].format(tax=self.tax_label(amount.name, amount.percentage))
                rows.append((label, self.format.money(amount.tax), False))
                continue
            if amount.net:
                label = t["net_at"].format(rate=self.rate(amount.percentage))
                rows.append((label, self.format.money(amount.net), False))
            if amount.tax:
                label = self.tax_label(amount.name, amount.percentage)
                rows.append((label, self.format.money(amount.tax), False))
        total_label = t["total"] if invoice.corrects is None else t["credited_total"]
        rows.append((total_label, self.format.money(totals.total), True))
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
        pdf, invoice, t = self.pdf, self.invoice, self.text
        pdf.set_font(FONT, "", 10)
        if invoice.corrects is not None:
            self.settlement()
        elif invoice.status is InvoiceStatus.PAID:  # it asks for nothing: the buyer must not pay twice
            last = invoice.payments[-1] if invoice.payments else None
            when = (last.paid_on if last else None) or (invoice.paid_at.date() if invoice.paid_at else None)
            how = t[how_paid(last.method if last else "", last.source.value if last else "")]
            text = t["paid"].format(date=self.format.day(when), how=how) if when else t["settled"]
            pdf.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif invoice.status is not InvoiceStatus.VOID:
            self.how_to_pay()
        for text in (invoice.memo, invoice.footer):
            if text:
                pdf.ln(3)
                pdf.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.imprint()

    def settlement(self) -> None:
        """What became of a credit note's money: what the invoice no longer asks for, and what
        was paid and goes back (refunded, or kept as the customer's credit)."""
        correction, t = self.invoice.corrects, self.text
        assert correction is not None
        texts = []
        if correction.due_reduced:
            amount = self.format.money(correction.due_reduced)
            texts.append(t["settle_due"].format(number=correction.invoice_number, amount=amount))
        if correction.settled and correction.settlement:
            texts.append(t[f"settle_{correction.settlement}"].format(amount=self.format.money(correction.settled)))
        for text in texts:
            self.pdf.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def imprint(self) -> None:
        """Who the seller is, as German law asks every business letter to say."""
        seller, t = self.seller, self.text
        parts = [seller.business_name]
        if seller.business_register_number:
            court = seller.business_register_court
            register = t["register"].format(court=court, number=seller.business_register_number)
            parts.append(register if court else seller.business_register_number)
        if seller.business_managing_directors:
            parts.append(t["directors"].format(names=seller.business_managing_directors))
        if seller.business_tax_number:
            parts.append(f"{t['tax_number']}: {seller.business_tax_number}")
        text = " · ".join(p for p in parts if p)
        if len(parts) > 1:
            self.pdf.ln(6)
            self.pdf.set_font(FONT, "", 8)
            self.pdf.multi_cell(0, 4, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def how_to_pay(self) -> None:
        pdf, invoice, t, seller = self.pdf, self.invoice, self.text, self.seller
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

    def stamp(self) -> None:
        """A void or draft invoice says so across every page."""
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
