"""Billing periods: the eleven frequencies, calendar arithmetic anchored on the start, terms and
start rules."""

from datetime import date

import pytest

from billing.domain.errors import ValidationFailed
from billing.domain.periods import (
    BillingFrequency,
    BillingStart,
    BillingStartKind,
    billing_date,
    billing_dates,
    end_date,
)

F = BillingFrequency


def test_there_are_eleven_billing_frequencies_from_one_time_to_every_five_years():
    assert [f.value for f in F] == [
        "one_time",
        "weekly",
        "every_two_weeks",
        "monthly",
        "quarterly",
        "semi_annually",
        "annually",
        "every_two_years",
        "every_three_years",
        "every_four_years",
        "every_five_years",
    ]


def test_monthly_from_31_january_never_drifts_to_the_28th():
    dates = list(billing_dates(date(2026, 1, 31), F.MONTHLY, 4))
    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert billing_date(date(2028, 1, 31), F.MONTHLY, 1) == date(2028, 2, 29)  # leap year


def test_fixed_term_end_date_is_start_plus_n_periods():
    # a fixed term: started 1 March, monthly, 6 payments -> end date 1 September
    assert end_date(date(2026, 3, 1), F.MONTHLY, 6) == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("frequency", "second"),
    [
        (F.WEEKLY, date(2026, 3, 8)),
        (F.EVERY_TWO_WEEKS, date(2026, 3, 15)),
        (F.QUARTERLY, date(2026, 6, 1)),
        (F.SEMI_ANNUALLY, date(2026, 9, 1)),
        (F.ANNUALLY, date(2027, 3, 1)),
        (F.EVERY_TWO_YEARS, date(2028, 3, 1)),
        (F.EVERY_THREE_YEARS, date(2029, 3, 1)),
        (F.EVERY_FOUR_YEARS, date(2030, 3, 1)),
        (F.EVERY_FIVE_YEARS, date(2031, 3, 1)),
    ],
)
def test_second_payment_of_each_frequency(frequency, second):
    assert billing_date(date(2026, 3, 1), frequency, 1) == second


def test_leap_day_annual_falls_back_to_28_february_and_returns():
    dates = list(billing_dates(date(2028, 2, 29), F.ANNUALLY, 5))
    assert dates == [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)]


def test_one_time_has_one_date():
    assert list(billing_dates(date(2026, 3, 1), F.ONE_TIME)) == [date(2026, 3, 1)]


CREATED = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (BillingStart(), date(2026, 3, 1)),
        (BillingStart(BillingStartKind.CUSTOM_DATE, on=date(2026, 5, 15)), date(2026, 5, 15)),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=14), date(2026, 3, 15)),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=2), date(2026, 5, 1)),
    ],
)
def test_billing_starts_at_creation_on_a_date_or_after_some_days_or_months(start, expected):
    assert start.resolve(CREATED) == expected


@pytest.mark.parametrize(
    ("start", "field"),
    [
        (BillingStart(BillingStartKind.CUSTOM_DATE, on=date(2026, 2, 1)), "billing_start.date"),
        (BillingStart(BillingStartKind.CUSTOM_DATE), "billing_start.date"),
        (BillingStart(BillingStartKind.DELAY_DAYS, days=0), "billing_start.days"),
        (BillingStart(BillingStartKind.DELAY_MONTHS, months=121), "billing_start.months"),
    ],
)
def test_bad_billing_start_names_the_field(start, field):
    with pytest.raises(ValidationFailed) as error:
        start.resolve(CREATED)
    assert error.value.errors[0].field == field
