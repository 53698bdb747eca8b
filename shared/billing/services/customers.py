"""Customer use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from billing.domain import customers as rules
from billing.domain.access import Caller, Permission
from billing.domain.customers import EXPORT_COLUMNS, Customer, CustomerType
from billing.domain.errors import Conflict, DebtorNumberTaken, ValidationFailed
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.settings import TenantSettings
from billing.domain.timeline import TimelineEvent, timeline_event
from billing.ports import (
    Clock,
    CustomerRepository,
    FileStore,
    ProcessorCustomerSync,
    SettingsRepository,
    SpreadsheetWriter,
    VatIdRegistry,
)
from billing.services.exports import Export, export_table, spreadsheet, stored_export

# How many drawn debtor numbers may turn out to be taken by hand-entered ones before giving up.
MAX_DEBTOR_DRAWS = 50


@dataclass(frozen=True)
class CustomerService:
    customers: CustomerRepository
    settings: SettingsRepository
    clock: Clock
    processor_sync: Callable[[], ProcessorCustomerSync]  # late: a cold start that syncs nothing never builds it
    vat_ids: Callable[[], VatIdRegistry]  # late, likewise

    def create(self, caller: Caller, details: dict[str, Any]) -> Customer:
        caller.require(Permission.WRITE)
        details = dict(details)
        customer_type = CustomerType(details.pop("type"))
        requested_number = details.pop("debtor_number", None)
        now = self.clock.now()
        customer = rules.new_customer(caller.tenant_id, now, customer_type, **details)
        settings = self.settings.get(caller.tenant_id)
        customer = self._with_vat_id_checked(customer, settings.business_vat_id)
        if requested_number is not None:
            if error := settings.debtor_number_error(requested_number):
                raise ValidationFailed(error)
            return self._add(caller, replace(customer, debtor_number=requested_number))
        if not settings.assigns_debtor_numbers:
            return self._add(caller, customer)
        return self._with_drawn_number(
            caller, settings, lambda n: self._add(caller, replace(customer, debtor_number=n))
        )

    def assign_debtor_numbers(self, caller: Caller) -> int:
        """Give every customer without a debtor number the next ones of the tenant's range, in the
        order they were created, as DATEV is turned on; customers with one keep theirs, so asking
        again draws nothing. How many were given."""
        caller.require(Permission.ADMINISTER)
        settings = self.settings.get(caller.tenant_id)
        if not settings.assigns_debtor_numbers:
            return 0
        waiting = sorted(
            (c for c in self.customers.all(caller.tenant_id) if c.debtor_number is None), key=lambda c: c.created_at
        )
        for customer in waiting:
            self._number(caller, customer, settings)
        return len(waiting)

    def _number(self, caller: Caller, customer: Customer, settings: TenantSettings) -> Customer:
        def given(number: int) -> Customer:
            updated = replace(customer, debtor_number=number, updated_at=self.clock.now())
            return self._save(caller, customer, updated, "customer.updated", f"DATEV debtor number {number} given")

        return self._with_drawn_number(caller, settings, given)

    def _with_drawn_number(
        self, caller: Caller, settings: TenantSettings, write: Callable[[int], Customer]
    ) -> Customer:
        """``write`` with the next number of the tenant's debtor range, drawing again while one
        turns out taken (entered by hand earlier)."""
        for _ in range(MAX_DEBTOR_DRAWS):
            number = self.customers.next_debtor_number(caller.tenant_id, settings.debtor_number_start)
            if number > settings.debtor_number_end:
                raise Conflict("the tenant's debtor number range is exhausted; widen it in the settings")
            try:
                return write(number)
            except DebtorNumberTaken:
                continue
        raise Conflict("could not find a free debtor number; check the tenant's debtor range")

    def _add(self, caller: Caller, customer: Customer) -> Customer:
        event = timeline_event(
            customer.id,
            "customer.created",
            customer.created_at,
            caller.user_id,
            f"Customer {customer.display_name} created",
        )
        self.customers.add(customer, event)
        return customer

    def get(self, caller: Caller, customer_id: str) -> Customer:
        caller.require(Permission.READ)
        return self.customers.get(caller.tenant_id, customer_id)

    def list(
        self, caller: Caller, *, archived: bool = False, search: str = "", limit: int = 25, cursor: str | None = None
    ) -> Page[Customer]:
        caller.require(Permission.READ)
        return self.customers.list(
            caller.tenant_id,
            archived=archived,
            search=search.strip().lower(),
            limit=min(limit, MAX_PAGE_SIZE),
            cursor=cursor,
        )

    def update(self, caller: Caller, customer_id: str, changes: dict[str, Any]) -> Customer:
        caller.require(Permission.WRITE)
        current = self.customers.get(caller.tenant_id, customer_id)
        number = changes.get("debtor_number")
        if number is not None and (error := self.settings.get(caller.tenant_id).debtor_number_error(number)):
            raise ValidationFailed(error)
        updated = rules.updated_customer(current, self.clock.now(), changes)
        if updated.vat_id != current.vat_id:
            updated = self._with_vat_id_checked(updated, self.settings.get(caller.tenant_id).business_vat_id)
        saved = self._save(
            caller,
            current,
            updated,
            "customer.updated",
            f"Customer {updated.display_name} updated",
            fields=sorted(changes),
        )
        if saved.processor_customer_id:
            self.processor_sync().after_update(current, saved, caller.user_id)
        return saved

    def check_vat_id(self, caller: Caller, customer_id: str) -> Customer:
        """Ask VIES again about the customer's VAT id (after it was unavailable, or to renew the proof)."""
        caller.require(Permission.WRITE)
        current = self.customers.get(caller.tenant_id, customer_id)
        if not rules.checkable_vat_id(current.vat_id):
            raise Conflict(f"customer {customer_id} has no EU VAT id to check")
        checked = self._with_vat_id_checked(current, self.settings.get(caller.tenant_id).business_vat_id)
        updated = replace(checked, updated_at=self.clock.now())
        assert updated.vat_id_check is not None  # an EU VAT id is always checked
        check = updated.vat_id_check
        summary = f"VAT id {check.vat_id} checked with VIES: {check.status.value.replace('_', ' ')}"
        return self._save(caller, current, updated, "customer.vat_id_checked", summary, reference=check.reference)

    def _with_vat_id_checked(self, customer: Customer, seller_vat_id: str) -> Customer:
        """The customer with what VIES says of its EU VAT id (none: nothing to ask)."""
        if not rules.checkable_vat_id(customer.vat_id):
            return replace(customer, vat_id_check=None)
        return replace(customer, vat_id_check=self.vat_ids().check(customer.vat_id, seller_vat_id))

    def add_address(self, caller: Caller, customer_id: str, values: dict[str, Any], make_default: bool) -> Customer:
        caller.require(Permission.WRITE)
        current = self.customers.get(caller.tenant_id, customer_id)
        updated, address = rules.added_address(current, self.clock.now(), values)
        if make_default:
            updated = replace(updated, default_address_id=address.id)
        return self._save(
            caller,
            current,
            updated,
            "customer.address_added",
            "Address added",
            address_id=address.id,
            default=make_default,
        )

    def edit_address(
        self, caller: Caller, customer_id: str, address_id: str, values: dict[str, Any], make_default: bool
    ) -> Customer:
        caller.require(Permission.WRITE)
        current = self.customers.get(caller.tenant_id, customer_id)
        updated = rules.edited_address(current, self.clock.now(), address_id, values, make_default=make_default)
        return self._save(
            caller,
            current,
            updated,
            "customer.address_edited",
            "Default address changed" if make_default else "Address edited",
            address_id=address_id,
            fields=sorted(values),
            default=make_default,
        )

    def archive(self, caller: Caller, customer_id: str) -> Customer:
        return self._set_archived(caller, customer_id, True)

    def restore(self, caller: Caller, customer_id: str) -> Customer:
        return self._set_archived(caller, customer_id, False)

    def _set_archived(self, caller: Caller, customer_id: str, archived: bool) -> Customer:
        caller.require(Permission.WRITE)
        current = self.customers.get(caller.tenant_id, customer_id)
        if current.archived == archived:
            return current
        updated = replace(current, archived=archived, updated_at=self.clock.now())
        verb = "archived" if archived else "restored"
        return self._save(caller, current, updated, f"customer.{verb}", f"Customer {current.display_name} {verb}")

    def _save(
        self, caller: Caller, current: Customer, updated: Customer, event_type: str, summary: str, **data: Any
    ) -> Customer:
        event = timeline_event(updated.id, event_type, updated.updated_at, caller.user_id, summary, **data)
        self.customers.save(updated, event, previous_debtor_number=current.debtor_number)
        return replace(updated, version=current.version + 1)

    def delete(self, caller: Caller, customer_id: str) -> None:
        """Refuse with every reason found; otherwise delete for good."""
        caller.require(Permission.ADMINISTER)
        customer = self.customers.get(caller.tenant_id, customer_id)
        refusal = rules.deletion_refusal(self.customers.related_records(caller.tenant_id, customer_id))
        if refusal:
            raise Conflict("customer cannot be deleted: " + "; ".join(refusal.reasons))
        if customer.processor_customer_id:
            self.processor_sync().before_delete(customer)
        self.customers.delete(customer)

    def timeline(
        self, caller: Caller, customer_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[TimelineEvent]:
        caller.require(Permission.READ)
        self.customers.get(caller.tenant_id, customer_id)
        return self.customers.timeline(caller.tenant_id, customer_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)


class CustomerExport:
    """Every customer of the tenant (archived ones too) as XLSX behind an expiring link."""

    def __init__(
        self,
        customers: CustomerRepository,
        files: FileStore,
        spreadsheets: SpreadsheetWriter,
        clock: Clock,
        link_seconds: int = 3600,
    ):
        self.customers = customers
        self._files = files
        self._spreadsheets = spreadsheets
        self.clock = clock
        self._export_link_seconds = link_seconds

    def export(self, caller: Caller) -> Export:
        caller.require(Permission.READ)
        headers, rows = export_table(EXPORT_COLUMNS, self.customers.all(caller.tenant_id), self.clock.now().date())
        body = spreadsheet(self._spreadsheets, "xlsx", "Customers", headers, rows)
        return stored_export(
            self._files, self.clock, caller.tenant_id, "customers", "xlsx", body, len(rows), self._export_link_seconds
        )
