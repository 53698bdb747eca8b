"""Billing frequencies and calendar arithmetic.

Every billing date is computed from the start date (start + n periods), never from the
previous date, so a subscription started on 31 January bills on 28/29 February and again on
31 March instead of drifting to the 28th. Month arithmetic clamps to the month's last day, as
dateutil's relativedelta does; it is written out here because relativedelta costs ~10 us a date
and a 5-year weekly schedule has 261 (the property tests check it against relativedelta)."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from billing.domain.errors import ValidationFailed


class BillingFrequency(StrEnum):
    ONE_TIME = "one_time"
    WEEKLY = "weekly"
    EVERY_TWO_WEEKS = "every_two_weeks"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUALLY = "semi_annually"
    ANNUALLY = "annually"
    EVERY_TWO_YEARS = "every_two_years"
    EVERY_THREE_YEARS = "every_three_years"
    EVERY_FOUR_YEARS = "every_four_years"
    EVERY_FIVE_YEARS = "every_five_years"

    @property
    def is_recurring(self) -> bool:
        return self is not BillingFrequency.ONE_TIME

    @property
    def payments_per_year(self) -> Decimal:
        """Payments in one year, counted as whole weeks (weekly 52, every two weeks 26)."""
        return _PAYMENTS_PER_YEAR[self]

    @property
    def mrr_factor(self) -> Decimal:
        """Fixed monthly factors, not calendar arithmetic: weekly x 4.33, every two weeks x 2.16,
        quarterly / 3, semi-annually / 6, annually / 12, every N years / 12N."""
        return _MRR_FACTORS[self]


_WEEKS = {BillingFrequency.WEEKLY: 1, BillingFrequency.EVERY_TWO_WEEKS: 2}
_MONTHS = {
    BillingFrequency.MONTHLY: 1,
    BillingFrequency.QUARTERLY: 3,
    BillingFrequency.SEMI_ANNUALLY: 6,
    BillingFrequency.ANNUALLY: 12,
    BillingFrequency.EVERY_TWO_YEARS: 24,
    BillingFrequency.EVERY_THREE_YEARS: 36,
    BillingFrequency.EVERY_FOUR_YEARS: 48,
    BillingFrequency.EVERY_FIVE_YEARS: 60,
}

_YEARS = {
    BillingFrequency.EVERY_TWO_YEARS: 2,
    BillingFrequency.EVERY_THREE_YEARS: 3,
    BillingFrequency.EVERY_FOUR_YEARS: 4,
    BillingFrequency.EVERY_FIVE_YEARS: 5,
}

_PAYMENTS_PER_YEAR = {
    BillingFrequency.ONE_TIME: Decimal(0),
    BillingFrequency.WEEKLY: Decimal(52),
    BillingFrequency.EVERY_TWO_WEEKS: Decimal(26),
    BillingFrequency.MONTHLY: Decimal(12),
    BillingFrequency.QUARTERLY: Decimal(4),
    BillingFrequency.SEMI_ANNUALLY: Decimal(2),
    BillingFrequency.ANNUALLY: Decimal(1),
    **{f: Decimal(1) / n for f, n in _YEARS.items()},
}

_MRR_FACTORS = {
    BillingFrequency.ONE_TIME: Decimal(0),
    BillingFrequency.WEEKLY: Decimal("4.33"),
    BillingFrequency.EVERY_TWO_WEEKS: Decimal("2.16"),
    BillingFrequency.MONTHLY: Decimal(1),
    BillingFrequency.QUARTERLY: Decimal(1) / 3,
    BillingFrequency.SEMI_ANNUALLY: Decimal(1) / 6,
    BillingFrequency.ANNUALLY: Decimal(1) / 12,
    **{f: Decimal(1) / (12 * n) for f, n in _YEARS.items()},
}


def add_months(start: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def billing_date(start: date, frequency: BillingFrequency, n: int) -> date:
    """The date of payment ``n`` (0 = the first), anchored on the start date."""
    if frequency in _WEEKS:
        return start + timedelta(weeks=_WEEKS[frequency] * n)
    if frequency in _MONTHS:
        return add_months(start, _MONTHS[frequency] * n)
    return start


def end_date(start: date, frequency: BillingFrequency, payments: int) -> date:
    """The end of a fixed term, one period after the last payment
    (1 March, monthly, 6 payments -> 1 September)."""
    return billing_date(start, frequency, payments)


def billing_dates(start: date, frequency: BillingFrequency, payments: int | None = None) -> Iterator[date]:
    """Every payment date in order; endless for an auto-renewing line (``payments`` None)."""
    if not frequency.is_recurring:
        yield start
        return
    n = 0
    while payments is None or n < payments:
        yield billing_date(start, frequency, n)
        n += 1


class BillingStartKind(StrEnum):
    AT_CREATION = "at_creation"
    CUSTOM_DATE = "custom_date"
    DELAY_DAYS = "delay_days"
    DELAY_MONTHS = "delay_months"


@dataclass(frozen=True)
class BillingStart:
    """When billing starts: at creation (default), on a custom future date, or delayed."""

    kind: BillingStartKind = BillingStartKind.AT_CREATION
    on: date | None = None
    days: int = 0
    months: int = 0

    def resolve(self, created_on: date, field: str = "billing_start") -> date:
        if self.kind is BillingStartKind.AT_CREATION:
            return created_on
        if self.kind is BillingStartKind.CUSTOM_DATE:
            if self.on is None:
                raise ValidationFailed.of(f"{field}.date", "required for a custom start date")
            if self.on < created_on:
                raise ValidationFailed.of(f"{field}.date", "must not lie in the past")
            return self.on
        if self.kind is BillingStartKind.DELAY_DAYS:
            if not 1 <= self.days <= 3650:
                raise ValidationFailed.of(f"{field}.days", "must be 1 to 3650")
            return created_on + timedelta(days=self.days)
        if not 1 <= self.months <= 120:
            raise ValidationFailed.of(f"{field}.months", "must be 1 to 120")
        return add_months(created_on, self.months)
