"""Currencies and their rounding: unit prices to six decimal places, tax percentages to two.
Amounts are integers in minor units."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from typing import cast

from billing.domain.errors import ValidationFailed

MAX_UNIT_PRICE_DECIMALS = 6
# Far above any real price, far below what integer minor units of any currency can carry.
MAX_UNIT_PRICE = Decimal("999999999999")
# The most one payment carries, in minor units (999,999,999.99 in a two-digit currency): every
# amount the money engine computes for a payment (a line, an adjustment, a document's total) and
# every amount the API takes is at most this, so each fits a signed 64-bit integer many times over.
MAX_AMOUNT = 99_999_999_999
_CENT = Decimal("0.01")
_ONE = Decimal(1)


@cache
def minor_units(currency: str) -> int:
    """ISO 4217 minor units of an active currency code (USD/EUR 2, JPY 0, KWD 3)."""
    from iso4217 import Currency  # the ISO table loads on the first lookup, not at import

    member = Currency.__members__.get(currency.upper()) if isinstance(currency, str) else None
    if member is None or member.exponent is None:
        raise ValueError(f"unknown or non-payable currency {currency!r}")
    return member.exponent


def normalize_currency(value: str, field: str = "currency") -> str:
    """Currency codes travel lower-case, as Stripe writes them (``usd``)."""
    try:
        minor_units(value)
    except ValueError:
        raise ValidationFailed.of(field, f"{value!r} is not an ISO 4217 currency code") from None
    return value.lower()


# Plain decimals as people write them: ASCII digits, an optional sign and point. Python's Decimal
# also reads "1e28", "1_000" and Arabic-Indic digits; none of those is a price.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,12})?")


def parse_decimal(
    value: str | int | Decimal,
    field: str,
    *,
    max_decimals: int,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
) -> Decimal:
    """A decimal within bounds, keeping the scale it was written with ("11.90" stays "11.90");
    trailing zeros past ``max_decimals`` are dropped."""
    text = str(value).strip()
    if not isinstance(value, Decimal) and not _PLAIN_DECIMAL.fullmatch(text):
        raise ValidationFailed.of(field, f"{value!r} is not a decimal number written with the digits 0-9")
    number = Decimal(text)  # cannot fail: plain decimals match the pattern, and a Decimal's text is one
    if not number.is_finite():
        raise ValidationFailed.of(field, "must be a finite number")
    step = Decimal(1).scaleb(-max_decimals)
    if -cast(int, number.as_tuple().exponent) > max_decimals:  # a finite decimal's exponent is an int
        if number != number.quantize(step):
            raise ValidationFailed.of(field, f"at most {max_decimals} decimal places")
        number = number.quantize(step)
    if minimum is not None and number < minimum:
        raise ValidationFailed.of(field, f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ValidationFailed.of(field, f"must be at most {maximum}")
    return number.copy_abs() if number == 0 else number


def parse_unit_price(value: str | int | Decimal, field: str = "unit_price") -> Decimal:
    """Unit prices carry up to six decimal places in any currency."""
    return parse_decimal(value, field, max_decimals=MAX_UNIT_PRICE_DECIMALS, maximum=MAX_UNIT_PRICE)


def round_tax_percentage(percentage: Decimal) -> Decimal:
    """Tax percentages carry two decimals; a 5 in the third place rounds down (9.995 -> 9.99),
    6 and above round up (9.996 -> 10.00)."""
    return percentage.quantize(_CENT, rounding=ROUND_HALF_DOWN)


def round_half_up(minor: Decimal) -> int:
    """Round a value already in minor units to a whole minor unit, half-up."""
    return int(minor.quantize(_ONE, rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal, currency: str) -> int:
    """Round a major-unit amount half-up to the currency's precision, as integer minor units."""
    return int(amount.scaleb(minor_units(currency)).quantize(_ONE, rounding=ROUND_HALF_UP))


def to_major(minor: int, currency: str) -> Decimal:
    """Integer minor units as the major-unit amount: 1234 EUR cents is 12.34, 1234 JPY is 1234."""
    return Decimal(minor).scaleb(-minor_units(currency))


def with_currency_scale(value: Decimal, currency: str) -> Decimal:
    """At least the currency's digits: 11.9 EUR is shown as 11.90, 11.905 stays 11.905."""
    digits = minor_units(currency)
    exponent = cast(int, value.as_tuple().exponent)  # an amount is finite: its exponent is an int
    return value.quantize(Decimal(1).scaleb(-digits)) if -exponent < digits else value


def format_decimal(value: Decimal) -> str:
    """Decimal to the plain string the API shows, in the scale it carries (``"11.90"`` stays
    ``"11.90"``, ``"2"`` stays ``"2"``, never ``1.19E+1``)."""
    return format(value, "f")
