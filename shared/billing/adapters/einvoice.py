"""EN 16931 e-invoices: the invoice as UN/CEFACT CII XML (built with drafthorse, which checks it
against the XSD), as XRechnung (the German CIUS: a buyer reference, the seller's contact and
electronic addresses, payment instructions) and as ZUGFeRD/Factur-X (the PDF as PDF/A-3 with the
XML embedded, by the factur-x library). Imported only by the e-invoice route."""

from __future__ import annotations

from decimal import Decimal

from billing.domain.invoices import Invoice, InvoiceAdjustment, InvoiceLine, VatLine
from billing.domain.money import minor_units
from billing.domain.settings import Seller
from billing.domain.vat import VatCategory, VatTreatment

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
COMMERCIAL_INVOICE = "380"
CREDIT_NOTE = "381"  # UNTDID 1001: a credit note, which references the invoice it corrects (BG-3)
SEPA_CREDIT_TRANSFER = "58"
MUTUALLY_DEFINED = "ZZZ"
# The categories whose breakdown says why no VAT is charged (BR-E-10, BR-AE-10, BR-G-10, BR-O-10).
EXEMPTION_GIVEN = (VatCategory.EXEMPT, VatCategory.REVERSE_CHARGE, VatCategory.EXPORT, VatCategory.NOT_SUBJECT)
UNIT = "C62"  # one (UN/ECE Recommendation 20): a unit of whatever the line sells
# A line without any tax: the tenant gave it no rate, so nothing says why; EN 16931 asks for a reason.
UNTAXED_REASON = "Not subject to VAT"


class EInvoices:
    def xml(self, invoice: Invoice, seller: Seller, *, xrechnung: bool, payment_url: str | None) -> bytes:
        return _Builder(invoice, seller, xrechnung, payment_url).build()

    def zugferd(self, invoice: Invoice, seller: Seller, pdf: bytes, *, payment_url: str | None) -> bytes:
        """The invoice's PDF with its EN 16931 XML embedded as factur-x.xml (PDF/A-3 metadata)."""
        from facturx import generate_from_binary

        xml = self.xml(invoice, seller, xrechnung=False, payment_url=payment_url)
        return generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=True)


