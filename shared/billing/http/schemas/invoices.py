"""Invoice request and response bodies."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from billing.domain.periods import BillingFrequency
from billing.http.schemas.common import (
    Amount,
    AmountIn,
    CurrencyCode,
    Day,
    Email,
    Flag,
    Integer,
    LongText,
    Request,
    Response,
    ShortText,
    VatCategoryCode,
    changes_of,
    omittable,
    out,
)
from billing.http.schemas.pricing import AdjustmentIn, LineIn

if TYPE_CHECKING:
    from billing.domain.invoices import HistoryEntry, Invoice
    from billing.domain.orders import InvoiceOrder, LineOrder, PaymentEntry, SendOrder

RecordId = Annotated[str, Field(max_length=40)]
Terms = Literal["due_on_receipt", "net_7", "net_14", "net_30", "net_60", "net_days", "due_date"]
TERMS = (
    "due_on_receipt, net_7, net_14, net_30, net_60; net_days with days_until_due; due_date with due_date. "
    "The tenant's default payment days when omitted"
)
ManualMethod = Literal["bank_transfer", "cash", "check", "card", "direct_debit", "other"]


class InvoiceLineIn(LineIn):
    period_start: Day | None = Field(
        None, description="Service period this line pays for; a recurring product's line gets one period from today"
    )
    period_end: Day | None = None

    def order(self) -> LineOrder:
        return replace(super().order(), period_start=self.period_start, period_end=self.period_end)


class InvoiceCreate(Request):
    customer_id: RecordId
    currency: CurrencyCode | None = Field(None, description="The tenant's default currency when omitted")
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=500)
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=50)
    payment_terms: Terms | None = Field(None, description=TERMS)
    days_until_due: Integer | None = Field(None, ge=0, le=365)
    due_date: Day | None = None
    memo: LongText = ""
    footer: LongText = ""
    owner: ShortText | None = Field(None, description="The user who owns the invoice; the caller when omitted")
    associated_customer_ids: list[RecordId] = Field(default_factory=list, max_length=20)
    finalize: Flag = Field(False, description="Finalize at once (number it and open it) instead of saving a draft")

    def order(self) -> InvoiceOrder:
        from billing.domain.orders import InvoiceOrder

        return InvoiceOrder(
            customer_id=self.customer_id,
            lines=tuple(line.order() for line in self.lines),
            adjustments=tuple(adjustment.order() for adjustment in self.adjustments),
            currency=self.currency,
            payment_terms=self.payment_terms,
            days_until_due=self.days_until_due,
            due_date=self.due_date,
            memo=self.memo,
            footer=self.footer,
            owner=self.owner,
            associated_customer_ids=tuple(self.associated_customer_ids),
            finalize=self.finalize,
        )


class InvoiceUpdate(Request):
    customer_id: RecordId = omittable(description="Drafts only")
    currency: CurrencyCode = omittable()
    lines: list[InvoiceLineIn] = omittable(min_length=1, max_length=500)
    adjustments: list[AdjustmentIn] = omittable(max_length=50)
    payment_terms: Terms = omittable(description=TERMS)
    days_until_due: Integer = omittable(ge=0, le=365)
    due_date: Day = omittable()
    memo: LongText = omittable()
    footer: LongText = omittable()
    owner: ShortText = omittable()
    associated_customer_ids: list[RecordId] = omittable(max_length=20)

    def changes(self) -> dict[str, Any]:
        """The fields sent, the lines and adjustments as written orders."""
        changes = changes_of(self)
        for name in ("lines", "adjustments"):
            if name in changes:
                changes[name] = tuple(written.order() for written in getattr(self, name))
        return changes


class PaymentRecord(Request):
    amount: AmountIn | None = Field(
        None,
        description="Minor units; required by hand. With payment_id, the part of that payment to apply "
        "(by default what is left of it, up to the amount due)",
    )
    paid_on: Day | None = Field(None, description="Today when omitted")
    method: ManualMethod = "bank_transfer"
    reference: ShortText = ""
    payment_id: RecordId | None = Field(
        None, description="Apply this succeeded payment of the ledger instead of recording one by hand"
    )

    def entry(self) -> PaymentEntry:
        from billing.domain.orders import PaymentEntry

        return PaymentEntry(self.amount, self.paid_on, self.method, self.reference, self.payment_id)


class SendRequest(Request):
    to: Email = Field("", description="The customer's billing email when omitted")
    cc: list[Email] = Field(default_factory=list, max_length=9, description="Up to 9 copies")
    subject: ShortText = Field("", description="The tenant's invoice_email_subject when omitted")
    message: LongText = Field("", description="The tenant's invoice_email_message when omitted")

    def order(self) -> SendOrder:
        from billing.domain.orders import SendOrder

        return SendOrder(self.to, tuple(self.cc), self.subject, self.message)


class SentReceiptOut(Response):
    object: Literal["receipt"] = "receipt"
    invoice_id: str
    payment_id: str = Field(description="The payment on the invoice it confirms")
    amount: Amount
    currency: str
    sent_to: str
    sent_at: dt.datetime
    message_id: str = Field(description="The mail service's id of the message")


class ChargeInvoice(Request):
    payment_method_id: str | None = Field(None, max_length=64, description="The customer's default when omitted")


class ReceiptRequest(Request):
    to: Email = Field("", description="The customer's billing email when omitted")


class RecipientOut(Response):
    name: str
    company_name: str
    email: str
    line1: str
    line2: str
    postal_code: str
    city: str
    state: str
    country: str
    vat_id: str
    debtor_number: int | None


class InvoiceLineOut(Response):
    name: str
    description: str
    product_id: str | None
    quantity: str
    unit_price: str
    billing_frequency: BillingFrequency
    discount_type: str | None
    discount_value: str | None
    tax_name: str | None
    tax_percentage: str | None
    tax_inclusive: bool
    tax_rate_id: str | None
    tax_category: VatCategoryCode | None = Field(description="null: issued before categories (S above 0 %, else E)")
    tax_exemption_reason: str = Field(description="At 0 %: why no VAT is charged")
    tax_exemption_code: str
    period_start: dt.date | None
    period_end: dt.date | None
    amount: Amount = Field(description="quantity x unit price, minor units")
    discount: Amount
    net: Amount
    tax: Amount
    total: Amount


class AdjustmentShareOut(Response):
    amount: Amount = Field(description="The part of the discount or fee on the lines of this rate")
    tax: Amount = Field(description="The tax it takes off that rate (a discount) or adds to it (a fee)")
    tax_name: str | None
    tax_percentage: str | None = Field(description="null: the lines without a tax")
    tax_inclusive: bool
    tax_category: VatCategoryCode | None
    tax_exemption_reason: str
    tax_exemption_code: str


class InvoiceAdjustmentOut(Response):
    kind: str
    type: str
    value: str
    name: str
    amount: Amount
    shares: list[AdjustmentShareOut] = Field(
        description="A discount or fee split across the VAT rates of the lines in proportion to their amounts "
        "(VAT is due on what the buyer pays); empty for a one-time tax"
    )


class TaxAmountOut(Response):
    name: str
    percentage: str
    inclusive: bool
    category: VatCategoryCode
    exemption_reason: str = Field(description="At 0 %: why no VAT is charged, as the invoice prints it")
    exemption_code: str
    net: Amount
    tax: Amount


class InvoicePaymentOut(Response):
    id: str
    amount: Amount
    paid_on: dt.date
    source: Literal["manual", "ledger", "online", "credit_balance"]
    method: str
    reference: str
    payment_id: str | None
    refunded: Amount = Field(description="Of this amount, what a refund of the ledger payment gave back")
    recorded_at: dt.datetime
    recorded_by: str


class InvoiceCreditOut(Response):
    credit_note_id: str
    number: str
    issued_on: dt.date
    total: Amount


class InvoiceOut(Response):
    id: str
    object: Literal["invoice"] = "invoice"
    number: str | None = Field(description="Given when finalized; drafts have none")
    status: Literal["draft", "open", "partially_paid", "paid", "credited", "void"] = Field(
        description="credited: credit notes took back its whole total"
    )
    overdue: bool = Field(description="Open past its due date")
    customer_id: str
    currency: str
    recipient: RecipientOut = Field(description="The buyer as on the invoice: copied from the customer when made")
    lines: list[InvoiceLineOut]
    adjustments: list[InvoiceAdjustmentOut]
    tax_amounts: list[TaxAmountOut] = Field(description="Net and tax per rate, then each one-time tax")
    vat_treatment: Literal["domestic", "reverse_charge", "eu_consumer", "outside_eu", "small_business"] = Field(
        description="How VAT applies, decided when the lines were priced from the seller's and the buyer's countries, "
        "the buyer's type and confirmed VAT id, and the settings"
    )
    vat_treatment_note: str = Field(description="Why that treatment")
    lines_amount: Amount
    line_discounts: Amount
    subtotal: Amount
    one_time_discounts: Amount
    fees: Amount
    taxes: Amount
    taxes_included: Amount
    total: Amount
    amount_paid: Amount
    amount_credited: Amount = Field(description="What its credit notes took back")
    amount_due: Amount
    payments: list[InvoicePaymentOut]
    credits: list[InvoiceCreditOut] = Field(description="Its credit notes, oldest first")
    payment_terms: Terms
    days_until_due: int | None
    due_date: dt.date | None
    issued_on: dt.date | None
    memo: str
    footer: str
    owner: str
    associated_customer_ids: list[str]
    subscription_id: str | None
    cloned_from: str | None
    hosted_url: str | None = Field(description="The hosted invoice page; anyone with the link sees the invoice")
    last_sent_at: dt.datetime | None
    finalized_at: dt.datetime | None
    paid_at: dt.datetime | None
    voided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def invoice_out(invoice: Invoice, today: dt.date, hosted_base: str = "") -> InvoiceOut:
    from billing.domain.invoices import hosted_url

    totals = {f.name: getattr(invoice.totals, f.name) for f in fields(invoice.totals)}
    return out(
        InvoiceOut,
        invoice,
        overdue=invoice.overdue(today),
        hosted_url=hosted_url(invoice, hosted_base),
        **totals,
    )


class HistoryEntryOut(Response):
    id: str
    type: str
    at: dt.datetime
    actor: str
    summary: str
    data: dict


def history_entry_out(entry: HistoryEntry) -> HistoryEntryOut:
    return out(HistoryEntryOut, entry)


class DocumentLinkOut(Response):
    url: str = Field(description="Presigned download link")
    expires_at: dt.datetime


class RatedExportRequest(Request):
    """An export of documents that charge VAT (invoices, credit notes)."""

    format: Literal["xlsx", "csv"] = "xlsx"
    columns: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list,
        max_length=40,
        description="Columns in this order; every column when empty. `rates` stands for a net and a VAT column per "
        "VAT rate (net_19, vat_19, net_7, ..., net_0_AE for a reverse charge's)",
    )
    decimal_comma: Flag = Field(False, description="A CSV as German spreadsheets read it: 1234,50 and ';'")


class InvoiceExportRequest(RatedExportRequest):
    ids: list[RecordId] = Field(default_factory=list, max_length=1000, description="These invoices (else the filter)")
    status: list[Literal["draft", "open", "partially_paid", "paid", "credited", "void"]] = Field(
        default_factory=list, max_length=6
    )
    customer_id: RecordId | None = None
    due_from: Day | None = None
    due_to: Day | None = None
    created_from: Day | None = None
    created_to: Day | None = None
    amount_min: Integer | None = Field(None, ge=0)
    amount_max: Integer | None = Field(None, ge=0)
    overdue: Flag = False
