"""Product library and tax-rate use cases and tenant settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from billing.domain import catalog as rules
from billing.domain.access import Caller, Permission
from billing.domain.catalog import Product, TaxRate
from billing.domain.errors import Conflict, NotFound, ValidationFailed
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.settings import TenantSettings, updated_settings
from billing.ports import CatalogRepository, Clock, SettingsRepository


@dataclass(frozen=True)
class CatalogService:
    catalog: CatalogRepository
    settings: SettingsRepository
    clock: Clock

    def create_product(self, caller: Caller, fields: dict[str, Any]) -> Product:
        caller.require(Permission.WRITE)
        fields = {**fields, "currency": self.settings.get(caller.tenant_id).billing_currency(fields["currency"])}
        if fields.get("tax_rate_id") is not None:
            self._live_rate(caller, fields["tax_rate_id"], "tax_rate_id")
        product = rules.new_product(caller.tenant_id, self.clock.now(), **fields)
        self.catalog.add_product(product)
        return product

    def get_product(self, caller: Caller, product_id: str) -> Product:
        caller.require(Permission.READ)
        return self.catalog.get_product(caller.tenant_id, product_id)

    def list_products(
        self, caller: Caller, *, archived: bool = False, search: str = "", limit: int = 25, cursor: str | None = None
    ) -> Page[Product]:
        caller.require(Permission.READ)
        return self.catalog.list_products(
            caller.tenant_id,
            archived=archived,
            search=search.strip().lower(),
            limit=min(limit, MAX_PAGE_SIZE),
            cursor=cursor,
        )

    def update_product(self, caller: Caller, product_id: str, changes: dict[str, Any]) -> Product:
        caller.require(Permission.WRITE)
        current = self.catalog.get_product(caller.tenant_id, product_id)
        if changes.get("tax_rate_id") is not None:
            self._live_rate(caller, changes["tax_rate_id"], "tax_rate_id")
        if "currency" in changes:
            changes = {
                **changes,
                "currency": self.settings.get(caller.tenant_id).billing_currency(changes["currency"]),
            }
        updated = rules.updated_product(current, self.clock.now(), changes)
        self.catalog.save_product(updated, previous_sku=current.sku)
        return replace(updated, version=current.version + 1)

    def set_product_archived(self, caller: Caller, product_id: str, archived: bool) -> Product:
        return self.update_product(caller, product_id, {"archived": archived})

    def create_tax_rate(self, caller: Caller, fields: dict[str, Any]) -> TaxRate:
        caller.require(Permission.WRITE)
        rate = rules.new_tax_rate(caller.tenant_id, self.clock.now(), **fields)
        self.catalog.add_tax_rate(rate)
        return rate

    def get_tax_rate(self, caller: Caller, rate_id: str) -> TaxRate:
        caller.require(Permission.READ)
        return self.catalog.get_tax_rate(caller.tenant_id, rate_id)

    def list_tax_rates(
        self, caller: Caller, *, archived: bool = False, limit: int = 25, cursor: str | None = None
    ) -> Page[TaxRate]:
        caller.require(Permission.READ)
        return self.catalog.list_tax_rates(
            caller.tenant_id, archived=archived, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor
        )

    def update_tax_rate(self, caller: Caller, rate_id: str, changes: dict[str, Any]) -> TaxRate:
        caller.require(Permission.WRITE)
        current = self.catalog.get_tax_rate(caller.tenant_id, rate_id)
        updated = rules.updated_tax_rate(current, self.clock.now(), changes)
        self.catalog.save_tax_rate(updated)
        return replace(updated, version=current.version + 1)

    def set_tax_rate_archived(self, caller: Caller, rate_id: str, archived: bool) -> TaxRate:
        if archived and self.settings.get(caller.tenant_id).default_tax_rate_id == rate_id:
            raise Conflict(
                f"tax rate {rate_id} is the settings' default_tax_rate_id; choose another default before archiving it"
            )
        return self.update_tax_rate(caller, rate_id, {"archived": archived})

    def get_settings(self, caller: Caller) -> TenantSettings:
        caller.require(Permission.READ)
        return self.settings.get(caller.tenant_id)

    def update_settings(self, caller: Caller, changes: dict[str, Any]) -> TenantSettings:
        caller.require(Permission.ADMINISTER)
        current = self.settings.get(caller.tenant_id)
        if changes.get("default_tax_rate_id") is not None:
            self._live_rate(caller, changes["default_tax_rate_id"], "default_tax_rate_id")
        updated = updated_settings(current, changes)
        self.settings.save(updated)
        return replace(updated, version=current.version + 1)

    def _live_rate(self, caller: Caller, rate_id: str, field: str) -> TaxRate:
        """A rate of the library that lines may take, or a 422 naming ``field``."""
        try:
            rate = self.catalog.get_tax_rate(caller.tenant_id, rate_id)
        except NotFound:
            raise ValidationFailed.of(field, "no such tax rate") from None
        if rate.archived:
            raise ValidationFailed.of(field, "the tax rate is archived")
        return rate
