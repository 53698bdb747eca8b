"""DynamoDB repositories: domain objects in, domain objects out, keys from keys.py."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import OnCondition, translated
from billing.adapters.dynamodb.models import (
    BillowItem,
    ByCustomerIndex,
    ByStatusIndex,
    CounterItem,
    CustomerItem,
    CustomerRecordItem,
    GuardItem,
    ProductItem,
    SettingsItem,
    TaxRateItem,
    TeamItem,
    TimelineEventItem,
)
from billing.domain.catalog import Product, TaxRate, sku_identity
from billing.domain.customers import Customer, CustomerRecords
from billing.domain.errors import DebtorNumberTaken, NotFound, SkuTaken, ValidationFailed
from billing.domain.ids import is_valid_id
from billing.domain.paging import Page, decode_cursor, encode_cursor
from billing.domain.records import record_of, values_of
from billing.domain.settings import TenantSettings
from billing.domain.team import Team
from billing.domain.timeline import TimelineEvent
from billing.ports import DocumentInputs

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ACTIVE_SUBSCRIPTION_STATUSES = ("scheduled", "active", "unpaid")
Item = TypeVar("Item", bound=BillowItem)
R = TypeVar("R", bound="DataclassInstance")


class _Table:
    @property
    def _connection(self) -> Connection:
        """The models' own connection: one botocore client per environment, not one per repository."""
        return BillowItem._get_connection().connection

    def _transaction(self) -> TransactWrite:
        return TransactWrite(connection=self._connection)


def _page(results, id_of) -> tuple[list, str | None]:
    items = list(results)
    if results.last_evaluated_key is None or not items:
        return items, None
    return items, encode_cursor({"after": id_of(items[-1])})


def _start_after(cursor: str | None, kind: str) -> str | None:
    if cursor is None:
        return None
    after = decode_cursor(cursor, {"after"})["after"]
    if not is_valid_id(kind, after):
        raise ValidationFailed.of("cursor", "is not a cursor this API issued")
    return after


def entries_newest_first(what: str, item_class, record_class, pk: str, prefix: str, sort_key, limit: int, cursor):
    """A page of a record's entries (a customer's timeline, an invoice's history), newest first;
    ``sort_key(id)`` names an entry under ``prefix``, and the cursor is the last id given."""
    after = _start_after(cursor, "event")
    start = {"pk": {"S": pk}, "sk": {"S": sort_key(after)}} if after else None
    with translated(what):
        results = item_class.query(
            pk, item_class.sk.startswith(prefix), limit=limit, last_evaluated_key=start, scan_index_forward=False
        )
        items, next_cursor = _page(results, lambda i: i.id)
    return Page([domain_record(record_class, i) for i in items], next_cursor)


def newest_first(
    list_pk: str,
    customer_pk: str | None,
    prefix: str,
    created_from: str | None,
    created_to: str | None,
    filter_condition,
    *,
    limit: int | None,
    start: dict | None,
):
    """A tenant's records of one kind, newest first: from the kind's list partition, or from the
    customer's partition of the "by customer" index when one customer's are asked for. The
    created range narrows the key condition (positions sort by creation time; "~" sorts after
    every id on the last day); the other filters are ``filter_condition``."""
    index: ByCustomerIndex | ByStatusIndex
    range_condition: Condition | None
    if customer_pk:
        index, sort_key, hash_key = BillowItem.by_customer, BillowItem.gsi1sk, customer_pk
    else:
        index, sort_key, hash_key, prefix = BillowItem.by_status, BillowItem.gsi2sk, list_pk, ""
    low = prefix + created_from if created_from else None
    high = prefix + created_to + "~" if created_to else None
    if low and high:
        range_condition = sort_key.between(low, high)
    elif low:
        range_condition = sort_key.between(low, prefix + "~") if prefix else sort_key >= low
    elif high:
        range_condition = sort_key <= high if not prefix else sort_key.between(prefix, high)
    else:
        range_condition = sort_key.startswith(prefix) if prefix else None
    return index.query(
        hash_key,
        range_condition,
        filter_condition=filter_condition,
        limit=limit,
        last_evaluated_key=start,
        scan_index_forward=False,
    )


INDEX_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")


class ListFilter(Protocol):
    """What every list filter has: one customer's records, and a range of creation times."""

    @property
    def customer_id(self) -> str | None: ...
    @property
    def created_from(self) -> str | None: ...
    @property
    def created_to(self) -> str | None: ...


