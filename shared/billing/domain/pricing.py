"""Line items into money: priced lines, the document that balances to
the minor unit, the summary of what is due now and later, and the subscription groups.

Amounts are integers in the currency's minor units. Each line is rounded once, half-up, from its
exact value: the buyer pays round(quantity x (unit price - unit discount)), and the discount shown
is what makes the line balance (11.90 with 15 % off: pays 10.12, discount 1.78).

VAT is due on what the buyer pays: a one-time discount or fee is split across the rates of the
lines due now, in proportion to their amounts, and each rate's VAT is that of its amount after
the split, so a discount lowers the VAT and a fee carries the VAT of what it goes with."""

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
from billing.domain.vat import VatCategory, category_of

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
    """A tax rate from the tenant's library, copied onto the line (a snapshot): its VAT category
    (None: standard above 0 %, else exempt) and, at 0 %, the reason the buyer reads."""

    name: str
    percentage: Decimal
    inclusive: bool = False
    tax_rate_id: str | None = None
    category: VatCategory | None = None
    exemption_reason: str = ""
    exemption_code: str = ""

    @property
    def vat_category(self) -> VatCategory:
        return category_of(self.percentage, self.category)


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
class RateShare:
    """The part of a one-time discount or fee that falls on the lines of one rate (``tax`` None:
    the lines without a tax), and the tax it moves: what a discount takes off that rate's tax,
    what a fee adds to it. On an inclusive rate both are contained in ``amount``."""

    tax: LineTax | None
    amount: int
    tax_amount: int


@dataclass(frozen=True)
class AppliedAdjustment:
    adjustment: Adjustment
    amount: int
    shares: tuple[RateShare, ...] = ()  # a discount's or fee's parts per rate; a tax has none


@dataclass(frozen=True)
class RateTotal:
    """The lines due now at one rate (``tax`` None: without a tax) after the one-time discounts
    and fees: the net (without the tax, also for an inclusive rate) and the tax."""

    tax: LineTax | None
    net: int
    tax_amount: int


@dataclass(frozen=True)
class DueNow:
    """The payment due now. Balances by construction and by check:
    ``lines_amount - discounts + fees + taxes == total`` (``discounts`` = line + one-time).
    ``adjustment_taxes`` is the exclusive tax the one-time discounts take off and the fees add."""

    lines_amount: int
    line_discounts: int
    subtotal: int
    one_time_discounts: int
    fees: int
    line_taxes: int
    adjustment_taxes: int
    one_time_taxes: int
    taxes_included: int
    total: int
    adjustments: tuple[AppliedAdjustment, ...]
    rates: tuple[RateTotal, ...] = ()

    @property
    def discounts(self) -> int:
        return self.line_discounts + self.one_time_discounts

    @property
    def taxes(self) -> int:
        return self.line_taxes + self.adjustment_taxes + self.one_time_taxes


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
    tax = 0 if item.tax is None else tax_of(net, item.tax)
    return PricedLine(index, item, starts_on, amount, amount - net, net, tax)


