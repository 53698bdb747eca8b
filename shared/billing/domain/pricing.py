"""Line items into money: priced lines, the document that balances to
the minor unit, the summary of what is due now and later, and the subscription groups.

Amounts are integers in the currency's minor units. Each line is rounded once, half-up, from its
exact value: the buyer pays round(quantity x (unit price - unit discount)), and the discount shown
is what makes the line balance (11.90 with 15 % off: pays 10.12, discount 1.78)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.limits import MAX_LINES, MAX_PAYMENTS, MAX_QUANTITY
from billing.domain.money import MAX_AMOUNT, MAX_UNIT_PRICE, normalize_currency, round_half_up, to_minor
from billing.domain.periods import BillingFrequency, BillingStart, billing_dates, end_date

HUNDRED = Decimal(100)
_TOO_LARGE = f"one payment carries at most {MAX_AMOUNT} minor units"


class AmountType(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True)
class UnitDiscount:
    """A discount per unit, a percentage of the unit price or an amount off each unit."""

    type: AmountType
    value: Decimal


@dataclass(frozen=True)
class LineTax:
    """A tax rate from the tenant's library, copied onto the line (a snapshot)."""

    name: str
    percentage: Decimal
    inclusive: bool = False
    tax_rate_id: str | None = None


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: Decimal
    unit_price: Decimal
    frequency: BillingFrequency = BillingFrequency.ONE_TIME
    payments: int | None = None  # Fixed number of payments; None = auto-renew until cancelled
    billing_start: BillingStart = field(default_factory=BillingStart)
    discount: UnitDiscount | None = None
    tax: LineTax | None = None
    unit_cost: Decimal | None = None
    product_id: str | None = None
    description: str = ""

    @property
    def auto_renews(self) -> bool:
        return self.frequency.is_recurring and self.payments is None

    def as_one_time(self) -> LineItem:
        """A recurring product put on an invoice is billed once; the library is untouched."""
        return LineItem(**{**self.__dict__, "frequency": BillingFrequency.ONE_TIME, "payments": None})


class AdjustmentKind(StrEnum):
    DISCOUNT = "discount"
    FEE = "fee"
    TAX = "tax"


@dataclass(frozen=True)
class Adjustment:
    """A one-time discount, fee or tax on the subtotal due now; never on later payments."""

    kind: AdjustmentKind
    type: AmountType
    value: Decimal
    name: str = ""


@dataclass(slots=True)
class PricedLine:
    """One payment of a line: ``amount`` (quantity x unit price) - ``discount`` = ``net``;
    ``tax`` is added to the total when exclusive and contained in ``net`` when inclusive."""

    index: int
    item: LineItem
    starts_on: date
    amount: int
    discount: int
    net: int
    tax: int

    @property
    def exclusive_tax(self) -> int:
        return 0 if self.item.tax is None or self.item.tax.inclusive else self.tax

    @property
    def included_tax(self) -> int:
        return self.tax if self.item.tax is not None and self.item.tax.inclusive else 0

    @property
    def total(self) -> int:
        """What one payment of this line costs the buyer."""
        return self.net + self.exclusive_tax

    @property
    def ends_on(self) -> date | None:
        if not self.item.frequency.is_recurring or self.item.payments is None:
            return None
        return end_date(self.starts_on, self.item.frequency, self.item.payments)


@dataclass(frozen=True)
class AppliedAdjustment:
    adjustment: Adjustment
    amount: int


@dataclass(frozen=True)
class DueNow:
    """The payment due now. Balances by construction and by check:
    ``lines_amount - discounts + fees + taxes == total`` (``discounts`` = line + one-time)."""

    lines_amount: int
    line_discounts: int
    subtotal: int
    one_time_discounts: int
    fees: int
    line_taxes: int
    one_time_taxes: int
    taxes_included: int
    total: int
    adjustments: tuple[AppliedAdjustment, ...]

    @property
    def discounts(self) -> int:
        return self.line_discounts + self.one_time_discounts

    @property
    def taxes(self) -> int:
        return self.line_taxes + self.one_time_taxes


