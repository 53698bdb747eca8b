"""Currency precision, and how amounts and tax percentages are rounded."""

from decimal import Decimal

import pytest

from billing.domain.errors import ValidationFailed
from billing.domain.money import (
    format_decimal,
    minor_units,
    normalize_currency,
    parse_decimal,
    parse_unit_price,
    round_half_up,
    round_tax_percentage,
    to_minor,
    with_currency_scale,
)


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("eur", 2), ("JPY", 0), ("KWD", 3)])
def test_minor_units_come_from_iso_4217(currency, digits):
    assert minor_units(currency) == digits


@pytest.mark.parametrize("code", ["XXX", "ABC", "XAU", "", "usdollar"])
def test_unknown_or_non_payable_currency_is_rejected_naming_the_field(code):
    with pytest.raises(ValidationFailed) as error:
        normalize_currency(code)
    assert error.value.errors[0].field == "currency"


def test_percentage_tax_rate_keeps_two_decimals_and_a_trailing_5_rounds_down():
    # Given percentages with a third decimal, When rounded, Then 9.995 -> 9.99 and 9.996 -> 10.00
    assert round_tax_percentage(Decimal("9.995")) == Decimal("9.99")
    assert round_tax_percentage(Decimal("9.996")) == Decimal("10.00")


def test_amount_based_tax_rounds_half_up_to_two_decimals():
    # amount-based taxes carry two decimals in USD, rounded half-up by the engine's to_minor
    assert to_minor(Decimal("9.994"), "usd") == 999
    assert to_minor(Decimal("9.995"), "usd") == 1000


def test_unit_price_carries_up_to_six_decimals_in_any_currency():
    assert parse_unit_price("0.123456") == Decimal("0.123456")
    assert parse_unit_price("11.900000000") == Decimal("11.9")  # trailing zeros are no extra precision


@pytest.mark.parametrize(("value", "message"), [("0.1234567", "6 decimal"), ("-1", "at least 0"), ("abc", "decimal")])
def test_bad_unit_price_names_the_field(value, message):
    with pytest.raises(ValidationFailed) as error:
        parse_unit_price(value)
    assert error.value.errors[0].field == "unit_price"
    assert message in error.value.errors[0].message


@pytest.mark.parametrize(
    ("amount", "currency", "minor"), [("10.115", "USD", 1012), ("1234.5", "JPY", 1235), ("1.0005", "KWD", 1001)]
)
def test_amounts_round_half_up_to_the_currency_precision(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("written", "currency", "shown"),
    [
        ("11.90", "eur", "11.90"),
        ("11.9", "eur", "11.90"),
        ("100.00", "usd", "100.00"),
        ("100", "usd", "100.00"),
        ("11.905", "eur", "11.905"),
        ("1000", "jpy", "1000"),
        ("1.5", "kwd", "1.500"),
        ("2.5000000", "eur", "2.500000"),
    ],
)
def test_prices_keep_the_scale_written_and_at_least_the_currency_digits(written, currency, shown):
    assert format_decimal(with_currency_scale(parse_unit_price(written), currency)) == shown


@pytest.mark.parametrize("written", ["١٢", "1_000", "1e3", "0x10", "+5", "1.", ".5", "1,5", "Infinity"])
def test_decimals_are_plain_ascii(written):
    with pytest.raises(ValidationFailed):
        parse_decimal(written, "value", max_decimals=6)


def test_quantities_keep_their_own_scale():
    assert format_decimal(parse_decimal("2", "quantity", max_decimals=4)) == "2"
    assert format_decimal(parse_decimal("0.50", "quantity", max_decimals=4)) == "0.50"
    assert format_decimal(parse_decimal("-0.00", "value", max_decimals=4, minimum=None)) == "0.00"


@pytest.mark.parametrize(
    ("minor", "whole"),
    [("0.5", 1), ("1.5", 2), ("2.5", 3), ("46.5", 47), ("47.5", 48), ("2.4999", 2), ("2.5001", 3), ("-2.5", -3)],
)
def test_round_half_up_takes_every_half_away_from_zero(minor, whole):
    assert round_half_up(Decimal(minor)) == whole
