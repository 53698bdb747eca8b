"""VAT is due on what the buyer pays: a one-time discount or fee is split across the rates of the
lines due now in proportion to their amounts, and each rate's VAT is that of its amount after the
split (a discount lowers the VAT, a fee carries the VAT of what it goes with)."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from billing.domain.pricing import Adjustment, AdjustmentKind, AmountType, LineItem, LineTax, split, summarize

TODAY = date(2026, 3, 1)
VAT_19 = LineTax("USt", D(19))
VAT_7 = LineTax("USt", D(7))


def line(price: str, tax: LineTax | None) -> LineItem:
    return LineItem(name="Item", quantity=D(1), unit_price=D(price), tax=tax)


def discount(value: str, type: AmountType = AmountType.PERCENT) -> Adjustment:
    return Adjustment(AdjustmentKind.DISCOUNT, type, D(value), "Rabatt")


def fee(value: str) -> Adjustment:
    return Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, D(value), "Versand")


def due(*items, adjustments, currency="eur"):
    return summarize(list(items), list(adjustments), currency, TODAY).due_now


def shares(now) -> list[list[tuple[D | None, int, int]]]:
    return [[(s.tax and s.tax.percentage, s.amount, s.tax_amount) for s in a.shares] for a in now.adjustments]


def test_ten_percent_off_lines_at_19_and_7_percent_is_vat_on_the_135_paid():
    now = due(line("100", VAT_19), line("50", VAT_7), adjustments=[discount("10")])
    assert shares(now) == [[(D(19), 1000, 190), (D(7), 500, 35)]]
    assert (now.subtotal, now.one_time_discounts, now.line_taxes, now.adjustment_taxes) == (15000, 1500, 2250, -225)
    assert now.taxes == 1710 + 315
    assert now.total == 15525
    assert [(r.tax.percentage, r.net, r.tax_amount) for r in now.rates] == [(D(19), 9000, 1710), (D(7), 4500, 315)]


def test_a_fee_carries_the_vat_of_the_lines_it_goes_with_split_by_their_amounts():
    now = due(line("100", VAT_19), line("50", VAT_7), adjustments=[fee("5")])
    # 5.00 in the ratio 100 : 50 is 3.333… : 1.666…; the cent left over goes to the larger remainder
    assert shares(now) == [[(D(19), 333, 63), (D(7), 167, 12)]]  # 19 % of 103.33 = 19.63; 7 % of 51.67 = 3.62
    assert now.taxes == 1963 + 362
    assert now.total == 15000 + 500 + 2325


def test_an_inclusive_rate_keeps_the_total_and_contains_less_vat():
    now = due(LineItem("Buch", D(1), D("119"), tax=LineTax("USt", D(19), inclusive=True)), adjustments=[discount("10")])
    assert shares(now) == [[(D(19), 1190, 190)]]  # 107.10 gross contains 17.10
    assert (now.taxes_included, now.taxes, now.total) == (1710, 0, 10710)
    assert [(r.net, r.tax_amount) for r in now.rates] == [(9000, 1710)]  # the net without the tax it contains


def test_the_part_on_lines_without_a_tax_moves_no_vat():
    now = due(line("100", VAT_19), line("100", None), adjustments=[discount("20", AmountType.AMOUNT)])
    assert shares(now) == [[(D(19), 1000, 190), (None, 1000, 0)]]
    assert now.total == 20000 - 2000 + 1900 - 190
    assert [(r.tax, r.net, r.tax_amount) for r in now.rates] == [(VAT_19, 9000, 1710), (None, 9000, 0)]


def test_a_one_time_tax_is_no_rate_of_its_own_and_is_not_split():
    now = due(
        line("100", VAT_19),
        adjustments=[discount("10"), Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, D(1), "Kurtaxe")],
    )
    assert shares(now) == [[(D(19), 1000, 190)], []]
    assert now.one_time_taxes == 90  # 1 % of 90.00


def test_two_discounts_and_a_fee_move_the_vat_of_each_rate_to_that_of_its_final_amount():
    now = due(
        line("33.33", VAT_19),
        line("66.67", VAT_7),
        adjustments=[discount("3"), discount("1.11", AmountType.AMOUNT), fee("2.22")],
    )
    # 3 % of 100.00 is 3.00 (1.00 : 2.00); 1.11 is 0.37 : 0.74; 2.22 is 0.74 : 1.48
    assert shares(now) == [
        [(D(19), 100, 19), (D(7), 200, 14)],
        [(D(19), 37, 7), (D(7), 74, 5)],
        [(D(19), 74, 14), (D(7), 148, 10)],
    ]
    # the rates end at 33.33 - 1.00 - 0.37 + 0.74 = 32.70 (VAT 6.21) and 66.67 - 2.00 - 0.74 + 1.48 = 65.41 (VAT 4.58)
    assert now.line_taxes + now.adjustment_taxes == 621 + 458


def test_yen_has_no_minor_unit_and_the_split_still_adds_up():
    now = due(
        line("1000", LineTax("消費税", D(10))),
        line("333", LineTax("消費税", D(8))),
        adjustments=[discount("100", AmountType.AMOUNT)],
        currency="jpy",
    )
    # 100 in the ratio 1000 : 333 is 75.01… : 24.98…: the yen left over goes to the second
    assert shares(now) == [[(D(10), 75, 7), (D(8), 25, 2)]]  # 10 % of 925 = 93 (was 100); 8 % of 308 = 25 (was 27)
    assert now.total == 1333 - 100 + 93 + 25


def test_dinar_has_three_decimals_and_a_tie_goes_to_the_first_rate():
    now = due(
        line("12.345", LineTax("VAT", D(5))),
        line("7.655", LineTax("VAT", D(15))),
        adjustments=[fee("2")],
        currency="kwd",
    )
    assert shares(now) == [[(D(5), 1235, 62), (D(15), 765, 115)]]  # 5 % of 13.580 = 0.679; 15 % of 8.420 = 1.263
    assert now.total == 20000 + 2000 + 679 + 1263


def test_an_adjusted_rate_is_rounded_once_on_its_amount_and_a_zero_adjustment_moves_nothing():
    three_cents = [line("0.03", VAT_19)] * 3  # 19 % of 0.03 is 0.0057: 0.01 a line, 0.03 for the three
    assert due(*three_cents, adjustments=[]).taxes == 3
    assert due(*three_cents, adjustments=[discount("0")]).taxes == 3
    assert due(*three_cents, adjustments=[discount("0.01", AmountType.AMOUNT)]).taxes == 2  # 19 % of 0.08


def test_the_whole_subtotal_taken_off_leaves_no_vat():
    now = due(*[line("0.03", VAT_19)] * 3, line("0.05", VAT_7), adjustments=[discount("100")])
    assert (now.taxes, now.total) == (0, 0)


@given(
    amount=st.integers(0, 10**12),
    weights=st.lists(st.integers(0, 10**10), min_size=1, max_size=12),
)
def test_the_parts_of_a_split_add_up_to_the_whole_and_stay_within_a_unit_of_exact(amount, weights):
    parts = split(amount, weights)
    assert sum(parts) == amount
    whole = sum(weights)
    if whole:
        assert all(abs(part * whole - amount * weight) < whole for part, weight in zip(parts, weights, strict=True))
