"""Invoices: the document, its money, its life from draft to paid or void, and the
rules on who may change what when.

An invoice's figures are the money engine's (billing.domain.pricing), copied onto the invoice
when it is priced and never recomputed afterwards: a finalized invoice says what it said."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing.domain.customers import Address, Customer
from billing.domain.errors import Conflict, FieldError, Refusal, ValidationFailed
from billing.domain.ids import new_id
from billing.domain.periods import BillingFrequency, billing_date
from billing.domain.pricing import LineTax, Summary
from billing.domain.records import plain, record_of, values_of
from billing.domain.settings import Seller
from billing.domain.vat import VatCategory, VatTreatment, category_of

MAX_CC = 9
# The sequencer's transaction holds the counter and at most this many invoices (DynamoDB: 100 items).
MAX_FINALIZE_BATCH = 99


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"  # credit notes took back its whole total
    VOID = "void"

    @property
    def collectable(self) -> bool:
        return self in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


class PaymentTerms(StrEnum):
    DUE_ON_RECEIPT = "due_on_receipt"
    NET_7 = "net_7"
    NET_14 = "net_14"
    NET_30 = "net_30"
    NET_60 = "net_60"
    NET_DAYS = "net_days"  # any other number of days (days_until_due)
    DUE_DATE = "due_date"  # a fixed date (due_date)

    @property
    def days(self) -> int | None:
        return _TERM_DAYS.get(self)


_TERM_DAYS = {
    PaymentTerms.DUE_ON_RECEIPT: 0,
    PaymentTerms.NET_7: 7,
    PaymentTerms.NET_14: 14,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_60: 60,
}


def terms_for_days(days: int) -> PaymentTerms:
    """The named terms of a number of days (a tenant's default), or NET_DAYS."""
    return next((terms for terms, d in _TERM_DAYS.items() if d == days), PaymentTerms.NET_DAYS)


class PaymentSource(StrEnum):
    MANUAL = "manual"  # recorded by hand: bank transfer, cash, cheque...
    LEDGER = "ledger"  # an existing payment of the ledger applied to the invoice
    ONLINE = "online"  # paid through the hosted page (Stripe Checkout) or charged by Billow
    CREDIT_BALANCE = "credit_balance"  # the customer's credit (from credit notes) used up


class ManualMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHECK = "check"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    OTHER = "other"


@dataclass(frozen=True)
class Recipient:
    """The buyer as the invoice shows them, copied from the customer when the invoice is made."""

    name: str = ""
    company_name: str = ""
    email: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    vat_id: str = ""
    debtor_number: int | None = None


def recipient_of(customer: Customer, address: Address | None = None) -> Recipient:
    """The buyer as the invoice shows it: at its billing address, or at ``address`` (the one a
    subscription bills to)."""
    address = address or customer.billing_address
    return Recipient(
        name=customer.display_name,
        company_name=customer.company_name,
        email=customer.invoice_email,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        state=address.state,
        country=address.country,
        vat_id=customer.vat_id,
        debtor_number=customer.debtor_number,
    )


@dataclass(frozen=True)
class VatLine:
    """A rate as an invoice groups by it: name, percentage, inclusive, category and the reason at
    0 % (no tax at all: an empty name at 0 %, exempt, with no reason)."""

    name: str
    percentage: Decimal
    inclusive: bool
    category: VatCategory
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass(frozen=True, kw_only=True)
class TaxSnapshot:
    """The tax of a line (or of a discount's or fee's part on one rate), as it was when billed."""

    tax_name: str | None = None
    tax_percentage: Decimal | None = None
    tax_inclusive: bool = False
    tax_category: VatCategory | None = None  # None: standard above 0 %, else exempt
    tax_exemption_reason: str = ""  # at 0 %: why, as the buyer reads it
    tax_exemption_code: str = ""

    @property
    def vat(self) -> VatLine:
        percentage = self.tax_percentage or Decimal(0)
        return VatLine(
            self.tax_name or "",
            percentage,
            self.tax_inclusive,
            category_of(percentage, self.tax_category),
            self.tax_exemption_reason,
            self.tax_exemption_code,
        )


def tax_snapshot(tax: LineTax | None) -> dict[str, Any]:
    """A TaxSnapshot's fields from the money engine's tax of a line (None: no tax)."""
    if tax is None:
        return {}
    return {
        "tax_name": tax.name,
        "tax_percentage": tax.percentage,
        "tax_inclusive": tax.inclusive,
        "tax_category": tax.vat_category,
        "tax_exemption_reason": tax.exemption_reason,
        "tax_exemption_code": tax.exemption_code,
    }


@dataclass(frozen=True)
class InvoiceLine(TaxSnapshot):
    """A line as billed: what was asked (quantity, unit price, discount, tax) and what it came to."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: int
    discount: int
    net: int
    tax: int
    description: str = ""
    product_id: str | None = None
    billing_frequency: BillingFrequency = BillingFrequency.ONE_TIME  # the product's; billed once
    discount_type: str | None = None
    discount_value: Decimal | None = None
    tax_rate_id: str | None = None
    period_start: date | None = None  # the service period a recurring line pays for
    period_end: date | None = None
    unit_cost: Decimal | None = None

    @property
    def total(self) -> int:
        return self.net + (0 if self.tax_inclusive else self.tax)


@dataclass(frozen=True)
class AdjustmentShare(TaxSnapshot):
    """The part of a one-time discount or fee that fell on the lines of one rate (no rate: the
    lines without a tax) and the tax it moved there, as the rate was when billed."""

    amount: int
    tax: int


def adjustment_sign(kind: str) -> int:
    """How an adjustment changes what the buyer pays: a discount takes off, a fee or tax adds."""
    return -1 if kind == "discount" else 1


@dataclass(frozen=True)
class InvoiceAdjustment:
    """A one-time discount, fee or tax and the amount it came to; a discount or fee split across
    the rates of the lines (an invoice issued before VAT followed its adjustments has no shares)."""

    kind: str
    type: str
    value: Decimal
    amount: int
    name: str = ""
    shares: tuple[AdjustmentShare, ...] = ()

    @property
    def sign(self) -> int:
        return adjustment_sign(self.kind)


@dataclass(frozen=True)
class TaxAmount:
    """Net amounts and tax per rate, as an invoice must show them (at 0 %, with the reason)."""

    name: str
    percentage: Decimal
    inclusive: bool
    net: int
    tax: int
    category: VatCategory = VatCategory.STANDARD
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass(frozen=True)
class InvoicePayment:
    id: str
    amount: int
    paid_on: date
    source: PaymentSource
    recorded_at: datetime
    recorded_by: str
    method: str = ""
    reference: str = ""
    payment_id: str | None = None  # the ledger's payment, for ledger and online payments
    refunded: int = 0  # of this payment's amount, what a refund of the ledger payment gave back

    @property
    def standing(self) -> int:
        """What still counts as paid."""
        return self.amount - self.refunded


@dataclass(frozen=True)
class CreditedLine:
    """How much of one of the invoice's lines (by its index) a credit note took back."""

    index: int
    quantity: Decimal


@dataclass(frozen=True)
class CreditedRate:
    """What a credit note took back of one of the invoice's rates (by its index in ``tax_amounts``)."""

    index: int
    net: int
    tax: int


@dataclass(frozen=True)
class InvoiceCredit:
    """A credit note of this invoice, as the invoice keeps it: what it took back, so the next one
    never takes more than is left of a line, a rate or the total."""

    credit_note_id: str
    number: str
    issued_on: date
    total: int
    lines: tuple[CreditedLine, ...] = ()
    rates: tuple[CreditedRate, ...] = ()


@dataclass(frozen=True)
class Correction:
    """What makes a document a credit note (Rechnungskorrektur): the invoice it corrects, which
    its PDF names and its e-invoice references (EN 16931 BT-25, BT-26), whether it cancels all of
    it (a Stornorechnung), why, and what became of the money."""

    invoice_number: str
    invoice_issued_on: date
    full: bool
    reason: str
    due_reduced: int  # what the invoice no longer asks for
    settlement: str  # "refund", "manual_refund", "credit_balance", or "" when nothing had been paid
    settled: int  # what was paid and goes back as the settlement says


@dataclass(frozen=True)
class Totals:
    lines_amount: int = 0
    line_discounts: int = 0
    subtotal: int = 0
    one_time_discounts: int = 0
    fees: int = 0
    taxes: int = 0
    taxes_included: int = 0
    total: int = 0


@dataclass(frozen=True)
class Invoice:
    tenant_id: str
    id: str
    customer_id: str
    currency: str
    status: InvoiceStatus
    created_at: datetime
    updated_at: datetime
    recipient: Recipient
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    adjustments: tuple[InvoiceAdjustment, ...] = ()
    payment_terms: PaymentTerms = PaymentTerms.NET_14
    days_until_due: int | None = 14
    due_date: date | None = None  # fixed by DUE_DATE terms, else set when finalized
    issued_on: date | None = None
    number: str | None = None
    sequence: int | None = None
    memo: str = ""
    footer: str = ""
    owner: str = ""
    associated_customer_ids: tuple[str, ...] = ()
    payments: tuple[InvoicePayment, ...] = ()
    online_payment_made: bool = False  # once true, never false again
    subscription_id: str | None = None
    subscription_period: int | None = None  # the period of the subscription it bills
    hosted_token: str | None = None
    checkout_session_id: str | None = None
    last_sent_at: datetime | None = None
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    cloned_from: str | None = None
    seller: Seller | None = None  # copied from the settings when finalized
    vat_treatment: VatTreatment = VatTreatment.DOMESTIC  # decided when the lines were priced
    vat_treatment_note: str = ""  # why
    credits: tuple[InvoiceCredit, ...] = ()  # its credit notes, oldest first
    corrects: Correction | None = None  # only a credit note's view of itself as a document
    version: int = 0

    @property
    def amount_paid(self) -> int:
        return sum(p.standing for p in self.payments)

    @property
    def amount_credited(self) -> int:
        return sum(c.total for c in self.credits)

    @property
    def creditable(self) -> int:
        """What credit notes may still take back: the total less what they took."""
        return max(self.totals.total - self.amount_credited, 0)

    @property
    def amount_due(self) -> int:
        if self.status is InvoiceStatus.VOID:
            return 0
        return max(self.totals.total - self.amount_credited - self.amount_paid, 0)

    @property
    def total(self) -> int:
        return self.totals.total

    def overdue(self, today: date) -> bool:
        return self.status.collectable and self.due_date is not None and self.due_date < today

    @property
    def tax_amounts(self) -> list[TaxAmount]:
        """Net and tax per rate (lines without a tax under 0 %) after the one-time discounts and
        fees that fell on it, then each one-time tax."""
        groups: dict[VatLine, list[int]] = {}

        def add(rate: VatLine, amount: int, tax: int) -> None:
            net_so_far, tax_so_far = groups.setdefault(rate, [0, 0])
            groups[rate] = [net_so_far + amount - (tax if rate.inclusive else 0), tax_so_far + tax]

        for line in self.lines:
            add(line.vat, line.net, line.tax)
        for adjustment in self.adjustments:
            for share in adjustment.shares:
                add(share.vat, adjustment.sign * share.amount, adjustment.sign * share.tax)
        amounts = [TaxAmount(**asdict(rate), net=net, tax=tax) for rate, (net, tax) in groups.items()]
        for adjustment in self.adjustments:
            if adjustment.kind == "tax":
                percentage = adjustment.value if adjustment.type == "percent" else Decimal(0)
                amounts.append(TaxAmount(adjustment.name or "Tax", percentage, False, 0, adjustment.amount))
        return amounts

    @property
    def created_by_subscription(self) -> bool:
        return self.subscription_id is not None


def priced(
    summary: Summary, sold_as: Sequence[BillingFrequency], periods: Sequence[tuple[date | None, date | None]]
) -> tuple[tuple[InvoiceLine, ...], tuple[InvoiceAdjustment, ...], Totals]:
    """The invoice's lines, adjustments and totals from the money engine's summary. Each line
    keeps the frequency its product is sold at (``sold_as``), though an invoice bills it once."""
    lines = []
    for line, frequency, (start, end) in zip(summary.lines, sold_as, periods, strict=True):
        item = line.item
        lines.append(
            InvoiceLine(
                name=item.name,
                description=item.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                amount=line.amount,
                discount=line.discount,
                net=line.net,
                tax=line.tax,
                product_id=item.product_id,
                billing_frequency=frequency,
                discount_type=item.discount.type.value if item.discount else None,
                discount_value=item.discount.value if item.discount else None,
                tax_rate_id=item.tax.tax_rate_id if item.tax else None,
                **tax_snapshot(item.tax),
                period_start=start,
                period_end=end,
                unit_cost=item.unit_cost,
            )
        )
    now = summary.due_now
    adjustments = tuple(
        record_of(
            InvoiceAdjustment,
            plain(a.adjustment),
            amount=a.amount,
            shares=tuple(
                AdjustmentShare(
                    share.amount,
                    share.tax_amount,
                    **tax_snapshot(share.tax),
                )
                for share in a.shares
            ),
        )
        for a in now.adjustments
    )
    totals = record_of(Totals, values_of(now, (f.name for f in fields(Totals))))
    return tuple(lines), adjustments, totals


def service_period(
    frequency: BillingFrequency, starts_on: date, start: date | None, end: date | None, where: str
) -> tuple[date | None, date | None]:
    """The period a line pays for: as given, else one period of a recurring product from the day
    it is billed (a monthly line billed on 15 March covers 15 March to 14 April)."""
    if (start is None) != (end is None):
        missing = f"{where}.period_end" if end is None else f"{where}.period_start"
        raise ValidationFailed.of(missing, "give period_start and period_end together, or neither")
    if start is not None and end is not None:  # given together (checked above)
        if end < start:
            raise ValidationFailed.of(f"{where}.period_end", "must not be before period_start")
        return start, end
    if not frequency.is_recurring:
        return None, None
    return starts_on, billing_date(starts_on, frequency, 1) - timedelta(days=1)


def new_invoice(
    tenant_id: str, customer: Customer, now: datetime, address: Address | None = None, **details: Any
) -> Invoice:
    return Invoice(
        tenant_id=tenant_id,
        id=new_id("invoice"),
        customer_id=customer.id,
        status=InvoiceStatus.DRAFT,
        created_at=now,
        updated_at=now,
        recipient=recipient_of(customer, address),
        **details,
    )


def cloned(invoice: Invoice, now: datetime, actor: str) -> Invoice:
    """A new draft with the same customer, lines and terms; nothing of the original's life."""
    return Invoice(
        tenant_id=invoice.tenant_id,
        id=new_id("invoice"),
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        status=InvoiceStatus.DRAFT,
        created_at=now,
        updated_at=now,
        recipient=invoice.recipient,
        lines=invoice.lines,
        totals=invoice.totals,
        adjustments=invoice.adjustments,
        payment_terms=invoice.payment_terms,
        days_until_due=invoice.days_until_due,
        due_date=invoice.due_date if invoice.payment_terms is PaymentTerms.DUE_DATE else None,
        memo=invoice.memo,
        footer=invoice.footer,
        owner=actor,
        associated_customer_ids=invoice.associated_customer_ids,
        cloned_from=invoice.id,
        vat_treatment=invoice.vat_treatment,
        vat_treatment_note=invoice.vat_treatment_note,
    )


def hosted_url(invoice: Invoice, base: str) -> str | None:
    """The invoice's hosted page under the API's public address; None without a live token."""
    return f"{base}/i/{invoice.hosted_token}" if invoice.hosted_token else None


def format_number(prefix: str, digits: int, sequence: int) -> str:
    """The tenant's prefix and the sequence number padded to its digits (``RE-2026-000123``)."""
    return f"{prefix}{sequence:0{digits}d}"


def finalized(invoice: Invoice, number: str, sequence: int, now: datetime, today: date, seller: Seller) -> Invoice:
    if invoice.status is not InvoiceStatus.DRAFT:
        raise Conflict(f"invoice {invoice.id} is {invoice.status.value}, not a draft")
    due = invoice.due_date if invoice.payment_terms is PaymentTerms.DUE_DATE else None
    if due is None:
        due = today + timedelta(days=invoice.days_until_due or 0)
    return replace(
        invoice,
        status=InvoiceStatus.OPEN if invoice.total > 0 else InvoiceStatus.PAID,
        number=number,
        sequence=sequence,
        issued_on=today,
        due_date=due,
        seller=seller,
        hosted_token=secrets.token_urlsafe(24),  # 192 bits: the hosted page's only credential
        finalized_at=now,
        paid_at=now if invoice.total <= 0 else None,
        updated_at=now,
    )


# What the issued document shows: a PDF is made again only when one of these changes.
DOCUMENT_FIELDS = (
    "number",
    "currency",
    "issued_on",
    "due_date",
    "payment_terms",
    "recipient",
    "seller",
    "lines",
    "adjustments",
    "totals",
    "memo",
    "footer",
    "hosted_token",
)


def document_fingerprint(invoice: Invoice, link_base: str) -> str:
    """Names the PDF of the invoice as it stands: the same document, the same name. The Pay link
    printed on it is part of the document, so a document made under another public address is
    made again rather than served with that address's link."""
    import hashlib
    import json

    stamped = invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
    last = invoice.payments[-1] if invoice.payments else None
    shown = values_of(invoice, DOCUMENT_FIELDS) | {
        "stamp": invoice.status.value if stamped else "",
        "link": hosted_url(invoice, link_base) or "",
        # A paid invoice says when and how it was paid, and asks for nothing.
        "paid": [str(last.paid_on), last.method, last.source.value]
        if last and invoice.status is InvoiceStatus.PAID
        else "",
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:24]


def document_key(invoice: Invoice, link_base: str, kind: str, extension: str) -> str:
    """Where an issued document is stored, and so the path of its download link: a digest of the
    tenant, the invoice and the document's fingerprint, which names neither the tenant nor the
    invoice to whoever holds the link (a buyer, a forwarded email)."""
    import hashlib

    folder = "previews" if invoice.status is InvoiceStatus.DRAFT else "documents"
    identity = f"{invoice.tenant_id}|{invoice.id}|{document_fingerprint(invoice, link_base)}|{kind}"
    return f"{folder}/{hashlib.sha256(identity.encode()).hexdigest()[:40]}.{extension}"


def edit_refusal(invoice: Invoice, *, editing_allowed: bool, may_edit_finalized: bool) -> Refusal:
    """Drafts are edited freely; a finalized invoice only when the tenant allows it, the
    caller may, no payment was ever made on it and no subscription created it."""
    refusal = Refusal()
    if invoice.status is InvoiceStatus.DRAFT:
        return refusal
    if invoice.status is InvoiceStatus.VOID:
        refusal.reasons.append("the invoice is void")
        return refusal
    if not editing_allowed:
        refusal.reasons.append("the tenant's settings do not allow editing finalized invoices")
    if not may_edit_finalized:
        refusal.reasons.append("only an admin may edit a finalized invoice")
    if invoice.payments or invoice.online_payment_made:
        refusal.reasons.append("a payment was made on the invoice")
    if invoice.created_by_subscription:
        refusal.reasons.append("the invoice was created by a subscription")
    if invoice.credits:
        refusal.reasons.append("a credit note corrects it; correct it with another credit note")
    return refusal


def deletion_refusal(invoice: Invoice, *, deleting_allowed: bool) -> Refusal:
    """Drafts may be deleted; finalized ones only when the tenant allows it and unpaid."""
    refusal = Refusal()
    if invoice.status is InvoiceStatus.DRAFT:
        return refusal
    if not deleting_allowed:
        refusal.reasons.append("the tenant's settings do not allow deleting finalized invoices")
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID) or invoice.payments:
        refusal.reasons.append("a paid invoice can never be deleted")
    if invoice.online_payment_made:
        refusal.reasons.append("an online payment was made on the invoice")
    if invoice.credits:
        refusal.reasons.append("a credit note refers to it, so its number stays in the books")
    return refusal