Record = TypeVar("Record")
Stored = TypeVar("Stored", bound=BillowItem)
Where = TypeVar("Where", bound=ListFilter)


class RecordList(_Table, Generic[Record, Stored, Where]):
    """A kind of record a tenant lists newest first, all of them or one customer's, with filters
    (invoices, subscriptions). A page's position is rebuilt from the record its cursor names,
    never taken from the client."""

    kind: str  # the id kind (billing.domain.ids)
    what: str  # for error messages
    prefix: str  # its sort-key prefix on the "by customer" index

    # What each kind says (the class is no ABC: these only tell the type checker so).
    @abstractmethod
    def get(self, tenant_id: str, record_id: str) -> Record: ...

    @abstractmethod
    def _list_pk(self, tenant_id: str) -> str: ...

    @abstractmethod
    def _item_of(self, record: Record) -> Stored: ...

    @abstractmethod
    def _record_of(self, item: Stored) -> Record: ...

    @abstractmethod
    def _filter(self, where: Where) -> Condition | None: ...

    def list(self, tenant_id: str, where: Where, *, limit: int, cursor: str | None) -> Page[Record]:
        after = _start_after(cursor, self.kind)
        with translated(self.what):
            start = None
            if after:
                item = self._item_of(self.get(tenant_id, after))
                start = {name: {"S": getattr(item, name)} for name in INDEX_KEYS}
            results = self._query(tenant_id, where, limit=limit, start=start)
            items, next_cursor = _page(results, lambda i: i.id)
        return Page([self._record_of(i) for i in items], next_cursor)

    def all(self, tenant_id: str, where: Where) -> Iterator[Record]:
        with translated(self.what):
            for item in self._query(tenant_id, where, limit=None, start=None):
                yield self._record_of(item)

    def _query(self, tenant_id: str, where: Where, *, limit: int | None, start: dict[str, Any] | None) -> Any:
        return newest_first(
            self._list_pk(tenant_id),
            keys.customer_pk(tenant_id, where.customer_id) if where.customer_id else None,
            self.prefix,
            where.created_from,
            where.created_to,
            self._filter(where),
            limit=limit,
            start=start,
        )


def _search_filter(attribute: Any, search: str) -> Condition | None:
    return attribute.contains(search) if search else None


def _and(*conditions: Condition | None) -> Condition | None:
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    combined = present[0]
    for condition in present[1:]:
        combined = combined & condition
    return combined


def stored_item(item_class: type[Item], record: object, **keys_and_derived: Any) -> Item:
    """The item of a domain record: each of the item's attributes the record has a field (or a
    property) of, by name; keys and derived attributes are given. A record's ``version`` is the
    optimistic lock: PynamoDB writes a versioned item only if its stored version is unchanged
    (or, with version 0, only if it does not exist yet)."""
    names = [n for n in item_class.get_attributes() if n not in keys_and_derived and n not in ("kind", "version")]
    version = getattr(record, "version", 0)
    versioned: dict[str, Any] = {"version": version} if version else {}
    return item_class(**values_of(record, names, keep_datetimes=True), **keys_and_derived, **versioned)


def domain_record(record_class: type[R], item: BillowItem, **overrides: Any) -> R:
    """The domain record an item holds, every field read back by name (see billing.domain.records)."""
    return record_of(record_class, item.attribute_values, **overrides)


# ---------------------------------------------------------------- customers


def _customer_item(customer: Customer) -> CustomerItem:
    t = customer.tenant_id
    return stored_item(
        CustomerItem,
        customer,
        pk=keys.customer_pk(t, customer.id),
        sk=keys.META,
        gsi2pk=keys.customer_list_pk(t, customer.archived),
        gsi2sk=customer.id,
        gsi3pk=keys.external_id_key(t, "stripe", customer.processor_customer_id)
        if customer.processor_customer_id
        else None,
        search_text=customer.search_text(),
    )


def _event_item(tenant_id: str, event: TimelineEvent) -> TimelineEventItem:
    return stored_item(
        TimelineEventItem, event, pk=keys.customer_pk(tenant_id, event.customer_id), sk=keys.event_sk(event.id)
    )


def customer_touch(tenant_id: str, customer_id: str) -> CustomerItem:
    """The customer's item for an update that only moves its version on: a delete that
    counted the customer's records before this write fails on the version instead."""
    return CustomerItem(pk=keys.customer_pk(tenant_id, customer_id), sk=keys.META, version=0)