def tax_of(amount: int, tax: LineTax) -> int:
    """The tax on ``amount`` (exclusive) or contained in it (inclusive), rounded once, half-up."""
    rate = tax.percentage / HUNDRED
    return amount - round_half_up(amount / (1 + rate)) if tax.inclusive else round_half_up(amount * rate)


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
    """One-time discounts and fees apply to the subtotal due now, split across its rates; one-time
    taxes to the subtotal after those discounts and fees."""
    lines_amount = sum(line.amount for line in lines)
    line_discounts = sum(line.discount for line in lines)
    subtotal = lines_amount - line_discounts
    rates = _RatesDueNow(lines)
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
                shares = () if kind is AdjustmentKind.TAX else rates.take(amount, kind is AdjustmentKind.FEE)
                applied.append(AppliedAdjustment(adjustment, amount, shares))
                totals[kind] += amount
    if totals[AdjustmentKind.DISCOUNT] > subtotal:
        raise ValidationFailed.of("adjustments", "one-time discounts exceed the subtotal due now")
    line_taxes = sum(line.exclusive_tax for line in lines)
    adjustment_taxes = rates.moved(inclusive=False)
    total = (
        subtotal
        - totals[AdjustmentKind.DISCOUNT]
        + totals[AdjustmentKind.FEE]
        + line_taxes
        + adjustment_taxes
        + totals[AdjustmentKind.TAX]
    )
    result = DueNow(
        lines_amount=lines_amount,
        line_discounts=line_discounts,
        subtotal=subtotal,
        one_time_discounts=totals[AdjustmentKind.DISCOUNT],
        fees=totals[AdjustmentKind.FEE],
        line_taxes=line_taxes,
        adjustment_taxes=adjustment_taxes,
        one_time_taxes=totals[AdjustmentKind.TAX],
        taxes_included=sum(line.included_tax for line in lines) + rates.moved(inclusive=True),
        total=total,
        adjustments=tuple(applied),
        rates=rates.totals(),
    )
    assert result.lines_amount - result.discounts + result.fees + result.taxes == result.total
    return result


@dataclass(slots=True)
class _Rate:
    tax: LineTax | None
    amount: int = 0  # the lines' (gross for an inclusive rate), after the adjustments so far
    tax_now: int = 0
    tax_moved: int = 0  # by the adjustments so far


class _RatesDueNow:
    """The lines due now by rate, as the one-time discounts and fees change their amounts: each
    is split across the rates in proportion to the lines' amounts (largest remainder, so the
    parts add up to it exactly), and the tax it moves on a rate is the rate's tax after it minus
    before it. A rate's tax starts as its lines' taxes, each rounded on its own; after an
    adjustment it is that of the rate's whole amount, rounded once."""

    def __init__(self, lines: Sequence[PricedLine]):
        self._rates: dict[tuple[str, Decimal, bool] | None, _Rate] = {}
        for line in lines:
            tax = line.item.tax
            key = None if tax is None else (tax.name, tax.percentage, tax.inclusive)
            rate = self._rates.setdefault(key, _Rate(tax))
            rate.amount += line.net
            rate.tax_now += line.tax
        self._weights = [rate.amount for rate in self._rates.values()]

    def take(self, amount: int, added: bool) -> tuple[RateShare, ...]:
        if not self._rates:
            return (RateShare(None, amount, 0),)
        shares = []
        for rate, part in zip(self._rates.values(), split(amount, self._weights), strict=True):
            if not part:  # nothing of it falls on this rate: its tax stays as it is
                shares.append(RateShare(rate.tax, 0, 0))
                continue
            before = rate.tax_now
            rate.amount += part if added else -part
            rate.tax_now = 0 if rate.tax is None else tax_of(rate.amount, rate.tax)
            rate.tax_moved += rate.tax_now - before
            shares.append(RateShare(rate.tax, part, rate.tax_now - before if added else before - rate.tax_now))
        return tuple(shares)

    def totals(self) -> tuple[RateTotal, ...]:
        return tuple(
            RateTotal(r.tax, r.amount - (r.tax_now if r.tax and r.tax.inclusive else 0), r.tax_now)
            for r in self._rates.values()
        )

    def moved(self, *, inclusive: bool) -> int:
        """The tax the adjustments moved on the exclusive (or the inclusive) rates."""
        return sum(r.tax_moved for r in self._rates.values() if r.tax is not None and r.tax.inclusive is inclusive)


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` in parts proportional to ``weights`` that add up to it exactly (largest
    remainder; ties go to the first). With nothing to weigh by, the first part takes it all."""
    whole = sum(weights)
    if whole <= 0:
        return [amount] + [0] * (len(weights) - 1)
    parts = [amount * weight // whole for weight in weights]
    remainders = [amount * weight % whole for weight in weights]
    for i in sorted(range(len(weights)), key=lambda i: -remainders[i])[: amount - sum(parts)]:
        parts[i] += 1
    return parts


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