def void_refusal(invoice: Invoice) -> Refusal:
    """Only an open invoice; never after an online payment (even refunded); manual payments
    must be removed first."""
    refusal = Refusal()
    if invoice.status is InvoiceStatus.DRAFT:
        refusal.reasons.append("a draft has nothing to void; delete it instead")
    elif invoice.status is InvoiceStatus.VOID:
        refusal.reasons.append("the invoice is already void")
    elif invoice.status is InvoiceStatus.PAID:
        refusal.reasons.append("a paid invoice cannot be voided")
    elif invoice.status is InvoiceStatus.CREDITED:
        refusal.reasons.append("the invoice is credited in full already")
    if invoice.online_payment_made:
        refusal.reasons.append("an online payment was made on the invoice (even if refunded)")
    if any(p.source is PaymentSource.CREDIT_BALANCE for p in invoice.payments):
        refusal.reasons.append("it used the customer's credit balance; credit it instead, which gives that back")
    elif any(p.source is not PaymentSource.ONLINE for p in invoice.payments):
        refusal.reasons.append("remove the recorded payments first")
    return refusal


def voided(invoice: Invoice, now: datetime) -> Invoice:
    refusal = void_refusal(invoice)
    if refusal:
        raise Conflict("; ".join(refusal.reasons))
    return replace(
        invoice, status=InvoiceStatus.VOID, voided_at=now, hosted_token=None, checkout_session_id=None, updated_at=now
    )


