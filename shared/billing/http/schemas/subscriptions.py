"""Subscription request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from billing.domain.periods import BillingFrequency
from billing.http.schemas.common import (
    Amount,
    CurrencyCode,
    Day,
    Flag,
    Integer,
    Request,
    Response,
    VatCategoryCode,
    changes_of,
    omittable,
    out,
)
from billing.http.schemas.pricing import AdjustmentIn, LineIn

if TYPE_CHECKING:
    from billing.domain.orders import SubscriptionOrder
    from billing.domain.subscriptions import Subscription
    from billing.services.subscriptions.cancel import Cancellation

RecordId = Annotated[str, Field(max_length=40)]
Status = Literal["scheduled", "active", "unpaid", "canceled", "expired"]
Collection = Literal["charge_automatically", "send_invoice"]


class SubscriptionCreate(Request):
    customer_id: RecordId
    currency: CurrencyCode
    lines: list[LineIn] = Field(
        min_length=1,
        max_length=500,
        description="Recurring lines; lines that differ in frequency, start or number of payments form separate "
        "subscriptions",
    )
    adjustments: list[AdjustmentIn] = Field(
        default_factory=list, max_length=50, description="One-time discounts, fees and taxes on the first payment"
    )
    collection_method: Collection = Field(
        "charge_automatically",
        description="charge_automatically (AutoPay with the card on file) or send_invoice (each cycle's invoice is "
        "emailed with its Pay link)",
    )
    payment_method_id: RecordId | None = Field(None, description="AutoPay: this saved method; the default when omitted")
    days_until_due: Integer | None = Field(
        None, ge=0, le=365, description="send_invoice: the payment terms of each invoice (0 or omitted: on receipt)"
    )
    address_id: RecordId | None = Field(
        None, description="One of the customer's addresses to bill to; omitted: its billing address, as it changes"
    )

    def order(self) -> SubscriptionOrder:
        from billing.domain.orders import SubscriptionOrder
        from billing.domain.subscriptions import CollectionMethod

        return SubscriptionOrder(
            customer_id=self.customer_id,
            currency=self.currency,
            lines=tuple(line.order() for line in self.lines),
            adjustments=tuple(adjustment.order() for adjustment in self.adjustments),
            collection_method=CollectionMethod(self.collection_method),
            payment_method_id=self.payment_method_id,
            days_until_due=self.days_until_due,
            address_id=self.address_id,
        )


class SubscriptionUpdate(Request):
    lines: list[LineIn] = omittable(
        min_length=1, max_length=500, description="The lines from the next period on (same frequency)"
    )
    next_payment_date: Day = omittable(description="The schedule continues from this date")
    payment_method_id: RecordId = omittable()
    address_id: RecordId | None = Field(None, description="One of the customer's addresses; null follows the default")

    def changes(self) -> dict[str, Any]:
        """The fields sent, the lines as written orders."""
        changes = changes_of(self, nullable=("address_id",))
        if "lines" in changes:
            changes["lines"] = tuple(line.order() for line in self.lines)
        return changes


class CancelRequest(Request):
    mode: Literal["immediately", "at_period_end", "immediately_with_refund"]
    confirm: Flag = Field(False, description="Must be true: the caller confirms the customer will not be charged again")


class SubscriptionExportRequest(Request):
    format: Literal["xlsx", "csv"] = "xlsx"
    ids: list[RecordId] = Field(default_factory=list, max_length=1000, description="These (else the filter)")
    status: list[Status] = Field(default_factory=list, max_length=5)
    customer_id: RecordId | None = None
    product_id: RecordId | None = None
    collection_method: Collection | None = None


class DiscountOut(Response):
    type: str
    value: str


class TaxOut(Response):
    name: str
    percentage: str
    inclusive: bool
    tax_rate_id: str | None
    vat_category: VatCategoryCode
    exemption_reason: str
    exemption_code: str


class SubscriptionLineOut(Response):
    name: str
    description: str
    product_id: str | None
    quantity: str
    unit_price: str
    discount: DiscountOut | None
    tax: TaxOut | None


class PeriodOut(Response):
    number: int = Field(description="0 = the first")
    start: dt.date
    end: dt.date


class DunningOut(Response):
    period: int = Field(description="The period whose invoice is being collected again")
    since: dt.date = Field(description="When its charge first failed (AutoPay) or it fell due (invoice mode)")
    steps: int = Field(description="Retries made (AutoPay) or overdue reminders sent (invoice mode)")
    next_on: dt.date | None = Field(description="The next retry or reminder; null: nothing more is tried")
    hard: bool = Field(description="A hard decline (a stolen card, say): not retried")
    failed_payment_id: str | None


class SubscriptionOut(Response):
    id: str
    object: Literal["subscription"] = "subscription"
    status: Status
    customer_id: str
    currency: str
    frequency: BillingFrequency
    collection_method: Collection
    lines: list[SubscriptionLineOut]
    starts_on: dt.date
    payments: int | None = Field(description="A fixed number of payments; null renews until canceled")
    payments_made: int
    payments_left: int | None
    periods_billed: int
    current_period: PeriodOut | None = Field(description="The period billed last")
    next_payment_on: dt.date | None
    last_payment_on: dt.date | None
    ends_on: dt.date | None
    payment_method_id: str | None
    first_payment_id: str | None
    days_until_due: int | None
    address_id: str | None
    cancel_at_period_end: bool
    canceled_at: dt.datetime | None
    ended_on: dt.date | None
    dunning: DunningOut | None = Field(
        description="The failed charge being retried (AutoPay) or the overdue invoice being reminded of "
        "(invoice mode, from its first reminder on); null while nothing is overdue"
    )
    first_reminder_on: dt.date | None = Field(
        description="Invoice mode: the day the buyer is first reminded if the sent invoice is still unpaid"
    )
    invoice_ids: list[str] | None = Field(None, description="Its invoices, newest first (when one is read)")
    created_at: dt.datetime
    updated_at: dt.datetime


class PaymentMethodLinkOut(Response):
    url: str = Field(description="The buyer's page; anyone with the link may save a method for this subscription")
    expires_at: dt.datetime
    sent_to: str


class CreatedSubscriptionsOut(Response):
    data: list[SubscriptionOut] = Field(description="Every subscription the lines formed, each with its lines")


def subscription_out(subscription: Subscription, invoice_ids: list[str] | None = None) -> SubscriptionOut:
    return out(SubscriptionOut, subscription, invoice_ids=invoice_ids, dunning=_dunning_out(subscription))


def _dunning_out(subscription: Subscription) -> DunningOut | None:
    begun = subscription.dunning_begun
    return out(DunningOut, begun) if begun is not None else None


class SubscriptionCanceledOut(SubscriptionOut):
    refunded: Amount = Field(description="What was refunded for the unused days (minor units); 0 without a refund")
    credit_note_id: str | None = Field(description="The credit note of the period's invoice that refunded it")
    credit_note_number: str | None


def subscription_canceled_out(canceled: Cancellation) -> SubscriptionCanceledOut:
    note = canceled.credit_note
    return out(
        SubscriptionCanceledOut,
        canceled.subscription,
        dunning=_dunning_out(canceled.subscription),
        refunded=canceled.refunded,
        credit_note_id=note.id if note else None,
        credit_note_number=note.number if note else None,
    )
