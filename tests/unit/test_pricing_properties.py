"""Invariants of the money engine, for random lines, discounts, taxes and currencies."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.money import minor_units
from billing.domain.periods import BillingFrequency, billing_dates, end_date
from billing.domain.pricing import (
    Adjustment,
    AdjustmentKind,
    AmountType,
    LineItem,
    LineTax,
    UnitDiscount,
    payment_schedule,
    summarize,
)

F = BillingFrequency
TODAY = date(2026, 3, 1)
currencies = st.sampled_from(["usd", "eur", "jpy", "kwd", "chf", "bhd", "krw"])
# Small enough that no document here reaches what one payment carries (MAX_AMOUNT, even in a
# three-digit currency with 20 lines and four 100 % fees and taxes); the bound has its own tests.
prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=100, places=3, allow_nan=False, allow_infinity=False)
percentages = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def line_items(draw) -> LineItem:
    price = draw(prices)
    discount = draw(
        st.one_of(
            st.none(),
            st.builds(UnitDiscount, st.just(AmountType.PERCENT), percentages),
            st.builds(
                UnitDiscount,
                st.just(AmountType.AMOUNT),
                st.decimals(min_value=0, max_value=price, places=6, allow_nan=False, allow_infinity=False),
            ),
        )
    )
    tax = draw(st.one_of(st.none(), st.builds(LineTax, st.just("t"), percentages, st.booleans())))
    frequency = draw(st.sampled_from(list(F)))
    payments = draw(st.one_of(st.none(), st.integers(1, 60))) if frequency.is_recurring else None
    return LineItem("x", draw(quantities), price, frequency, payments, discount=discount, tax=tax)


adjustments = st.lists(
    st.builds(
        Adjustment,
        st.sampled_from([AdjustmentKind.FEE, AdjustmentKind.TAX]),
        st.sampled_from(list(AmountType)),
        percentages,
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(line_items(), min_size=1, max_size=20),
    adjustments,
    currencies,
    st.decimals(min_value=0, max_value=50, places=2),
)
def test_every_document_balances_to_the_minor_unit(items, extra, currency, discount_percent):
    discount = Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, discount_percent)
    result = summarize(items, [discount, *extra], currency, TODAY)
    lines_now = [line for line in result.lines if line.starts_on == TODAY]
    for line in result.lines:
        assert line.amount - line.discount == line.net
    now = result.due_now
    by_kind = {kind: sum(a.amount for a in now.adjustments if a.adjustment.kind is kind) for kind in AdjustmentKind}
    shown_total = (
        sum(line.amount for line in lines_now)
        - sum(line.discount for line in lines_now)
        - by_kind[AdjustmentKind.DISCOUNT]
        + by_kind[AdjustmentKind.FEE]
        + sum(line.exclusive_tax for line in lines_now)
        + sum(vat_moved(applied) for applied in now.adjustments)
        + by_kind[AdjustmentKind.TAX]
    )
    assert shown_total == now.total
    for applied in now.adjustments:  # each discount and fee is split across the rates exactly
        assert sum(share.amount for share in applied.shares) == (applied.amount if applied.shares else 0)


def vat_moved(applied) -> int:
    """The exclusive VAT a one-time discount takes off its rates, or a fee adds to them."""
    sign = -1 if applied.adjustment.kind is AdjustmentKind.DISCOUNT else 1
    return sum(sign * s.tax_amount for s in applied.shares if s.tax is not None and not s.tax.inclusive)


@settings(max_examples=300, deadline=None)
@given(line_items(), currencies)
def test_rounding_is_never_off_by_more_than_half_a_minor_unit(item, currency):
    line = summarize([item], [], currency, TODAY).lines[0]
    scale = Decimal(10) ** minor_units(currency)
    assert abs(Decimal(line.amount) - item.quantity * item.unit_price * scale) <= Decimal("0.5")
    assert abs(Decimal(line.net) - exact_net(item) * scale) <= Decimal("0.5")
    if item.tax is not None and not item.tax.inclusive:
        assert abs(Decimal(line.tax) - Decimal(line.net) * item.tax.percentage / 100) <= Decimal("0.5")


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
recurring = st.sampled_from([f for f in F if f.is_recurring])


@settings(max_examples=300, deadline=None)
@given(dates, recurring, st.integers(1, 120))
def test_schedules_strictly_increase(start, frequency, count):
    days = list(billing_dates(start, frequency, count))
    assert len(days) == count
    assert all(a < b for a, b in itertools.pairwise(days))


_PERIODS = {
    F.WEEKLY: relativedelta(weeks=1),
    F.EVERY_TWO_WEEKS: relativedelta(weeks=2),
    F.MONTHLY: relativedelta(months=1),
    F.QUARTERLY: relativedelta(months=3),
    F.SEMI_ANNUALLY: relativedelta(months=6),
    F.ANNUALLY: relativedelta(years=1),
    F.EVERY_TWO_YEARS: relativedelta(years=2),
    F.EVERY_THREE_YEARS: relativedelta(years=3),
    F.EVERY_FOUR_YEARS: relativedelta(years=4),
    F.EVERY_FIVE_YEARS: relativedelta(years=5),
}


@settings(max_examples=500, deadline=None)
@given(dates, recurring, st.integers(1, 120))
def test_end_date_is_start_plus_n_periods(start, frequency, payments):
    # The oracle is dateutil's relativedelta, an implementation independent of ours.
    assert end_date(start, frequency, payments) == start + _PERIODS[frequency] * payments


@settings(max_examples=100, deadline=None)
@given(st.lists(line_items(), min_size=1, max_size=8), currencies, st.integers(1, 40))
def test_payment_schedule_dates_strictly_increase_and_start_today(items, currency, count):
    result = summarize(items, [], currency, TODAY)
    schedule = payment_schedule(result, TODAY, count)
    assert 1 <= len(schedule) <= count
    assert schedule[0].on == TODAY
    assert all(a.on < b.on for a, b in itertools.pairwise(schedule))


def exact_net(item) -> Decimal:
    """The oracle: quantity x (unit price - unit discount), unrounded."""
    discount = item.discount
    if discount is None:
        return item.quantity * item.unit_price
    off = item.unit_price * discount.value / 100 if discount.type is AmountType.PERCENT else discount.value
    return item.quantity * (item.unit_price - off)