class _Builder:
    def __init__(self, invoice: Invoice, seller: Seller, xrechnung: bool, payment_url: str | None):
        self.invoice = invoice
        self.seller = seller
        self.xrechnung = xrechnung
        self.payment_url = payment_url
        self.currency = invoice.currency.upper()

    def amount(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-minor_units(self.invoice.currency)).quantize(Decimal("0.01"))

    def build(self) -> bytes:
        from drafthorse.models.document import Document

        invoice = self.invoice
        doc = Document()
        doc.context.guideline_parameter.id = XRECHNUNG if self.xrechnung else EN16931
        if self.xrechnung:
            doc.context.business_parameter.id = PEPPOL_BILLING
        doc.header.id = invoice.number
        doc.header.type_code = COMMERCIAL_INVOICE if invoice.corrects is None else CREDIT_NOTE
        doc.header.issue_date_time = invoice.issued_on
        for text in (invoice.memo, invoice.footer):
            if text:
                from drafthorse.models.note import IncludedNote

                note = IncludedNote()
                note.content = text
                doc.header.notes.add(note)
        self.parties(doc)
        for index, line in enumerate(invoice.lines, start=1):
            doc.trade.items.add(self.line(index, line))
        self.delivery(doc)
        self.settlement(doc)
        return doc.serialize(schema="FACTUR-X_EN16931")

    def parties(self, doc) -> None:
        from drafthorse.models.party import TaxRegistration

        seller, buyer = self.seller, self.invoice.recipient
        agreement = doc.trade.agreement
        agreement.buyer_reference = str(buyer.debtor_number or self.invoice.customer_id)
        agreement.seller.name = seller.business_name
        _address(
            agreement.seller.address,
            seller.business_address_line1,
            seller.business_address_line2,
            seller.business_postal_code,
            seller.business_city,
            seller.business_country,
        )
        # Outside the scope of VAT an invoice carries no VAT id (BR-O-02); the register number then
        # identifies the seller (BT-30, BR-CO-26).
        vat_ids = self.invoice.vat_treatment is not VatTreatment.OUTSIDE_EU
        if seller.business_register_number:
            agreement.seller.legal_organization.id = seller.business_register_number
        if seller.business_vat_id and vat_ids:
            agreement.seller.tax_registrations.add(TaxRegistration(id=("VA", seller.business_vat_id)))
        if seller.business_tax_number:
            agreement.seller.tax_registrations.add(TaxRegistration(id=("FC", seller.business_tax_number)))
        if seller.business_email:
            agreement.seller.electronic_address.uri_ID = ("EM", seller.business_email)
        if seller.business_contact_name or seller.business_phone or seller.business_email:
            contact = agreement.seller.contact
            contact.person_name = seller.business_contact_name or seller.business_name
            if seller.business_phone:
                contact.telephone.number = seller.business_phone
            if seller.business_email:
                contact.email.address = seller.business_email
        agreement.buyer.name = buyer.name
        _address(agreement.buyer.address, buyer.line1, buyer.line2, buyer.postal_code, buyer.city, buyer.country)
        if buyer.email:
            agreement.buyer.electronic_address.uri_ID = ("EM", buyer.email)
        if buyer.vat_id and vat_ids:
            agreement.buyer.tax_registrations.add(TaxRegistration(id=("VA", buyer.vat_id)))

    def line(self, index: int, line: InvoiceLine):
        from drafthorse.models.tradelines import LineItem

        item = LineItem()
        item.document.line_id = str(index)
        item.product.name = line.name
        if line.description:
            item.product.description = line.description
        net = line.net - (line.tax if line.tax_inclusive else 0)
        quantity = line.quantity
        if line.tax_inclusive:
            # The engine's unit price holds the tax; the e-invoice's is net: the line's net per unit.
            price = (self.amount(net) / quantity).quantize(Decimal("0.000001"))
        else:
            price = line.unit_price - (self.amount(line.discount) / quantity).quantize(Decimal("0.000001"))
            item.agreement.gross.amount = line.unit_price
            item.agreement.gross.basis_quantity = (Decimal(1), UNIT)
        item.agreement.net.amount = price
        item.agreement.net.basis_quantity = (Decimal(1), UNIT)
        item.delivery.billed_quantity = (quantity, UNIT)
        _categorized(item.settlement.trade_tax, line.vat.category, _percent(line.vat))
        if line.period_start and line.period_end:
            item.settlement.period.start = line.period_start
            item.settlement.period.end = line.period_end
        item.settlement.monetary_summation.total_amount = self.amount(net)
        return item

    def delivery(self, doc) -> None:
        """The invoice date as the delivery date (BT-72), and the span of the lines' service
        periods as the invoicing period (BT-73, BT-74) when they have any."""
        doc.trade.delivery.event.occurrence = self.invoice.issued_on
        # A line's service period has both ends or none (billing.domain.invoices.service_period).
        periods = [
            (line.period_start, line.period_end) for line in self.invoice.lines if line.period_start and line.period_end
        ]
        if periods:
            doc.trade.settlement.period.start = min(start for start, _ in periods)
            doc.trade.settlement.period.end = max(end for _, end in periods)

    def settlement(self, doc) -> None:
        from drafthorse.models.accounting import ApplicableTradeTax
        from drafthorse.models.payment import PaymentMeans, PaymentTerms

        invoice, seller, settlement = self.invoice, self.seller, doc.trade.settlement
        settlement.currency_code = self.currency
        settlement.payment_reference = invoice.number
        means = PaymentMeans()
        if seller.bank_iban:
            means.type_code = SEPA_CREDIT_TRANSFER
            means.payee_account.iban = seller.bank_iban
            means.payee_account.account_name = seller.bank_account_holder or seller.business_name
            if seller.bank_bic:
                means.payee_institution.bic = seller.bank_bic
        else:
            means.type_code = MUTUALLY_DEFINED
            means.information.add(f"Online: {self.payment_url}" if self.payment_url else "As agreed")
        settlement.payment_means.add(means)
        if invoice.corrects is not None:  # the preceding invoice (BT-25) and its date (BT-26)
            settlement.invoice_referenced_document.issuer_assigned_id = invoice.corrects.invoice_number
            settlement.invoice_referenced_document.issue_date_time = invoice.corrects.invoice_issued_on
        # The VAT breakdown (BG-23): one per category and rate, with the exemption of one at 0 %.
        groups: dict[tuple[VatCategory, Decimal], list[int]] = {}
        reasons: dict[tuple[VatCategory, Decimal], tuple[str, str]] = {}

        def add(vat: VatLine, net: int, tax: int) -> None:
            key = (vat.category, _percent(vat))
            basis_so_far, tax_so_far = groups.setdefault(key, [0, 0])
            groups[key] = [basis_so_far + net, tax_so_far + tax]
            if vat.exemption_reason or vat.exemption_code:
                reasons.setdefault(key, (vat.exemption_code, vat.exemption_reason))

        line_total = 0
        for line in invoice.lines:
            net = line.net - (line.tax if line.tax_inclusive else 0)
            add(line.vat, net, line.tax)
            line_total += net
        allowances = {-1: 0, 1: 0}  # document-level allowances (BG-20) and charges (BG-21), net
        for adjustment in invoice.adjustments:
            for share in adjustment.shares:
                if share.amount:
                    net = share.amount - (share.tax if share.tax_inclusive else 0)
                    settlement.allowance_charge.add(self.allowance_charge(adjustment, net, share.vat))
                    add(share.vat, adjustment.sign * net, adjustment.sign * share.tax)
                    allowances[adjustment.sign] += net
        for (category, rate), (basis, tax) in groups.items():
            breakdown = ApplicableTradeTax()
            breakdown.calculated_amount = self.amount(tax)
            breakdown.basis_amount = self.amount(basis)
            _categorized(breakdown, category, rate)
            if category in EXEMPTION_GIVEN:
                code, text = reasons.get((category, rate), ("", ""))
                if code:
                    breakdown.exemption_reason_code = code
                breakdown.exemption_reason = text or UNTAXED_REASON
            settlement.trade_tax.add(breakdown)
        terms = PaymentTerms()
        terms.description = _terms_text(invoice, self.payment_url)
        terms.due = invoice.due_date
        settlement.terms.add(terms)
        taxes = sum(tax for _, tax in groups.values())
        summation = settlement.monetary_summation
        basis_total = line_total - allowances[-1] + allowances[1]
        summation.line_total = self.amount(line_total)
        summation.charge_total = self.amount(allowances[1])
        summation.allowance_total = self.amount(allowances[-1])
        summation.tax_basis_total = (self.amount(basis_total), None)
        summation.tax_total = (self.amount(taxes), self.currency)
        summation.grand_total = (self.amount(basis_total + taxes), None)
        summation.prepaid_total = self.amount(invoice.amount_paid)
        summation.due_amount = self.amount(basis_total + taxes - invoice.amount_paid)

    def allowance_charge(self, adjustment: InvoiceAdjustment, net: int, vat: VatLine):
        """A one-time discount (an allowance) or fee (a charge) on the lines of one VAT rate, net."""
        from drafthorse.models.accounting import CategoryTradeTax, TradeAllowanceCharge

        entry = TradeAllowanceCharge()
        entry.indicator = adjustment.sign > 0
        entry.actual_amount = self.amount(net)
        entry.reason = adjustment.name or ("Discount" if adjustment.sign < 0 else "Fee")
        tax = CategoryTradeTax()
        _categorized(tax, vat.category, _percent(vat))
        entry.trade_tax.add(tax)
        return entry