@dataclass(frozen=True)
class FuturePayments:
    """What is charged after today. ``total`` is None when an auto-renewing line makes the
    sum unbounded; ``recurring_until_cancelled`` lists each
    later charge per period in that case."""

    total: int | None
    recurring_until_cancelled: tuple[tuple[BillingFrequency, int], ...]


@dataclass(frozen=True)
class Summary:
    currency: str
    lines: tuple[PricedLine, ...]
    due_now: DueNow
    future: FuturePayments
    total_contract_value: int | None  # None: not computable (auto-renewing line, no number of payments)


def check_line(item: LineItem, field_prefix: str) -> list[FieldError]:
    errors = []
    if not item.name.strip():
        errors.append(FieldError(f"{field_prefix}.name", "must not be blank"))
    if item.quantity <= 0 or item.quantity > MAX_QUANTITY:
        errors.append(FieldError(f"{field_prefix}.quantity", f"must be above 0 and at most {MAX_QUANTITY}"))
    if item.unit_price < 0 or item.unit_price > MAX_UNIT_PRICE:
        errors.append(FieldError(f"{field_prefix}.unit_price", f"must be 0 to {MAX_UNIT_PRICE}"))
    if item.frequency.is_recurring:
        if item.payments is not None and not 1 <= item.payments <= MAX_PAYMENTS:
            errors.append(FieldError(f"{field_prefix}.payments", f"must be 1 to {MAX_PAYMENTS}"))
    elif item.payments not in (None, 1):
        errors.append(FieldError(f"{field_prefix}.payments", "a one-time line is paid once"))
    if item.discount is not None:
        value = item.discount.value
        limit = HUNDRED if item.discount.type is AmountType.PERCENT else item.unit_price
        if value < 0 or value > limit:
            errors.append(FieldError(f"{field_prefix}.discount.value", f"must be 0 to {limit}"))
    if item.tax is not None and not 0 <= item.tax.percentage <= HUNDRED:
        errors.append(FieldError(f"{field_prefix}.tax.percentage", "must be 0 to 100"))
    return errors


def price_line(index: int, item: LineItem, currency: str, starts_on: date) -> PricedLine:
    """One payment of a line, rounded once from its exact value."""
    exact_amount = item.quantity * item.unit_price
    unit_discount = Decimal(0)
    if item.discount is not None:
        unit_discount = (
            item.unit_price * item.discount.value / HUNDRED
            if item.discount.type is AmountType.PERCENT
            else item.discount.value
        )
    net_exact = item.quantity * (item.unit_price - unit_discount)
    amount = to_minor(exact_amount, currency)
    net = to_minor(net_exact, currency)
    tax = 0
    if item.tax is not None:
        rate = item.tax.percentage / HUNDRED
        tax = net - round_half_up(net / (1 + rate)) if item.tax.inclusive else round_half_up(net * rate)
    return PricedLine(index, item, starts_on, amount, amount - net, net, tax)


def line_amount_errors(line: PricedLine, currency: str, where: str) -> list[FieldError]:
    """A line's payment fits one payment (MAX_AMOUNT), named by the field that made it too large:
    the unit price when one unit alone is too much, else the quantity; the line itself when only
    its tax is; likewise its cost (quantity x unit cost), from which the margins are computed."""
    item = line.item
    errors = []
    if line.amount > MAX_AMOUNT:
        culprit = "unit_price" if to_minor(item.unit_price, currency) > MAX_AMOUNT else "quantity"
        errors.append(
            FieldError(f"{where}.{culprit}", f"quantity x unit price comes to {line.amount} minor units; {_TOO_LARGE}")
        )
    elif line.total > MAX_AMOUNT:
        errors.append(FieldError(where, f"with its tax the line comes to {line.total} minor units; {_TOO_LARGE}"))
    if item.unit_cost is not None:
        cost = to_minor(item.quantity * item.unit_cost, currency)
        if cost > MAX_AMOUNT:
            culprit = "unit_cost" if to_minor(item.unit_cost, currency) > MAX_AMOUNT else "quantity"
            error = FieldError(f"{where}.{culprit}", f"quantity x unit cost comes to {cost} minor units; {_TOO_LARGE}")
            errors += [] if error.field in {e.field for e in errors} else [error]
    return errors


