"""Every amount the money engine computes for a payment fits what one payment carries
(billing.domain.money.MAX_AMOUNT minor units), and a refusal names the field that made it too
large: a line's unit price or quantity, the line (its tax), an adjustment, or the lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.errors import ValidationFailed
from billing.domain.limits import MAX_AMOUNT_SUM
from billing.domain.money import MAX_AMOUNT, to_minor
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.domain.pricing import Adjustment, AdjustmentKind, AmountType, LineItem, LineTax, UnitDiscount, summarize

TODAY = date(2026, 3, 1)
F = BillingFrequency
FULL_TAX = LineTax("VAT", D(100))


def line(**kw) -> LineItem:
    return LineItem(**({"name": "Item", "quantity": D(1), "unit_price": D(10)} | kw))


def refused(items, adjustments=(), currency="eur") -> list[str]:
    with pytest.raises(ValidationFailed) as refusal:
        summarize(items, list(adjustments), currency, TODAY)
    return [e.field for e in refusal.value.errors]


def test_the_bound_is_what_a_payment_carries_and_fits_int64():
    assert MAX_AMOUNT == 99_999_999_999
    assert MAX_AMOUNT_SUM < 2**63


def test_the_probe_three_huge_lines_with_full_tax_are_refused_by_their_unit_price():
    # 3 lines of 999999999999 x 1000000000 with 100 % tax came to 599999999999400000000000
    huge = line(unit_price=D("999999999999"), quantity=D("1000000000"), tax=FULL_TAX)
    assert refused([huge, huge, huge]) == ["lines.0.unit_price", "lines.1.unit_price", "lines.2.unit_price"]


def test_a_line_whose_quantity_takes_it_over_names_the_quantity():
    assert refused([line(), line(unit_price=D("1000"), quantity=D("100000000"))]) == ["lines.1.quantity"]


def test_one_unit_too_expensive_names_the_unit_price_even_for_a_fraction_of_it():
    assert refused([line(unit_price=D("2000000000"), quantity=D("0.6"))]) == ["lines.0.unit_price"]
    assert summarize([line(unit_price=D("2000000000"), quantity=D("0.4"))], [], "eur", TODAY).lines[0]


def test_a_line_exactly_at_the_bound_is_accepted_and_one_minor_unit_more_is_not():
    at = summarize([line(unit_price=D("999999999.99"))], [], "eur", TODAY)
    assert (at.lines[0].amount, at.due_now.total) == (MAX_AMOUNT, MAX_AMOUNT)
    assert refused([line(unit_price=D("1000000000.00"))]) == ["lines.0.unit_price"]
    # in minor units of other scales, the same number of minor units
    assert summarize([line(unit_price=D(MAX_AMOUNT))], [], "jpy", TODAY).due_now.total == MAX_AMOUNT
    assert summarize([line(unit_price=D("99999999.999"))], [], "kwd", TODAY).due_now.total == MAX_AMOUNT
    assert refused([line(unit_price=D("100000000"))], currency="kwd") == ["lines.0.unit_price"]


def test_rounding_up_to_one_more_than_the_bound_is_refused():
    # 999999999.995 EUR rounds half-up to 100000000000 cents
    assert refused([line(unit_price=D("999999999.995"))]) == ["lines.0.unit_price"]
    assert summarize([line(unit_price=D("999999999.994"))], [], "eur", TODAY).due_now.total == MAX_AMOUNT


def test_a_line_that_fits_until_its_tax_is_added_names_the_line():
    assert refused([line(unit_price=D("600000000"), tax=FULL_TAX)]) == ["lines.0"]
    # an inclusive tax is contained in the price: the line costs what it says
    inclusive = LineTax("VAT", D(100), inclusive=True)
    assert summarize([line(unit_price=D("999999999.99"), tax=inclusive)], [], "eur", TODAY).due_now.total == MAX_AMOUNT
    # a discount takes the tax back under; the amount before it (shown too) is bounded all the same
    half_off = UnitDiscount(AmountType.PERCENT, D(50))
    discounted = line(unit_price=D("900000000"), discount=half_off, tax=FULL_TAX)
    assert summarize([discounted], [], "eur", TODAY).lines[0].total == 90_000_000_000
    assert refused([line(unit_price=D("1500000000"), discount=half_off)]) == ["lines.0.unit_price"]


def test_the_lines_together_too_large_name_lines():
    half = line(unit_price=D("600000000"))
    assert refused([half, half]) == ["lines"]
    assert refused([line(unit_price=D("400000000"), tax=FULL_TAX), line(unit_price=D("300000000"))]) == ["lines"]
    exactly = [line(unit_price=D("499999999.99")), line(unit_price=D("500000000.00"))]
    assert summarize(exactly, [], "eur", TODAY).due_now.total == MAX_AMOUNT


def test_the_lines_amount_is_bounded_even_when_a_one_time_discount_brings_the_total_under():
    half = line(unit_price=D("600000000"))
    discount = Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, D(50))
    assert refused([half, half], [discount]) == ["lines"]


def test_an_adjustment_too_large_names_its_value():
    fee = Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D("1000000000"))
    small = Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D(1))
    assert refused([line()], [small, fee]) == ["adjustments.1.value"]


def test_adjustments_taking_the_total_over_name_adjustments():
    fee = Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D("600000000"))
    assert refused([line(unit_price=D("600000000"))], [fee]) == ["adjustments"]
    tax = Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D(100))
    assert refused([line(unit_price=D("600000000"))], [tax]) == ["adjustments"]
    at = Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D("0.01"))
    assert summarize([line(unit_price=D("999999999.98"))], [at], "eur", TODAY).due_now.total == MAX_AMOUNT


def test_each_later_payment_of_a_subscription_is_bounded():
    later = BillingStart(BillingStartKind.CUSTOM_DATE, on=TODAY + timedelta(days=10))
    half = line(unit_price=D("600000000"), frequency=F.MONTHLY, billing_start=later)
    assert refused([half, half]) == ["lines"]  # nothing due now, but each month's payment too much
    # lines that form separate subscriptions are separate payments
    other = line(unit_price=D("600000000"), frequency=F.ANNUALLY, billing_start=later)
    summary = summarize([half, other], [], "eur", TODAY)
    assert summary.due_now.total == 0 and summary.future.total is None


def test_a_first_discount_does_not_hide_a_later_payment_too_large():
    # due now 60000000000 after the discount, but every later month 120000000000
    monthly = line(unit_price=D("300000000"), frequency=F.MONTHLY, tax=FULL_TAX)
    discount = Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, D(50))
    assert refused([monthly, monthly], [discount]) == ["lines"]


def test_a_line_cost_too_large_names_the_unit_cost():
    assert refused([line(unit_cost=D("1000000000"))]) == ["lines.0.unit_cost"]
    assert refused([line(unit_price=D("0"), unit_cost=D("1"), quantity=D("1000000000"))]) == ["lines.0.quantity"]
    assert summarize([line(unit_cost=D("999999999.99"))], [], "eur", TODAY).lines[0]


amounts = st.integers(0, MAX_AMOUNT * 2)


@settings(max_examples=300, deadline=None)
@given(amounts, st.sampled_from(["eur", "jpy", "kwd"]), st.sampled_from([D(1), D("0.5"), D(3)]))
def test_a_line_is_accepted_exactly_when_it_fits(minor, currency, quantity):
    from billing.domain.money import minor_units

    unit_price = D(minor).scaleb(-minor_units(currency))
    item = line(unit_price=unit_price, quantity=quantity)
    fits = to_minor(quantity * unit_price, currency) <= MAX_AMOUNT
    if fits:
        assert summarize([item], [], currency, TODAY).due_now.total <= MAX_AMOUNT
    else:
        assert refused([item], currency=currency) in (["lines.0.unit_price"], ["lines.0.quantity"])
