"""Amounts, numbers and dates as a person of the tenant's locale reads them (babel): the PDF, the
hosted page and the emails say the same thing the same way. Currencies keep their own digits
(JPY 0, KWD 3). Billow's own records (an invoice's history, a customer's timeline) are English
sentences and show amounts as English does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billing.domain.money import minor_units

# babel is imported on first use (about 25 ms and its locale data): a cold start that formats
# nothing never pays for it.


class Formatter:
    def __init__(self, locale: str, currency: str):
        self.locale = locale or "en_US"
        self.currency = currency

    @property
    def language(self) -> str:
        return self.locale.split("_")[0]

    def money(self, minor: int) -> str:
        from babel.numbers import format_currency

        amount = Decimal(minor).scaleb(-minor_units(self.currency))
        return format_currency(amount, self.currency.upper(), locale=self.locale)

    def unit_money(self, amount: Decimal) -> str:
        """A unit price as given: 0.000001 EUR keeps its digits, 11.9 shows 11.90."""
        from babel.numbers import format_currency

        return format_currency(amount, self.currency.upper(), locale=self.locale, decimal_quantization=False)

    def number(self, value: Decimal) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value.normalize(), locale=self.locale)

    def percent(self, percentage: Decimal) -> str:
        from babel.numbers import format_percent

        return format_percent(percentage / 100, locale=self.locale, decimal_quantization=False)

    def day(self, value: date | None) -> str:
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale) if value else "—"

    def moment(self, value: datetime) -> str:
        """A point in time in UTC, saying so: "04.12.2026 13:22 UTC", "Dec 4, 2026 1:22 PM UTC"."""
        from babel.dates import format_time

        at = value.astimezone(UTC)
        return f"{self.day(at.date())} {format_time(at, format='short', locale=self.locale, tzinfo=UTC)} UTC"


RECORDS_LOCALE = "en_US"


def format_amount(minor: int, currency: str, locale: str = RECORDS_LOCALE) -> str:
    """An amount in minor units as ``locale`` writes it: 119,00 € (de_DE), €119.00 (en_US)."""
    return Formatter(locale, currency).money(minor)