def due_now_amount_errors(now: DueNow, adjustments: Sequence[Adjustment]) -> list[FieldError]:
    """Every figure of the payment due now fits one payment (MAX_AMOUNT): each one-time adjustment
    (named by its value), the lines (their amount, and with their taxes) and the total (named
    ``adjustments`` when the lines fit and the one-time fees and taxes take it over). The other
    figures follow: discounts, fees and taxes are parts of these."""
    position = {id(adjustment): index for index, adjustment in enumerate(adjustments)}
    errors = [
        FieldError(
            f"adjustments.{position[id(applied.adjustment)]}.value",
            f"the adjustment comes to {applied.amount} minor units; {_TOO_LARGE}",
        )
        for applied in now.adjustments
        if applied.amount > MAX_AMOUNT
    ]
    with_taxes = now.subtotal + now.line_taxes
    if now.lines_amount > MAX_AMOUNT:
        errors.append(FieldError("lines", f"the lines due now come to {now.lines_amount} minor units; {_TOO_LARGE}"))
    elif with_taxes > MAX_AMOUNT:
        errors.append(
            FieldError("lines", f"the lines due now come to {with_taxes} minor units with their taxes; {_TOO_LARGE}")
        )
    elif now.total > MAX_AMOUNT and not errors:
        errors.append(
            FieldError(
                "adjustments", f"with the one-time adjustments the total comes to {now.total} minor units; {_TOO_LARGE}"
            )
        )
    return errors


def group_amount_errors(lines: Sequence[PricedLine]) -> list[FieldError]:
    """Each later payment of a subscription (the lines billed together) fits one payment."""
    errors = []
    for group in subscription_groups(lines):
        per_payment = sum(lines[i].total for i in group.line_indexes)
        if per_payment > MAX_AMOUNT:
            named = ", ".join(f"lines.{i}" for i in group.line_indexes)
            errors.append(
                FieldError(
                    "lines",
                    f"the lines billed together {group.frequency.value} from {group.starts_on} ({named}) come to "
                    f"{per_payment} minor units a payment; {_TOO_LARGE}",
                )
            )
    return errors


def _applied(adjustment: Adjustment, base: int, currency: str) -> int:
    if adjustment.type is AmountType.PERCENT:
        return round_half_up(base * adjustment.value / HUNDRED)
    return to_minor(adjustment.value, currency)


def due_now(lines: Sequence[PricedLine], adjustments: Sequence[Adjustment], currency: str) -> DueNow:
    """One-time discounts and fees apply to the subtotal due now; one-time taxes to the
    subtotal after those discounts and fees."""
    lines_amount = sum(line.amount for line in lines)
    line_discounts = sum(line.discount for line in lines)
    subtotal = lines_amount - line_discounts
    applied: list[AppliedAdjustment] = []
    totals = {kind: 0 for kind in AdjustmentKind}
    for kind in (AdjustmentKind.DISCOUNT, AdjustmentKind.FEE, AdjustmentKind.TAX):
        base = (
            subtotal
            if kind is not AdjustmentKind.TAX
            else subtotal - totals[AdjustmentKind.DISCOUNT] + totals[AdjustmentKind.FEE]
        )
        for adjustment in adjustments:
            if adjustment.kind is kind:
                amount = _applied(adjustment, base, currency)
                applied.append(AppliedAdjustment(adjustment, amount))
                totals[kind] += amount
    if totals[AdjustmentKind.DISCOUNT] > subtotal:
        raise ValidationFailed.of("adjustments", "one-time discounts exceed the subtotal due now")
    line_taxes = sum(line.exclusive_tax for line in lines)
    total = (
        subtotal
        - totals[AdjustmentKind.DISCOUNT]
        + totals[AdjustmentKind.FEE]
        + line_taxes
        + totals[AdjustmentKind.TAX]
    )
    result = DueNow(
        lines_amount=lines_amount,
        line_discounts=line_discounts,
        subtotal=subtotal,
        one_time_discounts=totals[AdjustmentKind.DISCOUNT],
        fees=totals[AdjustmentKind.FEE],
        line_taxes=line_taxes,
        one_time_taxes=totals[AdjustmentKind.TAX],
        taxes_included=sum(line.included_tax for line in lines),
        total=total,
        adjustments=tuple(applied),
    )
    assert result.lines_amount - result.discounts + result.fees + result.taxes == result.total
    return result