def _percent(vat: VatLine) -> Decimal:
    return vat.percentage.quantize(Decimal("0.01"))


def _categorized(trade_tax, category: VatCategory, rate: Decimal) -> None:
    """A line's, a breakdown's or an allowance's VAT: its category, and its rate except outside the
    scope of VAT, where there is none (BR-O-05 to BR-O-07)."""
    trade_tax.type_code = "VAT"
    trade_tax.category_code = category.value
    if category is not VatCategory.NOT_SUBJECT:
        trade_tax.rate_applicable_percent = rate


def _address(address, line1: str, line2: str, postal_code: str, city: str, country: str) -> None:
    if line1:
        address.line_one = line1
    if line2:
        address.line_two = line2
    if postal_code:
        address.postcode = postal_code
    if city:
        address.city_name = city
    address.country_id = country


def _terms_text(invoice: Invoice, payment_url: str | None) -> str:
    if invoice.corrects is not None:
        return f"Credit note for invoice {invoice.corrects.invoice_number}: nothing to pay."
    days = (invoice.due_date - invoice.issued_on).days if invoice.due_date and invoice.issued_on else 0
    if days <= 0 or invoice.due_date is None:  # no due date makes no days
        text = "Payable on receipt."
    else:
        text = f"Payable within {days} days, by {invoice.due_date.isoformat()}."
    return f"{text} Pay online: {payment_url}" if payment_url else text
