"""Contract metrics, with fixed monthly factors (a week is 4.33 per month), not calendar arithmetic.

Per line, from what one payment actually charges net of tax (its rounded net amount, less the
tax an inclusive price contains; exclusive tax is never in it):
- MRR = amount x the frequency's monthly factor (weekly 4.33, every two weeks 2.16, monthly 1,
  quarterly 1/3, semi-annually 1/6, annually 1/12, every N years 1/12N);
- ARR = amount x the payments in one year (weekly 52, every two weeks 26, ...), or x the
  payments of a shorter fixed term (weekly for 6 weeks: 6);
- TCV = amount x the payments of the fixed term, or one year of payments when there is none;
- ACV = amount x the payments made in the first year (the first payment of a multi-year line
  counts whole); a one-time line counts once in ACV and TCV and not in MRR or ARR.
Margin variants use that amount - quantity x unit cost where the unit cost is known. Everything
is summed exactly and rounded once, half-up, to the currency's precision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from billing.domain.money import minor_units, to_minor
from billing.domain.pricing import PricedLine

_FIELDS = ("mrr", "arr", "acv", "tcv")


@dataclass(frozen=True)
class Metrics:
    mrr: int
    arr: int
    acv: int
    tcv: int
    margin_mrr: int
    margin_arr: int
    margin_acv: int
    margin_tcv: int
    costs_known: bool  # False when some line has no unit cost (its margin counts as its full amount)


def _exact(amount: Decimal, line: PricedLine) -> dict[str, Decimal]:
    item = line.item
    frequency = item.frequency
    if not frequency.is_recurring:
        return {"mrr": Decimal(0), "arr": Decimal(0), "acv": amount, "tcv": amount}
    per_year = frequency.payments_per_year
    first_year = per_year.to_integral_value(rounding=ROUND_CEILING)
    term = item.payments
    return {
        "mrr": amount * frequency.mrr_factor,
        "arr": amount * (min(Decimal(term), per_year) if term else per_year),
        "acv": amount * (min(Decimal(term), first_year) if term else first_year),
        "tcv": amount * (term if term else per_year),
    }


def contract_metrics(lines: Sequence[PricedLine], currency: str) -> tuple[Metrics, list[Metrics]]:
    """The metrics of the whole set of lines and of each line."""
    per_line = []
    totals = dict.fromkeys(_FIELDS, Decimal(0))
    margin_totals = dict.fromkeys(_FIELDS, Decimal(0))
    all_costs_known = True
    digits = minor_units(currency)
    for line in lines:
        charged = Decimal(line.net - line.included_tax).scaleb(-digits)
        revenue = _exact(charged, line)
        unit_cost = line.item.unit_cost
        known = unit_cost is not None
        margin = _exact(charged - line.item.quantity * unit_cost, line) if unit_cost is not None else revenue
        all_costs_known &= known
        for name in _FIELDS:
            totals[name] += revenue[name]
            margin_totals[name] += margin[name]
        per_line.append(_rounded(revenue, margin, currency, known))
    return _rounded(totals, margin_totals, currency, all_costs_known), per_line


def _rounded(revenue: dict[str, Decimal], margin: dict[str, Decimal], currency: str, costs_known: bool) -> Metrics:
    rounded = {name: to_minor(value, currency) for name, value in revenue.items()}
    margins = rounded if margin is revenue else {name: to_minor(value, currency) for name, value in margin.items()}
    return Metrics(**rounded, **{f"margin_{name}": value for name, value in margins.items()}, costs_known=costs_known)