def summarize(items: Sequence[LineItem], adjustments: Sequence[Adjustment], currency: str, today: date) -> Summary:
    """Price every line and split what is due ``today`` from what comes later."""
    currency = normalize_currency(currency)
    if not items:
        raise ValidationFailed.of("lines", "at least one line item is required")
    if len(items) > MAX_LINES:
        raise ValidationFailed.of("lines", f"at most {MAX_LINES} line items")
    errors = [e for i, item in enumerate(items) for e in check_line(item, f"lines.{i}")]
    for i, adjustment in enumerate(adjustments):
        if adjustment.value < 0 or (adjustment.type is AmountType.PERCENT and adjustment.value > HUNDRED):
            errors.append(FieldError(f"adjustments.{i}.value", "must be 0 to 100 for a percentage, else at least 0"))
    starts = []
    for i, item in enumerate(items):
        try:
            starts.append(item.billing_start.resolve(today, f"lines.{i}.billing_start"))
        except ValidationFailed as error:
            errors.extend(error.errors)
    if errors:
        raise ValidationFailed(errors)
    priced = tuple(
        price_line(i, item, currency, start) for i, (item, start) in enumerate(zip(items, starts, strict=True))
    )
    errors = [e for line in priced for e in line_amount_errors(line, currency, f"lines.{line.index}")]
    if errors:
        raise ValidationFailed(errors)
    now = due_now([line for line in priced if line.starts_on == today], adjustments, currency)
    errors = due_now_amount_errors(now, adjustments)
    named = {e.field for e in errors}
    errors += [e for e in group_amount_errors(priced) if e.field not in named]
    if errors:
        raise ValidationFailed(errors)
    future_total = 0
    unbounded: list[tuple[BillingFrequency, int]] = []
    for line in priced:
        if line.item.auto_renews:
            unbounded.append((line.item.frequency, line.total))
            continue
        payments = line.item.payments or 1
        later = payments - 1 if line.starts_on == today else payments
        future_total += later * line.total
    computable = not unbounded
    future = FuturePayments(future_total if computable else None, tuple(unbounded))
    return Summary(currency, priced, now, future, now.total + future_total if computable else None)


@dataclass(frozen=True)
class ScheduledPayment:
    on: date
    amount: int


def payment_schedule(summary: Summary, today: date, count: int) -> list[ScheduledPayment]:
    """The first ``count`` payment dates with what each charges: today's payment includes the
    one-time adjustments, later ones the lines falling due on that date (with their taxes)."""
    streams = [_charges(line) for line in summary.lines]
    schedule: list[ScheduledPayment] = []
    if any(line.starts_on == today for line in summary.lines):
        schedule.append(ScheduledPayment(today, summary.due_now.total))
    for day, amount in heapq.merge(*streams, key=lambda pair: pair[0]):
        if day == today:
            continue
        if schedule and schedule[-1].on == day:
            schedule[-1] = ScheduledPayment(day, schedule[-1].amount + amount)
        elif len(schedule) >= count:
            break
        else:
            schedule.append(ScheduledPayment(day, amount))
    return schedule[:count]


def _charges(line: PricedLine) -> Iterator[tuple[date, int]]:
    for day in billing_dates(line.starts_on, line.item.frequency, line.item.payments):
        yield day, line.total


@dataclass(frozen=True)
class SubscriptionGroup:
    """Lines with the same frequency, terms, start date and number of payments."""

    frequency: BillingFrequency
    starts_on: date
    payments: int | None
    line_indexes: tuple[int, ...]

    @property
    def ends_on(self) -> date | None:
        return None if self.payments is None else end_date(self.starts_on, self.frequency, self.payments)


def subscription_groups(lines: Sequence[PricedLine]) -> list[SubscriptionGroup]:
    groups: dict[tuple[BillingFrequency, date, int | None], list[int]] = {}
    for line in lines:
        if line.item.frequency.is_recurring:
            key = (line.item.frequency, line.starts_on, line.item.payments)
            groups.setdefault(key, []).append(line.index)
    return [SubscriptionGroup(f, start, payments, tuple(indexes)) for (f, start, payments), indexes in groups.items()]
