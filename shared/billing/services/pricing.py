"""Preview what a set of line items costs: what a line-item editor shows while
the user types. Library products and tax rates are read in one batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.access import Caller, Permission
from billing.domain.catalog import Product, TaxRate, checked_tax_percentage
from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.metrics import Metrics, contract_metrics
from billing.domain.money import parse_decimal, parse_unit_price, with_currency_scale
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.domain.pricing import (
    Adjustment,
    AdjustmentKind,
    AmountType,
    LineItem,
    LineTax,
    ScheduledPayment,
    SubscriptionGroup,
    Summary,
    UnitDiscount,
    check_line,
    payment_schedule,
    subscription_groups,
    summarize,
)
from billing.ports import CatalogRepository, Clock, SettingsRepository

QUANTITY_DECIMALS = 6


@dataclass(frozen=True)
class Preview:
    today: date
    summary: Summary
    metrics: Metrics
    line_metrics: list[Metrics]
    subscriptions: list[SubscriptionGroup]
    schedule: list[ScheduledPayment]


class PricingService:
    def __init__(self, catalog: CatalogRepository, settings: SettingsRepository, clock: Clock):
        self._catalog = catalog
        self._settings = settings
        self._clock = clock

    def preview(self, caller: Caller, request: dict) -> Preview:
        caller.require(Permission.READ)
        currency = self._settings.get(caller.tenant_id).billing_currency(request["currency"])
        today = request.get("date") or self._clock.now().date()
        items, adjustments = self.document_items(
            caller.tenant_id,
            currency,
            request["lines"],
            request.get("adjustments", []),
            bool(request.get("for_invoice")),
        )
        summary = summarize(items, adjustments, currency, today)
        metrics, per_line = contract_metrics(summary.lines, currency)
        return Preview(
            today=today,
            summary=summary,
            metrics=metrics,
            line_metrics=per_line,
            subscriptions=subscription_groups(summary.lines),
            schedule=payment_schedule(summary, today, request.get("schedule_length", 12)),
        )

    def document_items(
        self,
        tenant_id: str,
        currency: str,
        lines: list[dict],
        raw_adjustments: list[dict],
        for_invoice: bool = False,
        catalog: tuple[dict, dict] | None = None,
    ) -> tuple[list[LineItem], list[Adjustment]]:
        """A document's request lines and one-time adjustments as the money engine takes them, with
        library products and tax rates read in one batch (or as ``catalog`` already holds them);
        every bad field is named at once."""
        products, rates = catalog or self._catalog.get_catalog(tenant_id, *library_ids(lines))
        items, errors = [], []
        for index, line in enumerate(lines):
            where = f"lines.{index}"
            try:
                item = line_item(line, where, currency, products, rates, for_invoice)
            except ValidationFailed as error:
                errors.extend(error.errors)
                continue
            items.append(item)
            errors.extend(check_line(item, where))
        adjustments = []
        for index, raw in enumerate(raw_adjustments):
            try:
                value = parse_decimal(raw["value"], f"adjustments.{index}.value", max_decimals=6)
            except ValidationFailed as error:
                errors.extend(error.errors)
                continue
            adjustments.append(
                Adjustment(AdjustmentKind(raw["kind"]), AmountType(raw["type"]), value, raw.get("name", ""))
            )
        if errors:
            raise ValidationFailed(errors)
        return items, adjustments


def library_ids(lines: list[dict]) -> tuple[set[str], set[str]]:
    """The library products and tax rates a document's lines name."""
    return (
        {x["product_id"] for x in lines if x.get("product_id")},
        {x["tax_rate_id"] for x in lines if x.get("tax_rate_id")},
    )


def line_item(
    line: dict,
    where: str,
    currency: str,
    products: dict[str, Product],
    rates: dict[str, TaxRate],
    for_invoice: bool = False,
) -> LineItem:
    """A request line as a LineItem: a library product's values unless the line overrides them
    (editing a line never changes the library product), or a custom line."""
    errors: list[FieldError] = []
    product = None
    if line.get("product_id"):
        product = products.get(line["product_id"])
        if product is None or product.archived:
            raise ValidationFailed.of(f"{where}.product_id", "no such product in the library (or it is archived)")
        if product.currency != currency:
            raise ValidationFailed.of(
                f"{where}.product_id", f"the product is priced in {product.currency}, the document in {currency}"
            )
    base = product or _CUSTOM
    name = line.get("name") or base.name
    if not name:
        errors.append(FieldError(f"{where}.name", "required for a custom line"))
    if line.get("unit_price") is None and product is None:
        errors.append(FieldError(f"{where}.unit_price", "required for a custom line"))
    if errors:
        raise ValidationFailed(errors)
    unit_price = with_currency_scale(
        parse_unit_price(line["unit_price"], f"{where}.unit_price")
        if line.get("unit_price") is not None or product is None
        else product.unit_price,
        currency,
    )
    unit_cost = (
        parse_unit_price(line["unit_cost"], f"{where}.unit_cost")
        if line.get("unit_cost") is not None
        else base.unit_cost
    )
    quantity = parse_decimal(line.get("quantity", "1"), f"{where}.quantity", max_decimals=QUANTITY_DECIMALS)
    frequency = BillingFrequency(line.get("billing_frequency") or base.billing_frequency)
    item = LineItem(
        name=name,
        quantity=quantity,
        unit_price=unit_price,
        frequency=frequency,
        payments=line.get("payments"),
        billing_start=_billing_start(line.get("billing_start")),
        discount=_discount(line.get("discount"), where),
        tax=_tax(line, where, rates),
        unit_cost=unit_cost,
        product_id=product.id if product else None,
        description=line.get("description") or base.description,
    )
    return item.as_one_time() if for_invoice else item


@dataclass(frozen=True)
class _Custom:
    name: str = ""
    description: str = ""
    unit_cost: Decimal | None = None
    billing_frequency: BillingFrequency = BillingFrequency.ONE_TIME


_CUSTOM = _Custom()


def _billing_start(raw: dict | None) -> BillingStart:
    if not raw:
        return BillingStart()
    return BillingStart(
        BillingStartKind(raw["type"]), on=raw.get("date"), days=raw.get("days", 0), months=raw.get("months", 0)
    )


def _discount(raw: dict | None, where: str) -> UnitDiscount | None:
    if not raw:
        return None
    return UnitDiscount(AmountType(raw["type"]), parse_decimal(raw["value"], f"{where}.discount.value", max_decimals=6))


def _tax(line: dict, where: str, rates: dict[str, TaxRate]) -> LineTax | None:
    if line.get("tax_rate_id") and line.get("tax"):
        raise ValidationFailed.of(f"{where}.tax", "give either tax_rate_id or tax, not both")
    if line.get("tax_rate_id"):
        rate = rates.get(line["tax_rate_id"])
        if rate is None or rate.archived:
            raise ValidationFailed.of(f"{where}.tax_rate_id", "no such tax rate (or it is archived)")
        return LineTax(rate.name, rate.percentage, rate.inclusive, rate.id)
    raw = line.get("tax")
    if not raw:
        return None
    try:
        percentage = checked_tax_percentage(raw["percentage"])
    except ValidationFailed:
        raise ValidationFailed.of(f"{where}.tax.percentage", "must be a percentage from 0 to 100") from None
    return LineTax(raw.get("name") or "Tax", percentage, bool(raw.get("inclusive")))
