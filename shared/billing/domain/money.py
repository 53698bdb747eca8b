"""Currencies and the rounding rules of SPEC P7 and P10. Amounts are integers in minor units."""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from billing.domain.errors import ValidationFailed

MAX_UNIT_PRICE_DECIMALS = 6
# Far above any real price, far below what integer minor units of any currency can carry.
MAX_UNIT_PRICE = Decimal("999999999999")
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


def parse_decimal(
    value: str | int | Decimal,
    field: str,
    *,
    max_decimals: int,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.of(field, f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValidationFailed.of(field, "must be a finite number")
    exponent = number.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and -exponent > max_decimals
        and number != number.quantize(Decimal(1).scaleb(-max_decimals))
    ):
        raise ValidationFailed.of(field, f"at most {max_decimals} decimal places")
    if minimum is not None and number < minimum:
        raise ValidationFailed.of(field, f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ValidationFailed.of(field, f"must be at most {maximum}")
    return number.normalize() if number != 0 else Decimal(0)


def parse_unit_price(value: str | int | Decimal, field: str = "unit_price") -> Decimal:
    """P7: unit prices carry up to six decimal places in any currency."""
    return parse_decimal(value, field, max_decimals=MAX_UNIT_PRICE_DECIMALS, maximum=MAX_UNIT_PRICE)


def round_tax_percentage(percentage: Decimal) -> Decimal:
    """P10: tax percentages carry two decimals; a 5 in the third place rounds down (9.995 -> 9.99),
    6 and above round up (9.996 -> 10.00)."""
    return percentage.quantize(_CENT, rounding=ROUND_HALF_DOWN)


def round_half_up(minor: Decimal) -> int:
    """Round a value already in minor units to a whole minor unit, half-up."""
    return int(minor.quantize(_ONE, rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal, currency: str) -> int:
    """Round a major-unit amount half-up to the currency's precision, as integer minor units."""
    return int(amount.scaleb(minor_units(currency)).quantize(_ONE, rounding=ROUND_HALF_UP))


def format_decimal(value: Decimal) -> str:
    """Decimal to the plain string the API shows (``"11.9"`` stays ``"11.9"``, never ``1.19E+1``)."""
    return format(value.normalize(), "f") if value != 0 else "0"
