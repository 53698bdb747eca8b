"""Billing frequencies (SPEC P2)."""

from __future__ import annotations

from enum import StrEnum


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
