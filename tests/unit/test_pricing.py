"""The pricing engine - line items, discounts, taxes, rounding, summary, metrics and grouping into
subscriptions: every figure of the worked examples, exactly."""

from datetime import date
from decimal import Decimal as D

import pytest

from billing.domain.errors import ValidationFailed
from billing.domain.metrics import contract_metrics
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.domain.pricing import (
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

F = BillingFrequency
TODAY = date(2026, 3, 1)


def line(price="10", quantity="1", frequency=F.ONE_TIME, **kw) -> LineItem:
    return LineItem(name="Item", quantity=D(quantity), unit_price=D(price), frequency=frequency, **kw)


def percent_off(value) -> UnitDiscount:
    return UnitDiscount(AmountType.PERCENT, D(value))


def summary(*items, adjustments=(), currency="usd"):
    return summarize(list(items), list(adjustments), currency, TODAY)


# ---- discount rounding -------------------------------------------------------------------


def test_1190_with_15_percent_off_buyer_pays_1012_and_the_document_balances():
    result = summary(line("11.90", discount=percent_off("15")))
    priced = result.lines[0]
    assert (priced.amount, priced.discount, priced.net) == (1190, 178, 1012)
    now = result.due_now
    assert now.total == 1012
    assert now.lines_amount - now.discounts + now.fees + now.taxes == now.total


def test_amount_discount_per_unit_multiplies_by_quantity():
    priced = summary(line("20", quantity="3", discount=UnitDiscount(AmountType.AMOUNT, D("2.5")))).lines[0]
    assert (priced.amount, priced.discount, priced.net) == (6000, 750, 5250)


# ---- amount-based taxes --------------------------------------------------------------------


@pytest.mark.parametrize(("tax", "minor"), [("9.994", 999), ("9.995", 1000)])
def test_amount_based_tax_rounds_half_up_to_two_decimals(tax, minor):
    result = summary(line("100"), adjustments=[Adjustment(AdjustmentKind.TAX, AmountType.AMOUNT, D(tax))])
    assert result.due_now.one_time_taxes == minor
    assert result.due_now.total == 10000 + minor


# ---- precision per currency ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "price", "minor"),
    [("usd", "0.005", 1), ("jpy", "1234.5", 1235), ("kwd", "1.2345", 1235), ("eur", "0.004999", 0)],
)
def test_each_currency_rounds_to_its_own_minor_unit(currency, price, minor):
    assert summary(line(price), currency=currency).due_now.total == minor


def test_unit_price_with_six_decimals_times_quantity_is_rounded_once():
    # 3 x 0.333333 = 0.999999 -> 1.00, not 3 x 0.33
    assert summary(line("0.333333", quantity="3")).due_now.total == 100


# ---- per-line tax on now and later ----------------------------------------------------------


def test_exclusive_line_tax_is_added_and_applies_to_future_payments_too():
    vat = LineTax("USt", D("19"))
    result = summary(line("100", frequency=F.MONTHLY, payments=12, tax=vat))
    assert result.lines[0].tax == 1900
    assert result.due_now.total == 11900
    assert result.future.total == 11 * 11900
    assert result.total_contract_value == 12 * 11900


def test_inclusive_line_tax_is_contained_not_added():
    result = summary(line("119", tax=LineTax("USt", D("19"), inclusive=True)))
    assert result.lines[0].tax == 1900
    assert result.due_now.total == 11900
    assert result.due_now.taxes_included == 1900
    assert result.due_now.taxes == 0


# ---- a half unit always rounds up, whatever digit precedes it -----------------------------------


@pytest.mark.parametrize(("price", "tax"), [("4.65", 47), ("4.75", 48), ("0.05", 1), ("4.64", 46), ("4.66", 47)])
def test_a_line_tax_of_exactly_half_a_cent_rounds_up(price, tax):
    """10 % of 4.65 is 46.5 cents: half-up says 47, where banker's rounding and half-down say 46
    (4.75 tells half-up from half-down, 4.65 from half-even)."""
    assert summary(line(price, tax=LineTax("VAT", D("10")))).lines[0].tax == tax


@pytest.mark.parametrize("kind", [AdjustmentKind.DISCOUNT, AdjustmentKind.FEE, AdjustmentKind.TAX])
@pytest.mark.parametrize(("price", "applied"), [("4.65", 47), ("4.75", 48)])
def test_a_percent_adjustment_of_exactly_half_a_cent_rounds_up(kind, price, applied):
    now = summary(line(price), adjustments=[Adjustment(kind, AmountType.PERCENT, D("10"))]).due_now
    assert {AdjustmentKind.DISCOUNT: now.one_time_discounts, AdjustmentKind.FEE: now.fees}.get(
        kind, now.one_time_taxes
    ) == applied


