"""The product library and tax rates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.domain.errors import ValidationFailed
from billing.domain.ids import new_id
from billing.domain.money import (
    normalize_currency,
    parse_decimal,
    parse_unit_price,
    round_tax_percentage,
    with_currency_scale,
)
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import LineTax
from billing.domain.vat import VatCategory, category_of, rate_errors


def sku_identity(sku: str) -> str:
    """SKUs are kept as typed and unique per tenant regardless of case: "wh-1" and "WH-1" are one."""
    return sku.strip().casefold()


@dataclass(frozen=True)
class Product:
    tenant_id: str
    id: str
    name: str
    unit_price: Decimal
    currency: str
    billing_frequency: BillingFrequency
    created_at: datetime
    updated_at: datetime
    description: str = ""
    sku: str = ""
    unit_cost: Decimal | None = None
    tax_rate_id: str | None = None  # the rate its lines take unless they name one
    archived: bool = False
    version: int = 0

    def search_text(self) -> str:
        return " ".join(p for p in (self.name, self.description, self.sku) if p).lower()


def new_product(tenant_id: str, now: datetime, **fields: Any) -> Product:
    return _in_currency_scale(
        Product(
            tenant_id=tenant_id, id=new_id("product"), created_at=now, updated_at=now, **_checked_product_fields(fields)
        )
    )


def updated_product(product: Product, now: datetime, changes: dict[str, Any]) -> Product:
    return _in_currency_scale(replace(product, updated_at=now, **_checked_product_fields(changes)))


def _in_currency_scale(product: Product) -> Product:
    cost = product.unit_cost
    return replace(
        product,
        unit_price=with_currency_scale(product.unit_price, product.currency),
        unit_cost=None if cost is None else with_currency_scale(cost, product.currency),
    )


def _checked_product_fields(fields: dict[str, Any]) -> dict[str, Any]:
    checked = dict(fields)
    if "name" in checked and not checked["name"].strip():
        raise ValidationFailed.of("name", "must not be blank")
    if "unit_price" in checked:
        checked["unit_price"] = parse_unit_price(checked["unit_price"])
    if checked.get("unit_cost") is not None:
        checked["unit_cost"] = parse_unit_price(checked["unit_cost"], "unit_cost")
    if "currency" in checked:
        checked["currency"] = normalize_currency(checked["currency"])
    if "billing_frequency" in checked:
        checked["billing_frequency"] = BillingFrequency(checked["billing_frequency"])
    if checked.get("sku") is not None:
        checked["sku"] = checked["sku"].strip()
    return checked


@dataclass(frozen=True)
class TaxRate:
    tenant_id: str
    id: str
    name: str
    percentage: Decimal
    inclusive: bool
    created_at: datetime
    updated_at: datetime
    description: str = ""
    country: str = ""
    category: VatCategory = VatCategory.STANDARD
    exemption_reason: str = ""  # at 0 %: why, as the buyer reads it
    exemption_code: str = ""  # an exempt rate's VATEX code, when the tenant knows it
    archived: bool = False
    version: int = 0

    @property
    def line_tax(self) -> LineTax:
        """The rate as a line carries it: a snapshot, which a later edit of the rate leaves alone."""
        return LineTax(
            self.name,
            self.percentage,
            self.inclusive,
            self.id,
            category=self.category,
            exemption_reason=self.exemption_reason,
            exemption_code=self.exemption_code,
        )


MAX_TAX_PERCENTAGE = Decimal(100)


def checked_tax_percentage(value: str | Decimal) -> Decimal:
    percentage = round_tax_percentage(parse_decimal(value, "percentage", max_decimals=6))
    if percentage > MAX_TAX_PERCENTAGE:
        raise ValidationFailed.of("percentage", "must be at most 100")
    return percentage


def new_tax_rate(tenant_id: str, now: datetime, **fields: Any) -> TaxRate:
    if not fields.get("name", "").strip():
        raise ValidationFailed.of("name", "must not be blank")
    fields["percentage"] = checked_tax_percentage(fields["percentage"])
    fields["category"] = category_of(fields["percentage"], fields.get("category"))
    return _checked_rate(TaxRate(tenant_id=tenant_id, id=new_id("tax_rate"), created_at=now, updated_at=now, **fields))


def updated_tax_rate(rate: TaxRate, now: datetime, changes: dict[str, Any]) -> TaxRate:
    changes = dict(changes)
    if "name" in changes and not changes["name"].strip():
        raise ValidationFailed.of("name", "must not be blank")
    if "percentage" in changes:
        changes["percentage"] = checked_tax_percentage(changes["percentage"])
        if "category" not in changes and (changes["percentage"] == 0) != (rate.percentage == 0):
            changes["category"] = None  # a rate moved to or from 0 % takes that side's category
    if "category" in changes:
        changes["category"] = category_of(changes.get("percentage", rate.percentage), changes["category"])
    return _checked_rate(replace(rate, updated_at=now, **changes))


def _checked_rate(rate: TaxRate) -> TaxRate:
    errors = rate_errors(rate.percentage, rate.category, rate.exemption_reason, rate.exemption_code)
    if errors:
        raise ValidationFailed(errors)
    return rate
