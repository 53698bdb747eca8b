"""The money engine: price and summarise a 200-line invoice; build a 5-year weekly schedule."""

from __future__ import annotations

import statistics
import time
from datetime import date
from decimal import Decimal

from billing.domain.metrics import contract_metrics
from billing.domain.periods import BillingFrequency, billing_dates
from billing.domain.pricing import (
    Adjustment,
    AdjustmentKind,
    AmountType,
    LineItem,
    LineTax,
    UnitDiscount,
    subscription_groups,
    summarize,
)

TODAY = date(2026, 3, 1)
RUNS = 200


def invoice_lines(count: int = 200) -> list[LineItem]:
    frequencies = list(BillingFrequency)
    return [
        LineItem(
            name=f"Line {i}",
            quantity=Decimal(1 + i % 7),
            unit_price=Decimal(f"{1 + i % 97}.{i:06d}"),
            frequency=frequencies[i % len(frequencies)],
            payments=12 if i % 3 == 0 and frequencies[i % len(frequencies)].is_recurring else None,
            discount=UnitDiscount(
                AmountType.PERCENT if i % 2 else AmountType.AMOUNT, Decimal("7.5") if i % 2 else Decimal("0.25")
            ),
            tax=LineTax("USt", Decimal("19") if i % 4 else Decimal("7"), inclusive=i % 5 == 0),
            unit_cost=Decimal("1.5") if i % 2 else None,
        )
        for i in range(count)
    ]


ADJUSTMENTS = [
    Adjustment(AdjustmentKind.DISCOUNT, AmountType.PERCENT, Decimal("5")),
    Adjustment(AdjustmentKind.FEE, AmountType.AMOUNT, Decimal("9.90")),
    Adjustment(AdjustmentKind.TAX, AmountType.PERCENT, Decimal("1.5")),
]


def _median_us(work, runs: int = RUNS) -> float:
    work()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def report() -> None:
    lines = invoice_lines()

    def price_invoice():
        summary = summarize(lines, ADJUSTMENTS, "eur", TODAY)
        contract_metrics(summary.lines, "eur")
        subscription_groups(summary.lines)

    def price_only():
        summarize(lines, ADJUSTMENTS, "eur", TODAY)

    def five_years_weekly():
        return list(billing_dates(TODAY, BillingFrequency.WEEKLY, 261))

    print(f"\nMoney engine, median of {RUNS} runs (target: 200-line invoice under 2000 us)")
    print(f"  price + summarise 200 lines (discounts, taxes, adjustments)    {_median_us(price_only):>9.0f} us")
    print(f"  ... plus metrics and subscription grouping                     {_median_us(price_invoice):>9.0f} us")
    print(f"  5-year weekly schedule (261 dates)                             {_median_us(five_years_weekly):>9.0f} us")