# ---- one-time adjustments on the subtotal due now only ----------------------------------------


def test_one_time_discount_fee_and_tax_apply_to_the_payment_due_now_only():
    adjustments = [
        Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, D("10"), "Welcome"),
        Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D("5"), "Setup"),
        Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D("7"), "Local tax"),
    ]
    result = summary(line("100", frequency=F.MONTHLY, payments=3), adjustments=adjustments)
    now = result.due_now
    assert (now.subtotal, now.one_time_discounts, now.fees) == (10000, 1000, 500)
    assert now.one_time_taxes == 665  # 7 % of (100 - 10 + 5)
    assert now.total == 10165
    assert result.future.total == 2 * 10000  # later payments carry none of them


def test_one_time_discount_larger_than_the_subtotal_is_refused():
    with pytest.raises(ValidationFailed) as error:
        summary(line("10"), adjustments=[Adjustment(AdjustmentKind.DISCOUNT, AmountType.AMOUNT, D("11"))])
    assert error.value.errors[0].field == "adjustments"


# ---- a recurring product on an invoice becomes one-time -----------------------------------------


def test_recurring_product_on_an_invoice_becomes_one_time():
    recurring = line("50", frequency=F.MONTHLY)
    on_invoice = recurring.as_one_time()
    assert on_invoice.frequency is F.ONE_TIME and recurring.frequency is F.MONTHLY
    assert summary(on_invoice).total_contract_value == 5000


# ---- summary: due now, future payments, total contract value ------------------------------------


def test_subtotal_holds_only_what_is_due_now_later_items_are_future_payments():
    later = BillingStart(BillingStartKind.DELAY_DAYS, days=30)
    result = summary(line("100"), line("40", billing_start=later), line("10", frequency=F.MONTHLY, payments=6))
    assert result.due_now.subtotal == 10000 + 1000
    assert result.future.total == 4000 + 5 * 1000
    assert result.total_contract_value == 10000 + 4000 + 6 * 1000


def test_total_contract_value_is_not_computable_for_an_auto_renewing_line():
    result = summary(line("100"), line("10", frequency=F.MONTHLY))
    assert result.total_contract_value is None
    assert result.future.total is None
    assert result.future.recurring_until_cancelled == ((F.MONTHLY, 1000),)
    assert result.due_now.total == 11000


# ---- metrics: MRR, ARR, ACV, TCV ---------------------------------------------------------------------


def metrics_of(*items, currency="usd"):
    result = summary(*items, currency=currency)
    return contract_metrics(result.lines, result.currency)[0]


def test_10_weekly_no_term_mrr_4330_arr_520():
    m = metrics_of(line("10", frequency=F.WEEKLY))
    assert (m.mrr, m.arr, m.tcv) == (4330, 52000, 52000)


def test_10_every_two_weeks_no_term_mrr_2160_arr_260():
    m = metrics_of(line("10", frequency=F.EVERY_TWO_WEEKS))
    assert (m.mrr, m.arr, m.tcv) == (2160, 26000, 26000)


def test_10_weekly_for_6_weeks_arr_and_tcv_60():
    m = metrics_of(line("10", frequency=F.WEEKLY, payments=6))
    assert (m.mrr, m.arr, m.tcv) == (4330, 6000, 6000)


def test_10_every_two_weeks_for_6_weeks_is_3_payments_arr_and_tcv_30():
    m = metrics_of(line("10", frequency=F.EVERY_TWO_WEEKS, payments=3))
    assert (m.mrr, m.arr, m.tcv) == (2160, 3000, 3000)


def test_1034_weekly_mrr_is_4477():
    assert metrics_of(line("10.34", frequency=F.WEEKLY)).mrr == 4477  # 10.34 x 4.33 = 44.7722


@pytest.mark.parametrize(
    ("frequency", "mrr", "arr", "acv"),
    [
        (F.MONTHLY, 1200, 14400, 14400),
        (F.QUARTERLY, 400, 4800, 4800),
        (F.SEMI_ANNUALLY, 200, 2400, 2400),
        (F.ANNUALLY, 100, 1200, 1200),
        (F.EVERY_TWO_YEARS, 50, 600, 1200),
        (F.EVERY_FIVE_YEARS, 20, 240, 1200),
    ],
)
def test_literal_factors_for_the_other_frequencies(frequency, mrr, arr, acv):
    m = metrics_of(line("12", frequency=frequency))
    assert (m.mrr, m.arr, m.acv) == (mrr, arr, acv)


def test_acv_counts_the_first_year_and_tcv_the_whole_term():
    m = metrics_of(line("100", frequency=F.MONTHLY, payments=24), line("50"))
    assert (m.acv, m.tcv, m.mrr, m.arr) == (12 * 10000 + 5000, 24 * 10000 + 5000, 10000, 120000)


