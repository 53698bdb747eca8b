"""Credit note request and response bodies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from billing.http.schemas.common import (
    Amount,
    AmountIn,
    Day,
    DecimalString,
    Integer,
    LongText,
    Request,
    Response,
    ShortText,
    VatCategoryCode,
    out,
)
from billing.http.schemas.invoices import RatedExportRequest, RecipientOut, TaxAmountOut

if TYPE_CHECKING:
    from billing.domain.credit_notes import CreditNote, CreditNoteFilter
    from billing.domain.orders import CreditOrder

Reason = Literal[
    "duplicate", "fraudulent", "order_change", "product_unsatisfactory", "refund", "cancellation", "void", "other"
]
REASONS = (
    "duplicate, fraudulent, order_change, product_unsatisfactory or other; refund, cancellation and void name the "
    "credit notes Billow makes when a payment is refunded, a subscription is canceled with a refund, or an invoice "
    "that was sent is voided"
)
SettlementChoice = Literal["refund", "manual_refund", "credit_balance"]
SETTLEMENTS = (
    "What becomes of what the credit gives back of money already paid: refund (through Stripe, on the invoice's "
    "payment), manual_refund (refunded by hand; give a reference), credit_balance (the customer's next invoices use "
    "it first). Required when the credit exceeds what the invoice still asks for"
)


class LineCreditIn(Request):
    line: Integer = Field(ge=0, le=499, description="The invoice line's position, from 0")
    quantity: DecimalString | None = Field(None, description="What to take back of it; all that is left when omitted")


class CreditNoteCreate(Request):
    reason: Reason = Field(description=REASONS)
    lines: list[LineCreditIn] = Field(default_factory=list, max_length=500, description="Lines and quantities")
    amount: AmountIn | None = Field(
        None, description="An amount VAT included, split across the invoice's rates (instead of lines)"
    )
    description: ShortText = Field("", description="The line of an amount credit; names the invoice when empty")
    memo: LongText = Field("", description="Printed on the credit note")
    settlement: SettlementChoice | None = Field(None, description=SETTLEMENTS)
    payment_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="The ledger payment of the invoice a refund goes to; the latest that holds enough"
    )
    reference: ShortText = Field("", description="Of a refund made by hand")

    def order(self) -> CreditOrder:
        from billing.domain.credit_notes import LineCredit
        from billing.domain.orders import CreditOrder

        return CreditOrder(
            reason=self.reason,
            lines=tuple(
                LineCredit(line.line, Decimal(line.quantity) if line.quantity is not None else None)
                for line in self.lines
            ),
            amount=self.amount,
            description=self.description,
            memo=self.memo,
            settlement=self.settlement,
            payment_id=self.payment_id,
            reference=self.reference,
        )


class CreditNoteLineOut(Response):
    name: str
    quantity: str
    unit_price: str = Field(description="Net of tax, per unit")
    net: Amount
    tax: Amount
    total: Amount
    invoice_line: int | None = Field(description="The invoice line it takes back; null: an amount on one rate")
    tax_name: str | None
    tax_percentage: str | None
    tax_category: VatCategoryCode | None
    tax_exemption_reason: str
    tax_exemption_code: str
    period_start: dt.date | None
    period_end: dt.date | None


class CreditNoteAdjustmentOut(Response):
    kind: Literal["discount", "fee"]
    name: str
    net: Amount = Field(description="The part of the invoice's one-time discount or fee on one rate that goes back")
    tax: Amount
    tax_name: str | None
    tax_percentage: str | None
    tax_category: VatCategoryCode | None


class CreditRefundOut(Response):
    payment_id: str
    amount: Amount
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="pending: Stripe's answer is outstanding; the same request again (Idempotency-Key) finishes it"
    )
    failure: str


class CreditNoteOut(Response):
    id: str
    object: Literal["credit_note"] = "credit_note"
    number: str = Field(description="From the tenant's own gapless credit-note sequence")
    invoice_id: str
    invoice_number: str
    invoice_issued_on: dt.date
    customer_id: str
    currency: str
    recipient: RecipientOut
    issued_on: dt.date
    reason: Reason
    memo: str
    full: bool = Field(description="It cancels the whole invoice at once (a Stornorechnung)")
    lines: list[CreditNoteLineOut]
    adjustments: list[CreditNoteAdjustmentOut]
    tax_amounts: list[TaxAmountOut] = Field(description="Net and VAT taken back per rate")
    net: Amount
    tax: Amount
    total: Amount
    due_reduced: Amount = Field(description="Of the total, what the invoice no longer asks for")
    settlement: SettlementChoice | None
    settled: Amount = Field(description="Of the total, what went back of money paid, as the settlement says")
    credited_to_balance: Amount
    refund: CreditRefundOut | None
    manual_reference: str
    vat_treatment: str
    created_by: str
    created_at: dt.datetime
    last_sent_at: dt.datetime | None = Field(description="When it was last emailed")


def credit_note_out(note: CreditNote) -> CreditNoteOut:
    return out(CreditNoteOut, note)


class CreditBalanceOut(Response):
    currency: str
    amount: Amount


class CreditBalancesOut(Response):
    object: Literal["credit_balances"] = "credit_balances"
    balances: list[CreditBalanceOut] = Field(description="Per currency; what the customer's next invoices use first")


class CreditNoteExportRequest(RatedExportRequest):
    ids: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=1000, description="These credit notes (else the filter)"
    )
    invoice_id: Annotated[str, Field(max_length=40)] | None = None
    customer_id: Annotated[str, Field(max_length=40)] | None = None
    reason: list[Reason] = Field(default_factory=list, max_length=8)
    settlement: list[SettlementChoice] = Field(default_factory=list, max_length=3)
    created_from: Day | None = None
    created_to: Day | None = None

    def filter(self) -> CreditNoteFilter:
        from billing.domain.credit_notes import CreditNoteFilter
        from billing.domain.errors import ValidationFailed

        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValidationFailed.of("created_to", "must not be before created_from")
        return CreditNoteFilter(
            invoice_id=self.invoice_id,
            customer_id=self.customer_id,
            reasons=tuple(self.reason),
            settlements=tuple(self.settlement),
            created_from=self.created_from.isoformat() if self.created_from else None,
            created_to=self.created_to.isoformat() if self.created_to else None,
            ids=tuple(self.ids),
        )
