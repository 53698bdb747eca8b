"""Payment-method, payment and Stripe-connection bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from billing.http.schemas.common import (
    Amount,
    AmountIn,
    CurrencyCode,
    Flag,
    Request,
    Response,
    ShortText,
    omittable,
    out,
)

if TYPE_CHECKING:
    from billing.domain.payments import Charge, Payment, PaymentMethod


class SetupRequest(Request):
    make_default: Flag = Field(
        False, description="Make the card the default once saved (the customer's first card always becomes it)"
    )


class SetupOut(Response):
    setup_intent_id: str
    client_secret: str = Field(description="Pass to Stripe.js confirmCardSetup / confirmSetup")
    publishable_key: str = Field(description="The platform's publishable key for Stripe(...)")
    stripe_account: str = Field(description="The connected account: Stripe(publishable_key, {stripeAccount})")
    stripe_customer_id: str


class PaymentMethodOut(Response):
    id: str
    object: Literal["payment_method"] = "payment_method"
    type: str
    brand: str = Field(description="A card's network; empty for a bank account")
    last4: str
    exp_month: int | None = Field(description="A card's expiry; null for a bank account, which has none")
    exp_year: int | None
    bank_code: str = Field(description="A SEPA account's bank code; empty for a card")
    country: str = Field(description="A SEPA account's country")
    mandate_reference: str = Field(
        description="A SEPA account's mandate reference, as its debits and the buyer's bank statement name it"
    )
    is_default: bool
    description: str
    created_at: datetime


def payment_method_out(m: PaymentMethod) -> PaymentMethodOut:
    card = m.type == "card"
    expiry = {"exp_month": m.exp_month if card else None, "exp_year": m.exp_year if card else None}
    return out(PaymentMethodOut, m, description=m.describe(), **expiry)


class PaymentMethodList(Response):
    data: list[PaymentMethodOut]


class ChargeRequest(Request):
    customer_id: str = Field(max_length=40)
    amount: AmountIn = Field(description="Minor units (cents)")
    currency: CurrencyCode
    payment_method_id: str | None = Field(None, max_length=64, description="Defaults to the customer's default")
    description: ShortText = ""

    def charge(self) -> Charge:
        from billing.domain.payments import Charge

        return Charge(self.customer_id, self.amount, self.currency, self.payment_method_id, self.description)


class RefundRequest(Request):
    amount: AmountIn = omittable(description="Minor units; the whole remaining amount when omitted")


class PaymentApplicationOut(Response):
    invoice_id: str
    amount: Amount = Field(description="The part of the payment applied to the invoice, minor units")
    refunded: Amount = Field(description="Of that part, what refunds of the payment gave back")
    applied_at: datetime


class PaymentOut(Response):
    id: str
    object: Literal["payment"] = "payment"
    customer_id: str
    amount: Amount
    currency: str
    status: Literal["pending", "succeeded", "failed", "refunded", "disputed"]
    amount_refunded: Amount
    method: str
    payment_method_id: str | None
    processor: str
    processor_payment_id: str | None
    processor_charge_id: str | None
    failure_code: str | None
    decline_code: str | None = Field(
        description="The issuer's reason of a card decline (insufficient_funds, stolen_card)"
    )
    failure_message: str | None
    description: str
    invoice_id: str | None = Field(description="The invoice Billow took it for, if any")
    applications: list[PaymentApplicationOut] = Field(
        description="The invoices it pays; together never more than the payment less its refunds"
    )
    amount_unapplied: Amount = Field(description="What is left to apply to an invoice")
    created_at: datetime
    updated_at: datetime


def payment_out(p: Payment) -> PaymentOut:
    return out(PaymentOut, p)


class ConnectIn(Request):
    return_url: str = omittable(
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="Where the browser returns after Stripe, with stripe_connect=connected or =error&reason=; "
        "without it a plain page says how it went",
    )


class ConnectOut(Response):
    authorize_url: str = Field(description="Open in the admin's browser: Stripe's page to grant access")
    expires_at: datetime = Field(description="The link works once, until then")


class StripeConnectionOut(Response):
    connected: bool
    account_id: str | None