def _status_for(invoice: Invoice, payments: tuple[InvoicePayment, ...]) -> InvoiceStatus:
    """Credited when credit notes took back the whole total, else paid when the payments cover
    what they left of it."""
    if invoice.status is InvoiceStatus.VOID:
        return InvoiceStatus.VOID
    if invoice.credits and invoice.amount_credited >= invoice.total:
        return InvoiceStatus.CREDITED
    paid = sum(p.standing for p in payments)
    if paid >= invoice.total - invoice.amount_credited:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID if paid else InvoiceStatus.OPEN


def with_payment(invoice: Invoice, payment: InvoicePayment, now: datetime) -> Invoice:
    """A payment against the amount due; never more than is due."""
    if not invoice.status.collectable:
        raise Conflict(f"invoice {invoice.id} is {invoice.status.value}; only an open invoice takes payments")
    if payment.amount > invoice.amount_due:
        raise ValidationFailed.of("amount", f"exceeds the amount due ({invoice.amount_due})")
    payments = (*invoice.payments, payment)
    status = _status_for(invoice, payments)
    return replace(
        invoice,
        payments=payments,
        status=status,
        online_payment_made=invoice.online_payment_made or payment.source is PaymentSource.ONLINE,
        paid_at=now if status is InvoiceStatus.PAID else None,
        checkout_session_id=None if status is InvoiceStatus.PAID else invoice.checkout_session_id,
        updated_at=now,
    )


