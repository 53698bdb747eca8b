"""POST /v1/pricing/preview: request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from billing.domain.limits import MAX_PAYMENTS
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.http.schemas.common import (
    Amount,
    AmountSum,
    CurrencyCode,
    Day,
    DecimalString,
    ExemptionCode,
    ExemptionReason,
    Flag,
    Integer,
    LongText,
    RateCategory,
    Request,
    Response,
    ShortText,
    VatCategoryCode,
)

if TYPE_CHECKING:
    from billing.domain.metrics import Metrics
    from billing.domain.orders import AdjustmentOrder, DiscountOrder, LineOrder, PreviewOrder, TaxOrder
    from billing.services.pricing import Preview


class BillingStartIn(Request):
    type: BillingStartKind = BillingStartKind.AT_CREATION
    date: Day | None = Field(None, description="For custom_date")
    days: Integer = Field(0, ge=0, le=3650, description="For delay_days")
    months: Integer = Field(0, ge=0, le=120, description="For delay_months")

    def start(self) -> BillingStart:
        return BillingStart(self.type, on=self.date, days=self.days, months=self.months)


class DiscountIn(Request):
    type: Literal["percent", "amount"]
    value: DecimalString = Field(description="Percent of the unit price, or an amount off each unit")

    def order(self) -> DiscountOrder:
        from billing.domain.orders import DiscountOrder
        from billing.domain.pricing import AmountType

        return DiscountOrder(AmountType(self.type), self.value)


class TaxIn(Request):
    name: ShortText = "Tax"
    percentage: DecimalString
    inclusive: Flag = False
    category: RateCategory | None = None
    exemption_reason: ExemptionReason = ""
    exemption_code: ExemptionCode = ""

    def order(self) -> TaxOrder:
        from billing.domain.orders import TaxOrder
        from billing.domain.vat import VatCategory

        category = VatCategory(self.category) if self.category else None
        return TaxOrder(
            self.percentage, self.name, self.inclusive, category, self.exemption_reason, self.exemption_code
        )


class LineIn(Request):
    product_id: str | None = Field(
        None,
        max_length=40,
        description="A library product; the line's other fields override its values on this document only",
    )
    name: ShortText | None = None
    description: LongText | None = None
    quantity: DecimalString = "1"
    unit_price: DecimalString | None = Field(None, description="Up to six decimals; required for a custom line")
    unit_cost: DecimalString | None = None
    billing_frequency: BillingFrequency | None = None
    payments: Integer | None = Field(
        None, ge=1, le=MAX_PAYMENTS, description="Fixed number of payments; omit to auto-renew"
    )
    billing_start: BillingStartIn | None = None
    discount: DiscountIn | None = None
    tax_rate_id: str | None = Field(
        None, max_length=40, description="Omit with tax: the product's rate, else the settings' default_tax_rate_id"
    )
    tax: TaxIn | None = None

    def order(self) -> LineOrder:
        from billing.domain.orders import LineOrder

        return LineOrder(
            product_id=self.product_id,
            name=self.name,
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            unit_cost=self.unit_cost,
            billing_frequency=self.billing_frequency,
            payments=self.payments,
            billing_start=self.billing_start.start() if self.billing_start else None,
            discount=self.discount.order() if self.discount else None,
            tax_rate_id=self.tax_rate_id,
            tax=self.tax.order() if self.tax else None,
        )


class AdjustmentIn(Request):
    kind: Literal["discount", "fee", "tax"]
    type: Literal["percent", "amount"]
    value: DecimalString
    name: ShortText = ""

    def order(self) -> AdjustmentOrder:
        from billing.domain.orders import AdjustmentOrder
        from billing.domain.pricing import AdjustmentKind, AmountType

        return AdjustmentOrder(AdjustmentKind(self.kind), AmountType(self.type), self.value, self.name)


class PreviewRequest(Request):
    currency: CurrencyCode
    date: Day | None = Field(None, description="The day the document is created; today when omitted")
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=50)
    for_invoice: Flag = Field(False, description="Price recurring lines once, as on an invoice")
    schedule_length: Integer = Field(12, ge=1, le=520)

    def order(self) -> PreviewOrder:
        from billing.domain.orders import PreviewOrder

        return PreviewOrder(
            currency=self.currency,
            lines=tuple(line.order() for line in self.lines),
            adjustments=tuple(adjustment.order() for adjustment in self.adjustments),
            on=self.date,
            for_invoice=self.for_invoice,
            schedule_length=self.schedule_length,
        )


class MetricsOut(Response):
    mrr: AmountSum
    arr: AmountSum
    acv: AmountSum
    tcv: AmountSum
    margin_mrr: AmountSum
    margin_arr: AmountSum
    margin_acv: AmountSum
    margin_tcv: AmountSum
    costs_known: bool


class PricedLineOut(Response):
    index: int
    name: str
    product_id: str | None
    quantity: str
    unit_price: str
    billing_frequency: BillingFrequency
    payments: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    amount: Amount = Field(description="quantity x unit price, minor units")
    discount: Amount
    net: Amount
    tax: Amount
    tax_inclusive: bool
    total: Amount = Field(description="What one payment of this line costs the buyer")
    metrics: MetricsOut


class AdjustmentOut(Response):
    kind: str
    type: str
    value: str
    name: str
    amount: Amount


class RateTotalOut(Response):
    name: str | None = Field(description="The rate's name; null with percentage: the lines without a tax")
    percentage: str | None
    inclusive: bool
    vat_category: VatCategoryCode
    exemption_reason: str
    net: Amount = Field(description="The lines' net at this rate after the one-time discounts and fees, without tax")
    tax: Amount


class DueNowOut(Response):
    lines_amount: Amount
    line_discounts: Amount
    subtotal: Amount
    one_time_discounts: Amount
    fees: Amount
    taxes: Amount
    taxes_included: Amount
    total: Amount
    adjustments: list[AdjustmentOut]
    rates: list[RateTotalOut] = Field(description="Net and tax per rate after the one-time discounts and fees")


class RecurringOut(Response):
    billing_frequency: BillingFrequency
    amount: Amount


class FuturePaymentsOut(Response):
    total: AmountSum | None
    computable: bool
    until_cancelled: list[RecurringOut]


class ContractValueOut(Response):
    amount: AmountSum | None
    computable: bool
    reason: str | None


class SubscriptionGroupOut(Response):
    billing_frequency: BillingFrequency
    starts_on: dt.date
    payments: int | None
    ends_on: dt.date | None
    line_indexes: list[int]


class ScheduledPaymentOut(Response):
    date: dt.date
    amount: AmountSum = Field(description="What falls due that day: the payments of every subscription billed on it")


class PreviewOut(Response):
    currency: str
    date: dt.date
    lines: list[PricedLineOut]
    due_now: DueNowOut
    future_payments: FuturePaymentsOut
    total_contract_value: ContractValueOut
    metrics: MetricsOut
    subscriptions: list[SubscriptionGroupOut]
    schedule: list[ScheduledPaymentOut]


def _metrics(m: Metrics) -> MetricsOut:
    return MetricsOut(**vars(m))


def preview_out(p: Preview) -> PreviewOut:
    from billing.domain.money import format_decimal

    s = p.summary
    now = s.due_now
    return PreviewOut(
        currency=s.currency,
        date=p.today,
        lines=[
            PricedLineOut(
                index=line.index,
                name=line.item.name,
                product_id=line.item.product_id,
                quantity=format_decimal(line.item.quantity),
                unit_price=format_decimal(line.item.unit_price),
                billing_frequency=line.item.frequency,
                payments=line.item.payments,
                starts_on=line.starts_on,
                ends_on=line.ends_on,
                amount=line.amount,
                discount=line.discount,
                net=line.net,
                tax=line.tax,
                tax_inclusive=bool(line.item.tax and line.item.tax.inclusive),
                total=line.total,
                metrics=_metrics(p.line_metrics[line.index]),
            )
            for line in s.lines
        ],
        due_now=DueNowOut(
            lines_amount=now.lines_amount,
            line_discounts=now.line_discounts,
            subtotal=now.subtotal,
            one_time_discounts=now.one_time_discounts,
            fees=now.fees,
            taxes=now.taxes,
            taxes_included=now.taxes_included,
            total=now.total,
            adjustments=[
                AdjustmentOut(
                    kind=a.adjustment.kind.value,
                    type=a.adjustment.type.value,
                    value=format_decimal(a.adjustment.value),
                    name=a.adjustment.name,
                    amount=a.amount,
                )
                for a in now.adjustments
            ],
            rates=[
                RateTotalOut(
                    name=rate.tax.name if rate.tax else None,
                    percentage=format_decimal(rate.tax.percentage) if rate.tax else None,
                    inclusive=bool(rate.tax and rate.tax.inclusive),
                    vat_category=rate.tax.vat_category.value if rate.tax else "E",
                    exemption_reason=rate.tax.exemption_reason if rate.tax else "",
                    net=rate.net,
                    tax=rate.tax_amount,
                )
                for rate in now.rates
            ],
        ),
        future_payments=FuturePaymentsOut(
            total=s.future.total,
            computable=s.future.total is not None,
            until_cancelled=[
                RecurringOut(billing_frequency=f, amount=a) for f, a in s.future.recurring_until_cancelled
            ],
        ),
        total_contract_value=ContractValueOut(
            amount=s.total_contract_value,
            computable=s.total_contract_value is not None,
            reason=None
            if s.total_contract_value is not None
            else "an auto-renewing line has no number of payments, so the contract has no total",
        ),
        metrics=_metrics(p.metrics),
        subscriptions=[
            SubscriptionGroupOut(
                billing_frequency=g.frequency,
                starts_on=g.starts_on,
                payments=g.payments,
                ends_on=g.ends_on,
                line_indexes=list(g.line_indexes),
            )
            for g in p.subscriptions
        ],
        schedule=[ScheduledPaymentOut(date=x.on, amount=x.amount) for x in p.schedule],
    )
