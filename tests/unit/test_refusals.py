"""Every refusal of the money engine names its field and says why, exactly: a client shows these
words to a person, and a test that accepts any error accepts a wrong one."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.money import (
    format_decimal,
    normalize_currency,
    parse_decimal,
    parse_unit_price,
    with_currency_scale,
)
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.domain.pricing import (
    MAX_LINES,
    Adjustment,
    AdjustmentKind,
    AmountType,
    LineItem,
    LineTax,
    UnitDiscount,
    payment_schedule,
    subscription_groups,
    summarize,
)

TODAY = date(2026, 3, 1)
F = BillingFrequency


def line(**kw) -> LineItem:
    return LineItem(**({"name": "Item", "quantity": D(1), "unit_price": D(10)} | kw))


def refusal(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return [(e.field, e.message) for e in refused.value.errors]


def refused_line(**kw) -> list[tuple[str, str]]:
    return refusal(lambda: summarize([line(), line(**kw)], [], "eur", TODAY))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "  "}, ("lines.1.name", "must not be blank")),
        ({"quantity": D(0)}, ("lines.1.quantity", "must be above 0 and at most 1000000000")),
        ({"quantity": D("1000000000.1")}, ("lines.1.quantity", "must be above 0 and at most 1000000000")),
        ({"unit_price": D("-0.01")}, ("lines.1.unit_price", "must be 0 to 999999999999")),
        ({"unit_price": D("1000000000000")}, ("lines.1.unit_price", "must be 0 to 999999999999")),
        ({"frequency": F.MONTHLY, "payments": 0}, ("lines.1.payments", "must be 1 to 1000")),
        ({"frequency": F.MONTHLY, "payments": 1001}, ("lines.1.payments", "must be 1 to 1000")),
        ({"payments": 2}, ("lines.1.payments", "a one-time line is paid once")),
        ({"discount": UnitDiscount(AmountType.PERCENT, D("100.01"))}, ("lines.1.discount.value", "must be 0 to 100")),
        ({"discount": UnitDiscount(AmountType.PERCENT, D(-1))}, ("lines.1.discount.value", "must be 0 to 100")),
        ({"discount": UnitDiscount(AmountType.AMOUNT, D("10.01"))}, ("lines.1.discount.value", "must be 0 to 10")),
        ({"tax": LineTax("VAT", D("100.01"))}, ("lines.1.tax.percentage", "must be 0 to 100")),
        ({"tax": LineTax("VAT", D(-1))}, ("lines.1.tax.percentage", "must be 0 to 100")),
    ],
)
def test_a_bad_line_is_refused_by_its_field(fields, expected):
    assert refused_line(**fields) == [expected]


@pytest.mark.parametrize(
    "fields",
    [
        # each at its own bound; the other factor keeps the line within one payment (MAX_AMOUNT)
        {"quantity": D("1000000000"), "unit_price": D("0.01")},
        {"quantity": D("0.001")},
        {"unit_price": D(0)},
        {"unit_price": D("999999999999"), "quantity": D("0.0001")},
        {"frequency": F.MONTHLY, "payments": 1},
        {"frequency": F.MONTHLY, "payments": 1000},
        {"payments": 1},
        {"discount": UnitDiscount(AmountType.PERCENT, D(100))},
        {"discount": UnitDiscount(AmountType.AMOUNT, D(10))},
        {"tax": LineTax("VAT", D(100))},
        {"tax": LineTax("VAT", D(0))},
    ],
)
def test_a_line_at_each_bound_is_accepted(fields):
    assert summarize([line(**fields)], [], "eur", TODAY).lines[0]


def test_every_bad_line_is_named_at_once():
    assert refusal(lambda: summarize([line(name=""), line(quantity=D(0))], [], "eur", TODAY)) == [
        ("lines.0.name", "must not be blank"),
        ("lines.1.quantity", "must be above 0 and at most 1000000000"),
    ]


def test_the_number_of_lines_is_bounded_both_ways():
    assert refusal(lambda: summarize([], [], "eur", TODAY)) == [("lines", "at least one line item is required")]
    assert refusal(lambda: summarize([line()] * (MAX_LINES + 1), [], "eur", TODAY)) == [
        ("lines", f"at most {MAX_LINES} line items")
    ]
    assert len(summarize([line()] * MAX_LINES, [], "eur", TODAY).lines) == MAX_LINES


@pytest.mark.parametrize(
    ("adjustment", "accepted"),
    [
        (Adjustment(AdjustmentKind.FEE, AmountType.PERCENT, D("100.01")), False),
        (Adjustment(AdjustmentKind.FEE, AmountType.PERCENT, D(100)), True),
        (Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D(150)), True),
        (Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D(-1)), False),
        (Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D(-1)), False),
    ],
)
def test_an_adjustment_value_is_bounded(adjustment, accepted):
    def price():
        return summarize([line()], [adjustment], "eur", TODAY)

    if accepted:
        assert price().due_now.total > 0
    else:
        assert refusal(price) == [("adjustments.0.value", "must be 0 to 100 for a percentage, else at least 0")]


def test_one_time_discounts_above_the_subtotal_are_refused_in_words():
    discount = Adjustment(AdjustmentKind.DISCOUNT, AmountType.AMOUNT, D("10.01"))
    assert refusal(lambda: summarize([line()], [discount], "eur", TODAY)) == [
        ("adjustments", "one-time discounts exceed the subtotal due now")
    ]


def test_a_one_time_tax_is_on_the_subtotal_after_discounts_and_fees():
    adjustments = [
        Adjustment(AdjustmentKind.DISCOUNT, AmountType.AMOUNT, D(2)),
        Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D(10)),
    ]
    assert summarize([line()], adjustments, "eur", TODAY).due_now.one_time_taxes == 80


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            BillingStart(BillingStartKind.CUSTOM_DATE),
            ("lines.1.billing_start.date", "required for a custom start date"),
        ),
        (
            BillingStart(BillingStartKind.CUSTOM_DATE, on=TODAY - timedelta(days=1)),
            ("lines.1.billing_start.date", "must not lie in the past"),
        ),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=0), ("lines.1.billing_start.days", "must be 1 to 3650")),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=3651), ("lines.1.billing_start.days", "must be 1 to 3650")),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=0), ("lines.1.billing_start.months", "must be 1 to 120")),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=121), ("lines.1.billing_start.months", "must be 1 to 120")),
    ],
)
def test_a_bad_billing_start_is_refused_by_its_field(start, expected):
    assert refused_line(frequency=F.MONTHLY, billing_start=start) == [expected]


@pytest.mark.parametrize(
    ("start", "starts_on"),
    [
        (BillingStart(BillingStartKind.CUSTOM_DATE, on=TODAY), TODAY),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=1), TODAY + timedelta(days=1)),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=3650), TODAY + timedelta(days=3650)),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=1), date(2026, 4, 1)),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=120), date(2036, 3, 1)),
    ],
)
def test_a_billing_start_at_each_bound_is_accepted(start, starts_on):
    assert summarize([line(frequency=F.MONTHLY, billing_start=start)], [], "eur", TODAY).lines[0].starts_on == starts_on


@pytest.mark.parametrize(
    ("value", "kw", "expected"),
    [
        ("abc", {}, ("price", "'abc' is not a decimal number written with the digits 0-9")),
        ("-1", {}, ("price", "must be at least 0")),
        ("11", {"maximum": D(10)}, ("price", "must be at most 10")),
        ("1.234", {}, ("price", "at most 2 decimal places")),
        (D("NaN"), {}, ("price", "must be a finite number")),
        (D("Infinity"), {}, ("price", "must be a finite number")),
    ],
)
def test_a_bad_decimal_is_refused_by_its_field(value, kw, expected):
    assert refusal(lambda: parse_decimal(value, "price", max_decimals=2, **kw)) == [expected]


@pytest.mark.parametrize(
    ("value", "kw", "parsed"),
    [
        ("0", {}, "0"),
        ("-0", {"minimum": None}, "0"),
        ("-0.50", {"minimum": None}, "-0.50"),
        ("10", {"maximum": D(10)}, "10"),
        ("1.230", {}, "1.23"),
        ("1.20", {}, "1.20"),
        ("1.5", {}, "1.5"),
    ],
)
def test_a_decimal_keeps_its_scale_within_bounds(value, kw, parsed):
    assert format_decimal(parse_decimal(value, "price", max_decimals=2, **kw)) == parsed


def test_a_unit_price_has_six_decimals_and_a_ceiling():
    assert parse_unit_price("0.000001") == D("0.000001")
    assert refusal(lambda: parse_unit_price("0.0000001")) == [("unit_price", "at most 6 decimal places")]
    assert refusal(lambda: parse_unit_price("1000000000000", "lines.0.unit_price")) == [
        ("lines.0.unit_price", "must be at most 999999999999")
    ]


def test_currency_scale_and_plain_format():
    assert format_decimal(with_currency_scale(D("11.9"), "eur")) == "11.90"
    assert format_decimal(with_currency_scale(D("11.905"), "eur")) == "11.905"
    assert format_decimal(with_currency_scale(D("11.90"), "eur")) == "11.90"
    assert format_decimal(with_currency_scale(D("7"), "jpy")) == "7"
    assert format_decimal(D("1.19E+1")) == "11.9"
    assert format_decimal(D("1.2E+3")) == "1200"  # str() would say 1.2E+3
    assert refusal(lambda: normalize_currency("xyz", "lines.0.currency")) == [
        ("lines.0.currency", "'xyz' is not an ISO 4217 currency code")
    ]


def test_a_line_without_tax_has_none():
    assert summarize([line()], [], "eur", TODAY).lines[0].tax == 0


def test_the_schedule_merges_lines_due_on_one_day_and_stops_at_its_count():
    lines = [
        line(frequency=F.MONTHLY, payments=3),
        line(unit_price=D(5), frequency=F.MONTHLY, payments=2),
        line(
            unit_price=D(1),
            frequency=F.WEEKLY,
            payments=2,
            billing_start=BillingStart(BillingStartKind.DELAY_DAYS, days=3),
        ),
    ]
    summary = summarize(lines, [], "eur", TODAY)
    schedule = [(p.on, p.amount) for p in payment_schedule(summary, TODAY, 10)]
    assert schedule == [
        (TODAY, 1500),
        (date(2026, 3, 4), 100),
        (date(2026, 3, 11), 100),
        (date(2026, 4, 1), 1500),
        (date(2026, 5, 1), 1000),
    ]
    assert [(p.on, p.amount) for p in payment_schedule(summary, TODAY, 3)] == schedule[:3]


def test_groups_carry_their_start():
    later = BillingStart(BillingStartKind.DELAY_DAYS, days=5)
    summary = summarize([line(frequency=F.MONTHLY), line(frequency=F.MONTHLY, billing_start=later)], [], "eur", TODAY)
    assert [(g.starts_on, g.line_indexes) for g in subscription_groups(summary.lines)] == [
        (TODAY, (0,)),
        (TODAY + timedelta(days=5), (1,)),
    ]


def test_field_error_is_a_value():
    assert FieldError("a", "b") == FieldError("a", "b")


def test_a_percent_fee_is_on_the_subtotal_before_one_time_discounts():
    adjustments = [
        Adjustment(AdjustmentKind.DISCOUNT, AmountType.AMOUNT, D(2)),
        Adjustment(AdjustmentKind.FEE, AmountType.PERCENT, D(10)),
    ]
    now = summarize([line()], adjustments, "eur", TODAY).due_now
    assert (now.one_time_discounts, now.fees, now.total) == (200, 100, 900)


def test_every_auto_renewing_line_is_named_among_the_unbounded_payments():
    lines = [
        line(frequency=F.MONTHLY),
        line(frequency=F.ANNUALLY, unit_price=D(5)),
        line(frequency=F.MONTHLY, payments=2),
    ]
    future = summarize(lines, [], "eur", TODAY).future
    assert future.total is None
    assert future.recurring_until_cancelled == ((F.MONTHLY, 1000), (F.ANNUALLY, 500))