def without_payment(invoice: Invoice, payment_id: str, now: datetime) -> tuple[Invoice, InvoicePayment]:
    """A payment recorded by hand (or applied from the ledger) can be removed; an online one cannot."""
    found = next((p for p in invoice.payments if p.id == payment_id), None)
    if found is None:
        from billing.domain.errors import NotFound

        raise NotFound(f"payment {payment_id} not found on invoice {invoice.id}")
    if found.source is PaymentSource.ONLINE:
        raise Conflict("an online payment cannot be removed from the invoice; refund it instead")
    if found.source is PaymentSource.CREDIT_BALANCE:
        raise Conflict("credit used from the customer's balance stays; a credit note of the invoice gives it back")
    payments = tuple(p for p in invoice.payments if p.id != payment_id)
    updated = replace(invoice, payments=payments, status=_status_for(invoice, payments), paid_at=None, updated_at=now)
    return updated, found


def with_refund_followed(invoice: Invoice, payment_id: str, refunded: int, now: datetime) -> Invoice:
    """A refund of a ledger payment applied to this invoice reached it: what the refund gave back
    of its part no longer counts as paid, and the status follows (a paid invoice is open again
    for what was given back)."""
    payments = tuple(replace(p, refunded=refunded) if p.payment_id == payment_id else p for p in invoice.payments)
    if payments == invoice.payments or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return invoice
    status = _status_for(invoice, payments)
    return replace(
        invoice,
        payments=payments,
        status=status,
        paid_at=invoice.paid_at if status is InvoiceStatus.PAID else None,
        updated_at=now,
    )