def test_margins_use_unit_cost_when_known():
    m = metrics_of(line("10", quantity="2", frequency=F.MONTHLY, unit_cost=D("4")))
    assert (m.mrr, m.margin_mrr, m.margin_arr) == (2000, 1200, 14400)
    assert m.costs_known
    assert not metrics_of(line("10", frequency=F.MONTHLY)).costs_known


def test_metrics_use_the_discounted_amount_before_tax():
    m = metrics_of(line("11.90", frequency=F.MONTHLY, discount=percent_off("15"), tax=LineTax("t", D("19"))))
    assert m.mrr == 1012  # 10.115 -> 10.12


def test_metrics_are_net_of_tax_on_inclusive_lines_too():
    inclusive = metrics_of(line("119", frequency=F.MONTHLY, tax=LineTax("VAT", D("19"), inclusive=True)))
    exclusive = metrics_of(line("100", frequency=F.MONTHLY, tax=LineTax("VAT", D("19"))))
    assert (inclusive.mrr, inclusive.arr, inclusive.acv, inclusive.tcv) == (10000, 120000, 120000, 120000)
    assert (exclusive.mrr, exclusive.arr) == (10000, 120000)


def test_metrics_follow_the_amounts_actually_charged():
    # JPY has no minor unit: 1000.5 a month is charged as 1001 each time, so a year brings 12 x 1001
    m = metrics_of(line("1000.5", frequency=F.MONTHLY), currency="jpy")
    assert (m.mrr, m.arr, m.acv, m.tcv) == (1001, 12012, 12012, 12012)


def test_margins_of_an_inclusive_line_deduct_tax_and_cost():
    item = line("119", frequency=F.MONTHLY, unit_cost=D("60"), tax=LineTax("VAT", D("19"), inclusive=True))
    assert metrics_of(item).margin_mrr == 4000


# ---- grouping into subscriptions ----------------------------------------------------------------


def test_monthly_and_annual_lines_make_two_subscriptions_same_terms_share_one():
    result = summary(
        line("10", frequency=F.MONTHLY),
        line("20", frequency=F.MONTHLY),
        line("100", frequency=F.ANNUALLY),
        line("5", frequency=F.MONTHLY, payments=6),
        line("1"),
    )
    groups = subscription_groups(result.lines)
    assert [(g.frequency, g.payments, g.line_indexes) for g in groups] == [
        (F.MONTHLY, None, (0, 1)),
        (F.ANNUALLY, None, (2,)),
        (F.MONTHLY, 6, (3,)),
    ]


def test_different_start_dates_split_subscriptions():
    later = BillingStart(BillingStartKind.DELAY_MONTHS, months=1)
    result = summary(line("10", frequency=F.MONTHLY), line("10", frequency=F.MONTHLY, billing_start=later))
    assert len(subscription_groups(result.lines)) == 2


# ---- schedule -------------------------------------------------------------------------------------


def test_payment_schedule_merges_lines_and_puts_adjustments_on_today():
    result = summary(
        line("10", frequency=F.MONTHLY),
        line("100", frequency=F.QUARTERLY, payments=2),
        adjustments=[Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D("5"))],
    )
    schedule = payment_schedule(result, TODAY, 5)
    assert [(p.on, p.amount) for p in schedule] == [
        (date(2026, 3, 1), 11500),
        (date(2026, 4, 1), 1000),
        (date(2026, 5, 1), 1000),
        (date(2026, 6, 1), 11000),
        (date(2026, 7, 1), 1000),
    ]


# ---- two hundred lines and validation --------------------------------------------------------------


def test_two_hundred_lines_are_priced():
    items = [
        line(
            f"{i}.99", frequency=F.MONTHLY if i % 2 else F.ONE_TIME, discount=percent_off("5"), tax=LineTax("t", D("7"))
        )
        for i in range(200)
    ]
    result = summary(*items)
    assert len(result.lines) == 200
    now = result.due_now
    assert now.lines_amount - now.discounts + now.fees + now.taxes == now.total


def test_bad_lines_are_named_by_index_and_field():
    with pytest.raises(ValidationFailed) as error:
        summary(
            line("10"),
            line("10", quantity="-1"),
            line("10", discount=percent_off("120")),
            line("10", frequency=F.MONTHLY, payments=0),
        )
    assert [e.field for e in error.value.errors] == ["lines.1.quantity", "lines.2.discount.value", "lines.3.payments"]


def test_unknown_currency_is_named():
    with pytest.raises(ValidationFailed) as error:
        summary(line("1"), currency="zzz")
    assert error.value.errors[0].field == "currency"
