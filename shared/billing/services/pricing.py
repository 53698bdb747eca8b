"""Preview what a set of line items costs: what a line-item editor shows while
the user types. Library products and tax rates are read in one batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.access import Caller, Permission
from billing.domain.catalog import Product, TaxRate, checked_tax_percentage
from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.metrics import Metrics, contract_metrics
from billing.domain.money import parse_decimal, parse_unit_price, with_currency_scale
from billing.domain.orders import AdjustmentOrder, DiscountOrder, LineOrder, PreviewOrder, TaxOrder
from billing.domain.periods import BillingFrequency, BillingStart
from billing.domain.pricing import (
    Adjustment,
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
from billing.domain.vat import category_of, rate_errors
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


@dataclass(frozen=True)
class PricingService:
    catalog: CatalogRepository
    settings: SettingsRepository
    clock: Clock

    def preview(self, caller: Caller, order: PreviewOrder) -> Preview:
        caller.require(Permission.READ)
        today = order.on or self.clock.now().date()
        settings = self.settings.get(caller.tenant_id)
        currency = settings.billing_currency(order.currency)
        items, adjustments = self.document_items(
            caller.tenant_id,
            currency,
            order.lines,
            order.adjustments,
            order.for_invoice,
            default_tax_rate_id=settings.default_tax_rate_id,
        )
        summary = summarize(items, adjustments, currency, today)
        metrics, per_line = contract_metrics(summary.lines, currency)
        return Preview(
            today=today,
            summary=summary,
            metrics=metrics,
            line_metrics=per_line,
            subscriptions=subscription_groups(summary.lines),
            schedule=payment_schedule(summary, today, order.schedule_length),
        )

    def document_items(
        self,
        tenant_id: str,
        currency: str,
        lines: Sequence[LineOrder],
        written_adjustments: Sequence[AdjustmentOrder],
        for_invoice: bool = False,
        catalog: tuple[dict[str, Product], dict[str, TaxRate]] | None = None,
        *,
        default_tax_rate_id: str | None,
    ) -> tuple[list[LineItem], list[Adjustment]]:
        """A document's written lines and one-time adjustments as the money engine takes them, with
        library products and tax rates read in one batch (or as ``catalog`` already holds them);
        every bad field is named at once. A line that names no tax takes its product's rate, else
        ``default_tax_rate_id`` (the tenant's), read in a second batch when the first lacks them."""
        products, rates = catalog or self.catalog.get_catalog(tenant_id, *library_ids(lines))
        implied = implied_rate_ids(lines, products, default_tax_rate_id) - rates.keys()
        if implied:
            rates = {**rates, **self.catalog.get_catalog(tenant_id, set(), implied)[1]}
        items: list[LineItem] = []
        errors: list[FieldError] = []
        for index, line in enumerate(lines):
            where = f"lines.{index}"
            try:
                item = line_item(line, where, currency, products, rates, for_invoice, default_tax_rate_id)
            except ValidationFailed as error:
                errors.extend(error.errors)
                continue
            items.append(item)
            errors.extend(check_line(item, where))
        adjustments = []
        for index, written in enumerate(written_adjustments):
            try:
                value = parse_decimal(written.value, f"adjustments.{index}.value", max_decimals=6)
            except ValidationFailed as error:
                errors.extend(error.errors)
                continue
            adjustments.append(Adjustment(written.kind, written.type, value, written.name))
        if errors:
            raise ValidationFailed(errors)
        return items, adjustments


def library_ids(lines: Sequence[LineOrder]) -> tuple[set[str], set[str]]:
    """The library products and tax rates a document's lines name."""
    return (
        {line.product_id for line in lines if line.product_id},
        {line.tax_rate_id for line in lines if line.tax_rate_id},
    )


def implied_rate_ids(
    lines: Sequence[LineOrder], products: dict[str, Product], default_tax_rate_id: str | None
) -> set[str]:
    """The rates that lines naming no tax take: their product's, else the tenant's default."""
    implied = set()
    for line in lines:
        if line.tax_rate_id or line.tax:
            continue
        product = products.get(line.product_id) if line.product_id else None
        rate_id = (product.tax_rate_id if product else None) or default_tax_rate_id
        if rate_id:
            implied.add(rate_id)
    return implied


def line_item(
    line: LineOrder,
    where: str,
    currency: str,
    products: dict[str, Product],
    rates: dict[str, TaxRate],
    for_invoice: bool = False,
    default_tax_rate_id: str | None = None,
) -> LineItem:
    """A written line as a LineItem: a library product's values unless the line overrides them
    (editing a line never changes the library product), or a custom line."""
    errors: list[FieldError] = []
    product = None
    if line.product_id:
        product = products.get(line.product_id)
        if product is None or product.archived:
            raise ValidationFailed.of(f"{where}.product_id", "no such product in the library (or it is archived)")
        if product.currency != currency:
            raise ValidationFailed.of(
                f"{where}.product_id", f"the product is priced in {product.currency}, the document in {currency}"
            )
    base: Product | _Custom = product or _CUSTOM
    name = line.name or base.name
    if not name:
        errors.append(FieldError(f"{where}.name", "required for a custom line"))
    if line.unit_price is None and product is None:
        errors.append(FieldError(f"{where}.unit_price", "required for a custom line"))
    if errors:
        raise ValidationFailed(errors)
    if line.unit_price is not None:
        unit_price = parse_unit_price(line.unit_price, f"{where}.unit_price")
    else:
        assert product is not None  # a custom line's price is required above
        unit_price = product.unit_price
    unit_price = with_currency_scale(unit_price, currency)
    unit_cost = parse_unit_price(line.unit_cost, f"{where}.unit_cost") if line.unit_cost is not None else base.unit_cost
    quantity = parse_decimal(line.quantity, f"{where}.quantity", max_decimals=QUANTITY_DECIMALS)
    frequency = BillingFrequency(line.billing_frequency or base.billing_frequency)
    item = LineItem(
        name=name,
        quantity=quantity,
        unit_price=unit_price,
        frequency=frequency,
        payments=line.payments,
        billing_start=line.billing_start or BillingStart(),
        discount=_discount(line.discount, where),
        tax=_tax(line, where, rates, product, default_tax_rate_id),
        unit_cost=unit_cost,
        product_id=product.id if product else None,
        description=line.description or base.description,
    )
    return item.as_one_time() if for_invoice else item


@dataclass(frozen=True)
class _Custom:
    name: str = ""
    description: str = ""
    unit_cost: Decimal | None = None
    billing_frequency: BillingFrequency = BillingFrequency.ONE_TIME


_CUSTOM = _Custom()


def _discount(written: DiscountOrder | None, where: str) -> UnitDiscount | None:
    if written is None:
        return None
    return UnitDiscount(written.type, parse_decimal(written.value, f"{where}.discount.value", max_decimals=6))


def _tax(
    line: LineOrder, where: str, rates: dict[str, TaxRate], product: Product | None, default_rate_id: str | None
) -> LineTax | None:
    """The line's tax: the rate or tax it names, else its product's rate, else the tenant's default
    rate, else none."""
    if line.tax_rate_id and line.tax:
        raise ValidationFailed.of(f"{where}.tax", "give either tax_rate_id or tax, not both")
    if line.tax_rate_id:
        return _live(rates, line.tax_rate_id, f"{where}.tax_rate_id", "no such tax rate (or it is archived)")
    if line.tax is not None:
        return _written_tax(line.tax, f"{where}.tax")
    if product is not None and product.tax_rate_id:
        return _live(
            rates,
            product.tax_rate_id,
            f"{where}.product_id",
            f"the product's tax rate {product.tax_rate_id} is archived; give the line a tax_rate_id or the "
            "product another rate",
        )
    if default_rate_id:
        return _live(
            rates,
            default_rate_id,
            f"{where}.tax_rate_id",
            f"the settings' default_tax_rate_id {default_rate_id} is archived; give the line a tax_rate_id",
        )
    return None


def _live(rates: dict[str, TaxRate], rate_id: str, field: str, message: str) -> LineTax:
    rate = rates.get(rate_id)
    if rate is None or rate.archived:
        raise ValidationFailed.of(field, message)
    return rate.line_tax


def _written_tax(written: TaxOrder, where: str) -> LineTax:
    try:
        percentage = checked_tax_percentage(written.percentage)
    except ValidationFailed:
        raise ValidationFailed.of(f"{where}.percentage", "must be a percentage from 0 to 100") from None
    category = category_of(percentage, written.category)
    errors = rate_errors(percentage, category, written.exemption_reason, written.exemption_code, where)
    if errors:
        raise ValidationFailed(errors)
    return LineTax(
        written.name or "Tax",
        percentage,
        written.inclusive,
        category=category,
        exemption_reason=written.exemption_reason,
        exemption_code=written.exemption_code,
    )