def new_invoice_payment(
    amount: int | None, paid_on: date, source: PaymentSource, now: datetime, actor: str, **details: Any
) -> InvoicePayment:
    if amount is None:
        raise ValidationFailed.of("amount", "required for a payment recorded by hand")
    if amount <= 0:
        raise ValidationFailed.of("amount", "must be above 0")
    return InvoicePayment(
        id=new_id("invoice_payment"),
        amount=amount,
        paid_on=paid_on,
        source=source,
        recorded_at=now,
        recorded_by=actor,
        **details,
    )


def cc_errors(cc: Sequence[str]) -> list[FieldError]:
    if len(cc) > MAX_CC:
        return [FieldError("cc", f"at most {MAX_CC} addresses")]
    return []


@dataclass(frozen=True)
class InvoiceFilter:
    """AND across properties, OR within one (``statuses``)."""

    statuses: tuple[str, ...] = ()
    customer_id: str | None = None
    number: str | None = None
    due_from: str | None = None  # ISO dates
    due_to: str | None = None
    created_from: str | None = None  # ISO datetimes
    created_to: str | None = None
    total_min: int | None = None
    total_max: int | None = None
    overdue_on: str | None = None  # today, when only overdue invoices are wanted
    ids: tuple[str, ...] = ()
    subscription_id: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One change of an invoice: what happened, by whom, when."""

    id: str
    invoice_id: str
    type: str
    at: datetime
    actor: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def history_entry(
    invoice_id: str, entry_type: str, at: datetime, actor: str, summary: str, **data: Any
) -> HistoryEntry:
    return HistoryEntry(new_id("event"), invoice_id, entry_type, at, actor, summary, data)


class EInvoiceFormat(StrEnum):
    ZUGFERD = "zugferd"  # Factur-X/ZUGFeRD: PDF/A-3 with the EN 16931 CII XML inside
    XRECHNUNG = "xrechnung"  # the German CIUS of EN 16931, as CII XML


def einvoice_refusal(invoice: Invoice, seller: Seller, fmt: EInvoiceFormat) -> Refusal:
    """What keeps an invoice from being a valid EN 16931 (or XRechnung) e-invoice, by the setting
    or field that must change."""
    refusal = Refusal()
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        refusal.reasons.append(f"a {invoice.status.value} invoice has no e-invoice; finalize it first")
        return refusal
    if any(adjustment.kind == "tax" for adjustment in invoice.adjustments):
        refusal.reasons.append("a one-time tax is not VAT, the only tax EN 16931 knows; put it on a line instead")
    if any(adjustment.kind != "tax" and not adjustment.shares for adjustment in invoice.adjustments):
        refusal.reasons.append(
            "its one-time discounts or fees were issued before they were assigned to VAT rates, which "
            "EN 16931 requires; issue a corrected invoice"
        )
    needed = {
        "business_name": "the seller's name (BT-27)",
        "business_country": "the seller's country (BT-40)",
    }
    if fmt is EInvoiceFormat.XRECHNUNG:
        needed |= {
            "business_city": "the seller's city (BR-DE-3)",
            "business_postal_code": "the seller's post code (BR-DE-4)",
            "business_contact_name": "the seller's contact (BR-DE-5)",
            "business_phone": "the seller's phone (BR-DE-6)",
            "business_email": "the seller's email, also its electronic address (BR-DE-7, BT-34)",
            "bank_iban": "the IBAN the buyer pays to (BR-DE-1, BR-DE-23)",
        }
    for name, what in needed.items():
        if not getattr(seller, name):
            refusal.reasons.append(f"settings.{name}: {what} is missing")
    if not (seller.business_vat_id or seller.business_tax_number):
        refusal.reasons.append("settings.business_vat_id: the seller's VAT id or tax number (BR-CO-26) is missing")
    if not invoice.recipient.country:
        refusal.reasons.append("the customer's billing address has no country (BT-55)")
    if invoice.vat_treatment is VatTreatment.REVERSE_CHARGE:
        if not seller.business_vat_id:
            refusal.reasons.append("settings.business_vat_id: a reverse charge needs the seller's VAT id (BR-AE-02)")
        if not invoice.recipient.vat_id:
            refusal.reasons.append("the customer's VAT id is missing; a reverse charge needs the buyer's (BR-AE-02)")
    if invoice.vat_treatment is VatTreatment.OUTSIDE_EU and not seller.business_register_number:
        refusal.reasons.append(
            "settings.business_register_number: an invoice outside the scope of VAT carries no VAT id (BR-O-02), "
            "so the register number identifies the seller (BT-30, BR-CO-26)"
        )
    if fmt is EInvoiceFormat.XRECHNUNG:
        if not (invoice.recipient.city and invoice.recipient.postal_code):
            refusal.reasons.append("the customer's billing address needs a city and post code (BR-DE-8, BR-DE-9)")
        if not invoice.recipient.email:
            refusal.reasons.append("the customer needs a billing email, its electronic address (BT-49)")
    return refusal


def _major(minor: int, currency: str) -> Decimal:
    from billing.domain.money import to_major

    return to_major(minor, currency)


# The columns an export may choose, in this order; amounts in major units (119.00), as an
# accounting system reads them, next to the currency.
EXPORT_COLUMNS: dict[str, Callable[[Invoice, date], object]] = {
    "id": lambda i, _: i.id,
    "number": lambda i, _: i.number or "",
    "status": lambda i, _: i.status.value,
    "overdue": lambda i, today: i.overdue(today),
    "customer_id": lambda i, _: i.customer_id,
    "customer_name": lambda i, _: i.recipient.name,
    "customer_email": lambda i, _: i.recipient.email,
    "debtor_number": lambda i, _: i.recipient.debtor_number,
    "customer_vat_id": lambda i, _: i.recipient.vat_id,
    "currency": lambda i, _: i.currency.upper(),
    "issued_on": lambda i, _: i.issued_on.isoformat() if i.issued_on else "",
    "due_date": lambda i, _: i.due_date.isoformat() if i.due_date else "",
    "subtotal": lambda i, _: _major(i.totals.subtotal, i.currency),
    "discounts": lambda i, _: _major(i.totals.line_discounts + i.totals.one_time_discounts, i.currency),
    "taxes": lambda i, _: _major(i.totals.taxes, i.currency),
    "total": lambda i, _: _major(i.total, i.currency),
    "amount_paid": lambda i, _: _major(i.amount_paid, i.currency),
    "amount_due": lambda i, _: _major(i.amount_due, i.currency),
    "payment_terms": lambda i, _: i.payment_terms.value,
    "owner": lambda i, _: i.owner,
    "associated_customer_ids": lambda i, _: ";".join(i.associated_customer_ids),
    "subscription_id": lambda i, _: i.subscription_id or "",
    "last_sent_at": lambda i, _: i.last_sent_at.isoformat() if i.last_sent_at else "",
    "created_at": lambda i, _: i.created_at.isoformat(),
    "memo": lambda i, _: i.memo,
}
