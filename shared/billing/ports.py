"""The ports the services depend on. Adapters (DynamoDB, S3, XLSX) implement them; unit tests use
in-memory fakes (tests/unit/fakes.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from billing.domain.catalog import Product, TaxRate
from billing.domain.customers import Customer, CustomerRecords
from billing.domain.paging import Page
from billing.domain.settings import TenantSettings
from billing.domain.timeline import TimelineEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class CustomerRepository(Protocol):
    def add(self, customer: Customer, event: TimelineEvent) -> None:
        """Store a new customer and its first timeline event together; raises DebtorNumberTaken."""

    def get(self, tenant_id: str, customer_id: str) -> Customer:
        """Raises NotFound."""

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        """Store a changed customer (optimistic on ``version``) and its timeline event together."""

    def list(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Customer]: ...

    def all(self, tenant_id: str) -> Iterator[Customer]: ...

    def related_records(self, tenant_id: str, customer_id: str) -> CustomerRecords: ...

    def delete(self, customer: Customer) -> None: ...

    def timeline(self, tenant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEvent]: ...

    def next_debtor_number(self, tenant_id: str, range_start: int) -> int:
        """Draw the next number of the tenant's debtor range; never the same one twice."""


class CatalogRepository(Protocol):
    def add_product(self, product: Product) -> None:
        """Raises SkuTaken."""

    def get_product(self, tenant_id: str, product_id: str) -> Product: ...

    def save_product(self, product: Product, *, previous_sku: str) -> None: ...

    def get_products(self, tenant_id: str, product_ids: set[str]) -> dict[str, Product]:
        """The tenant's products among ``product_ids`` (unknown ids are simply absent)."""

    def list_products(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Product]: ...

    def add_tax_rate(self, rate: TaxRate) -> None: ...

    def get_tax_rate(self, tenant_id: str, rate_id: str) -> TaxRate: ...

    def save_tax_rate(self, rate: TaxRate) -> None: ...

    def get_tax_rates(self, tenant_id: str, rate_ids: set[str]) -> dict[str, TaxRate]: ...

    def list_tax_rates(self, tenant_id: str, *, archived: bool, limit: int, cursor: str | None) -> Page[TaxRate]: ...


class SettingsRepository(Protocol):
    def get(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings, or the defaults when it has saved none."""

    def save(self, settings: TenantSettings) -> None: ...


class FileStore(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def download_url(self, key: str, expires_in_seconds: int) -> str: ...


class SpreadsheetWriter(Protocol):
    def to_xlsx(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes: ...