def _debtor_guard(tenant_id: str, number: int, owner_id: str) -> GuardItem:
    return GuardItem(pk=keys.tenant_pk(tenant_id), sk=keys.debtor_guard_sk(number), owner_id=owner_id)


class DynamoCustomerRepository(_Table):
    def add(self, customer: Customer, event: TimelineEvent) -> None:
        t, number = customer.tenant_id, customer.debtor_number
        on_condition: OnCondition = [None, None]
        with translated("customer", on_condition), self._transaction() as tx:
            tx.save(_customer_item(customer))
            tx.save(_event_item(t, event))
            if number is not None:
                tx.save(_debtor_guard(t, number, customer.id), condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: DebtorNumberTaken(number))

    def get(self, tenant_id: str, customer_id: str) -> Customer:
        if not is_valid_id("customer", customer_id):
            raise NotFound(f"customer {customer_id} not found")
        with translated("customer"):
            try:
                item = BillowItem.get(keys.customer_pk(tenant_id, customer_id), keys.META, consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"customer {customer_id} not found") from None
        return domain_record(Customer, item)

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        t, number = customer.tenant_id, customer.debtor_number
        on_condition: OnCondition = [None, None]
        with translated("customer", on_condition), self._transaction() as tx:
            tx.save(_customer_item(customer))
            tx.save(_event_item(t, event))
            if number != previous_debtor_number:
                if previous_debtor_number is not None:
                    tx.delete(_debtor_guard(t, previous_debtor_number, customer.id))
                    on_condition.append(None)
                if number is not None:
                    tx.save(_debtor_guard(t, number, customer.id), condition=GuardItem.pk.does_not_exist())
                    on_condition.append(lambda: DebtorNumberTaken(number))

    def add_event(self, tenant_id: str, event: TimelineEvent) -> None:
        with translated("customer timeline"):
            _event_item(tenant_id, event).save()

    def list(self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None) -> Page[Customer]:
        after = _start_after(cursor, "customer")
        list_pk = keys.customer_list_pk(tenant_id, archived)
        start = None
        if after:
            start = {
                "pk": {"S": keys.customer_pk(tenant_id, after)},
                "sk": {"S": keys.META},
                "gsi2pk": {"S": list_pk},
                "gsi2sk": {"S": after},
            }
        with translated("customers"):
            results = BillowItem.by_status.query(
                list_pk,
                filter_condition=_search_filter(CustomerItem.search_text, search),
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            items, next_cursor = _page(results, lambda i: i.id)
        return Page([domain_record(Customer, i) for i in items], next_cursor)

    def all(self, tenant_id: str) -> Iterator[Customer]:
        for archived in (False, True):
            with translated("customers"):
                for item in BillowItem.by_status.query(keys.customer_list_pk(tenant_id, archived)):
                    yield domain_record(Customer, item)

    def related_records(self, tenant_id: str, customer_id: str) -> CustomerRecords:
        by_customer = keys.customer_pk(tenant_id, customer_id)

        def count(prefix: str, status_filter=None) -> int:
            return BillowItem.by_customer.count(
                by_customer, BillowItem.gsi1sk.startswith(prefix), filter_condition=status_filter
            )

        with translated("customer records"):
            return CustomerRecords(
                active_subscriptions=count(
                    keys.SUBSCRIPTION_PREFIX, CustomerRecordItem.status.is_in(*ACTIVE_SUBSCRIPTION_STATUSES)
                ),
                invoices=count(keys.INVOICE_PREFIX),
                completed_orders=count(keys.ORDER_PREFIX, CustomerRecordItem.status == "completed"),
                payments=count(keys.PAYMENT_PREFIX),
            )

    def delete(self, customer: Customer) -> None:
        t = customer.tenant_id
        pk = keys.customer_pk(t, customer.id)
        with translated("customer"), self._transaction() as tx:
            tx.delete(_customer_item(customer), condition=CustomerItem.pk.exists())
            if customer.debtor_number is not None:
                tx.delete(_debtor_guard(t, customer.debtor_number, customer.id))
        # The customer is gone; its timeline and saved payment methods go after it.
        with translated("customer records"), BillowItem.batch_write() as batch:
            for item in BillowItem.query(pk):
                batch.delete(item)

    def timeline(self, tenant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEvent]:
        pk = keys.customer_pk(tenant_id, customer_id)
        return entries_newest_first(
            "customer timeline", TimelineEventItem, TimelineEvent, pk, keys.EVENT_PREFIX, keys.event_sk, limit, cursor
        )

    def next_debtor_number(self, tenant_id: str, range_start: int) -> int:
        counter = CounterItem(pk=keys.tenant_pk(tenant_id), sk=keys.counter_sk("DEBTOR"))
        with translated("debtor number counter"):
            counter.update(actions=[CounterItem.value.add(1)])
        return range_start + int(counter.value) - 1


# ---------------------------------------------------------------- catalog


def _product_item(p: Product) -> ProductItem:
    return stored_item(
        ProductItem, p, pk=keys.tenant_pk(p.tenant_id), sk=keys.product_sk(p.id), search_text=p.search_text()
    )


def _tax_rate_item(r: TaxRate) -> TaxRateItem:
    return stored_item(TaxRateItem, r, pk=keys.tenant_pk(r.tenant_id), sk=keys.tax_rate_sk(r.id))


def _sku_guard(tenant_id: str, sku: str, owner_id: str) -> GuardItem:
    return GuardItem(pk=keys.tenant_pk(tenant_id), sk=keys.sku_guard_sk(sku_identity(sku)), owner_id=owner_id)


class DynamoCatalogRepository(_Table):
    def add_product(self, product: Product) -> None:
        on_condition: OnCondition = [None]
        with translated("product", on_condition), self._transaction() as tx:
            tx.save(_product_item(product))
            if product.sku:
                tx.save(_sku_guard(product.tenant_id, product.sku, product.id), condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: SkuTaken(product.sku))

    def get_product(self, tenant_id: str, product_id: str) -> Product:
        return domain_record(Product, self._get(tenant_id, "product", product_id, keys.product_sk))

    def get_catalog(
        self, tenant_id: str, product_ids: set[str], rate_ids: set[str]
    ) -> tuple[dict[str, Product], dict[str, TaxRate]]:
        """The tenant's products and tax rates among these ids, in one BatchGetItem (both live in
        the tenant's partition); unknown or malformed ids are simply absent."""
        wanted = _library_keys(tenant_id, product_ids, rate_ids)
        if not wanted:
            return {}, {}
        with translated("product library"):
            return _library(BillowItem.batch_get(wanted))

    def save_product(self, product: Product, *, previous_sku: str) -> None:
        t = product.tenant_id
        on_condition: OnCondition = [None]
        with translated("product", on_condition), self._transaction() as tx:
            tx.save(_product_item(product))
            if sku_identity(product.sku) != sku_identity(previous_sku):
                if previous_sku:
                    tx.delete(_sku_guard(t, previous_sku, product.id))
                    on_condition.append(None)
                if product.sku:
                    tx.save(_sku_guard(t, product.sku, product.id), condition=GuardItem.pk.does_not_exist())
                    on_condition.append(lambda: SkuTaken(product.sku))

    def list_products(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Product]:
        items, next_cursor = self._list(
            tenant_id,
            "product",
            keys.PRODUCT_PREFIX,
            keys.product_sk,
            cursor,
            limit,
            _and(ProductItem.archived == archived, _search_filter(ProductItem.search_text, search)),
            lambda i: i.id,
        )
        return Page([domain_record(Product, i) for i in items], next_cursor)

    def add_tax_rate(self, rate: TaxRate) -> None:
        with translated("tax rate"):
            _tax_rate_item(rate).save()

    def get_tax_rate(self, tenant_id: str, rate_id: str) -> TaxRate:
        return domain_record(TaxRate, self._get(tenant_id, "tax_rate", rate_id, keys.tax_rate_sk))

    def save_tax_rate(self, rate: TaxRate) -> None:
        with translated("tax rate"):
            _tax_rate_item(rate).save()

    def list_tax_rates(self, tenant_id: str, *, archived: bool, limit: int, cursor: str | None) -> Page[TaxRate]:
        items, next_cursor = self._list(
            tenant_id,
            "tax_rate",
            keys.TAX_PREFIX,
            keys.tax_rate_sk,
            cursor,
            limit,
            TaxRateItem.archived == archived,
            lambda i: i.id,
        )
        return Page([domain_record(TaxRate, i) for i in items], next_cursor)

    def _get(self, tenant_id: str, kind: str, record_id: str, sort_key):
        label = kind.replace("_", " ")
        if not is_valid_id(kind, record_id):
            raise NotFound(f"{label} {record_id} not found")
        with translated(label):
            try:
                return BillowItem.get(keys.tenant_pk(tenant_id), sort_key(record_id), consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"{label} {record_id} not found") from None

    def _list(self, tenant_id, kind, prefix, sort_key, cursor, limit, filter_condition, id_of):
        after = _start_after(cursor, kind)
        pk = keys.tenant_pk(tenant_id)
        start = {"pk": {"S": pk}, "sk": {"S": sort_key(after)}} if after else None
        with translated(kind.replace("_", " ")):
            results = BillowItem.query(
                pk,
                BillowItem.sk.startswith(prefix),
                filter_condition=filter_condition,
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            return _page(results, id_of)


# ---------------------------------------------------------------- settings


def _settings(tenant_id: str, item: SettingsItem | None) -> TenantSettings:
    if item is None:
        return TenantSettings(tenant_id=tenant_id)
    return record_of(TenantSettings, item.values or {}, tenant_id=tenant_id, version=int(item.version or 0))


class DynamoSettingsRepository(_Table):
    """The settings live as one JSON document: a new setting is a new field of TenantSettings only."""

    def get(self, tenant_id: str) -> TenantSettings:
        with translated("settings"):
            try:
                item = SettingsItem.get(keys.tenant_pk(tenant_id), keys.SETTINGS, consistent_read=True)
            except DoesNotExist:
                item = None
        return _settings(tenant_id, item)

    def save(self, settings: TenantSettings) -> None:
        values = values_of(settings, (f.name for f in fields(settings) if f.name not in ("tenant_id", "version")))
        item = stored_item(
            SettingsItem, settings, pk=keys.tenant_pk(settings.tenant_id), sk=keys.SETTINGS, values=values
        )
        with translated("settings"):
            item.save()


class DynamoTeamRepository(_Table):
    """A tenant's team is one item beside its settings, so the last-admin rule holds in one write."""

    def get(self, tenant_id: str) -> Team:
        with translated("team"):
            try:
                item = TeamItem.get(keys.tenant_pk(tenant_id), keys.TEAM, consistent_read=True)
            except DoesNotExist:
                return Team(tenant_id)
        return record_of(Team, {"members": item.members}, tenant_id=tenant_id, version=int(item.version or 0))

    def save(self, team: Team) -> Team:
        item = stored_item(
            TeamItem,
            team,
            pk=keys.tenant_pk(team.tenant_id),
            sk=keys.TEAM,
            members=values_of(team, ["members"])["members"],
        )
        with translated("team"):
            item.save()
        return replace(team, version=int(item.version or 0))


class DynamoDocumentReader(_Table):
    """A document's customer, the tenant's settings and the library items its lines name, in one
    consistent BatchGetItem across their partitions."""

    def read(self, tenant_id: str, customer_id: str, product_ids: set[str], rate_ids: set[str]) -> DocumentInputs:
        wanted = [(keys.tenant_pk(tenant_id), keys.SETTINGS)]
        if is_valid_id("customer", customer_id):
            wanted.append((keys.customer_pk(tenant_id, customer_id), keys.META))
        wanted += _library_keys(tenant_id, product_ids, rate_ids)
        with translated("document inputs"):
            items = list(BillowItem.batch_get(wanted, consistent_read=True))
        customer = next((domain_record(Customer, i) for i in items if isinstance(i, CustomerItem)), None)
        settings = next((i for i in items if isinstance(i, SettingsItem)), None)
        products, rates = _library(items)
        return DocumentInputs(customer, _settings(tenant_id, settings), products, rates)


def _library_keys(tenant_id: str, product_ids: set[str], rate_ids: set[str]) -> list[tuple[str, str]]:
    """The keys of the library products and tax rates among these ids (malformed ids left out)."""
    tenant = keys.tenant_pk(tenant_id)
    return [
        *((tenant, keys.product_sk(i)) for i in sorted(product_ids) if is_valid_id("product", i)),
        *((tenant, keys.tax_rate_sk(i)) for i in sorted(rate_ids) if is_valid_id("tax_rate", i)),
    ]


def _library(items) -> tuple[dict[str, Product], dict[str, TaxRate]]:
    items = list(items)
    products = {i.id: domain_record(Product, i) for i in items if isinstance(i, ProductItem)}
    return products, {i.id: domain_record(TaxRate, i) for i in items if isinstance(i, TaxRateItem)}
