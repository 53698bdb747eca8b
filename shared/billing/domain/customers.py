"""Customers: who a tenant bills, where invoices go, and when one may be deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from billing.domain.errors import FieldError, Forbidden, NotFound, Refusal, ValidationFailed
from billing.domain.ids import new_id
from billing.domain.vat import EU_VAT_PREFIXES, VatTreatment

DEFAULT_ADDRESS = "default"


class CustomerType(StrEnum):
    PERSON = "person"
    COMPANY = "company"


@dataclass(frozen=True)
class Address:
    id: str
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    state: str = ""
    country: str = ""

    def with_fields(self, values: dict[str, str]) -> Address:
        return replace(self, **{k: v for k, v in values.items() if k != "id"})


class VatIdStatus(StrEnum):
    CONFIRMED = "confirmed"  # the member state's register knows it (VIES said valid)
    NOT_CONFIRMED = "not_confirmed"  # VIES said it is not valid
    UNAVAILABLE = "unavailable"  # VIES could not be asked; ask again


@dataclass(frozen=True)
class VatIdCheck:
    """What the EU's VIES service said of a VAT id, when, and its reference for the books."""

    vat_id: str
    status: VatIdStatus
    checked_at: datetime
    reference: str = ""  # VIES's requestIdentifier (a consultation number when asked with the seller's id)
    name: str = ""  # the name the register holds


@dataclass(frozen=True)
class Customer:
    tenant_id: str
    id: str
    type: CustomerType
    created_at: datetime
    updated_at: datetime
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""
    vat_id: str = ""
    billing_email: str = ""
    addresses: dict[str, Address] = field(default_factory=dict)
    default_address_id: str = ""
    billing_address_id: str | None = None
    debtor_number: int | None = None
    archived: bool = False
    read_only: bool = False
    default_payment_method: str = ""  # description of the default card, e.g. "visa •••• 4242 (12/2029)"
    default_payment_method_id: str | None = None
    processor_customer_id: str | None = None  # Stripe's cus_... in the tenant's connected account
    vat_id_check: VatIdCheck | None = None
    vat_treatment: VatTreatment | None = None  # overrides the treatment invoices decide
    version: int = 0

    @property
    def vat_id_confirmed(self) -> bool:
        """Whether VIES confirmed the VAT id the customer has now."""
        check = self.vat_id_check
        return (
            bool(self.vat_id)
            and check is not None
            and check.vat_id == self.vat_id
            and check.status is VatIdStatus.CONFIRMED
        )

    @property
    def display_name(self) -> str:
        if self.type is CustomerType.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def default_address(self) -> Address:
        return self.addresses[self.default_address_id]

    @property
    def billing_address(self) -> Address:
        """A deviating billing address when one is kept, else the recipient address."""
        if self.billing_address_id:
            return self.addresses[self.billing_address_id]
        return self.default_address

    @property
    def invoice_email(self) -> str:
        """Invoices go to the billing email when one is kept."""
        return self.billing_email or self.email

    def address_for_subscription(self, address_ref: str | None) -> Address:
        """A subscription that follows the default address sees every edit of it; one that
        chose a particular address keeps that address even when the default changes."""
        if address_ref in (None, DEFAULT_ADDRESS):
            return self.default_address
        try:
            return self.addresses[address_ref]
        except KeyError:
            return self.default_address

    def search_text(self) -> str:
        parts = [self.first_name, self.last_name, self.company_name, self.email, self.billing_email]
        if self.debtor_number is not None:
            parts.append(str(self.debtor_number))
        return " ".join(p for p in parts if p).lower()


def identity_errors(
    customer_type: CustomerType, first_name: str, last_name: str, company_name: str
) -> list[FieldError]:
    """A person needs first and last name, a company its company name."""
    errors = []
    if customer_type is CustomerType.PERSON:
        if not first_name.strip():
            errors.append(FieldError("first_name", "required for a person"))
        if not last_name.strip():
            errors.append(FieldError("last_name", "required for a person"))
    elif not company_name.strip():
        errors.append(FieldError("company_name", "required for a company"))
    return errors


def new_customer(
    tenant_id: str,
    now: datetime,
    customer_type: CustomerType,
    *,
    address: dict[str, str] | None = None,
    billing_address: dict[str, str] | None = None,
    **details: Any,
) -> Customer:
    if details.get("vat_treatment") is not None:
        details["vat_treatment"] = VatTreatment(details["vat_treatment"])
    errors = identity_errors(
        customer_type, details.get("first_name", ""), details.get("last_name", ""), details.get("company_name", "")
    )
    if errors:
        raise ValidationFailed(errors)
    # Without an address the customer still gets an (empty) default address to edit later.
    recipient = Address(id=new_id("address")).with_fields(address or {})
    addresses = {recipient.id: recipient}
    billing_id = None
    if billing_address is not None:
        billing = Address(id=new_id("address")).with_fields(billing_address)
        addresses[billing.id] = billing
        billing_id = billing.id
    return Customer(
        tenant_id=tenant_id,
        id=new_id("customer"),
        type=customer_type,
        created_at=now,
        updated_at=now,
        addresses=addresses,
        default_address_id=recipient.id,
        billing_address_id=billing_id,
        **details,
    )


def checkable_vat_id(vat_id: str) -> bool:
    """An EU VAT id, which python-stdnum checks and VIES can confirm: it begins with an EU prefix."""
    return vat_id[:2].upper() in EU_VAT_PREFIXES


def ensure_editable(customer: Customer) -> None:
    if customer.read_only:
        raise Forbidden(f"customer {customer.id} is read-only and cannot be edited")


def updated_customer(customer: Customer, now: datetime, changes: dict[str, Any]) -> Customer:
    """Edit master data and addresses. ``address`` edits the default (recipient) address in
    place, so subscriptions following it see the change; ``billing_address`` edits the deviating
    billing address, creating it if absent, or removes it when None."""
    ensure_editable(customer)
    changes = dict(changes)
    if changes.get("vat_treatment") is not None:
        changes["vat_treatment"] = VatTreatment(changes["vat_treatment"])
    addresses = dict(customer.addresses)
    billing_id = customer.billing_address_id
    if "address" in changes:
        addresses[customer.default_address_id] = customer.default_address.with_fields(changes.pop("address") or {})
    if "billing_address" in changes:
        values = changes.pop("billing_address")
        if values is None:
            if billing_id:
                addresses.pop(billing_id)
            billing_id = None
        else:
            current = addresses.get(billing_id) if billing_id else Address(id=new_id("address"))
            assert current is not None, "billing_address_id names one of the customer's addresses"
            updated = current.with_fields(values)
            addresses[updated.id] = updated
            billing_id = updated.id
    candidate = replace(customer, addresses=addresses, billing_address_id=billing_id, updated_at=now, **changes)
    errors = identity_errors(candidate.type, candidate.first_name, candidate.last_name, candidate.company_name)
    if errors:
        raise ValidationFailed(errors)
    return candidate


def added_address(customer: Customer, now: datetime, values: dict[str, str]) -> tuple[Customer, Address]:
    ensure_editable(customer)
    address = Address(id=new_id("address")).with_fields(values)
    return replace(customer, addresses={**customer.addresses, address.id: address}, updated_at=now), address


def edited_address(
    customer: Customer, now: datetime, address_id: str, values: dict[str, str], *, make_default: bool
) -> Customer:
    """Correct one of the customer's addresses in place (subscriptions that chose it see the
    correction) and, when asked, make it the default recipient address."""
    ensure_editable(customer)
    if address_id not in customer.addresses:
        raise NotFound(f"address {address_id} is not one of customer {customer.id}'s addresses")
    address = customer.addresses[address_id].with_fields(values)
    default = address_id if make_default else customer.default_address_id
    return replace(
        customer, addresses={**customer.addresses, address_id: address}, default_address_id=default, updated_at=now
    )


@dataclass(frozen=True)
class CustomerRecords:
    """What references a customer, counted from the indexes."""

    active_subscriptions: int = 0
    invoices: int = 0
    completed_orders: int = 0
    payments: int = 0


def deletion_refusal(records: CustomerRecords) -> Refusal:
    """A customer can be deleted only when nothing still refers to it."""
    refusal = Refusal()
    if records.active_subscriptions:
        refusal.reasons.append(f"customer has {records.active_subscriptions} active subscription(s)")
    if records.invoices:
        refusal.reasons.append(f"customer has {records.invoices} invoice(s)")
    if records.completed_orders:
        refusal.reasons.append(f"customer has {records.completed_orders} completed order(s)")
    if records.payments:
        refusal.reasons.append(f"customer has {records.payments} payment(s)")
    return refusal


def _address_columns(
    prefix: str, address_of: Callable[[Customer], Address]
) -> dict[str, Callable[[Customer, date], object]]:
    parts = ("line1", "line2", "postal_code", "city", "state", "country")

    def column(part: str) -> Callable[[Customer, date], object]:
        return lambda c, _: getattr(address_of(c), part)

    return {f"{prefix}_{part}": column(part) for part in parts}


# The customer export's columns, in this order (every customer, archived ones too).
EXPORT_COLUMNS: dict[str, Callable[[Customer, date], object]] = {
    "customer_id": lambda c, _: c.id,
    "type": lambda c, _: c.type.value,
    "first_name": lambda c, _: c.first_name,
    "last_name": lambda c, _: c.last_name,
    "company_name": lambda c, _: c.company_name,
    "email": lambda c, _: c.email,
    "billing_email": lambda c, _: c.billing_email,
    "phone": lambda c, _: c.phone,
    "vat_id": lambda c, _: c.vat_id,
    "debtor_number": lambda c, _: c.debtor_number,
    **_address_columns("billing_address", lambda c: c.billing_address),
    **_address_columns("customer_address", lambda c: c.default_address),
    "default_payment_method": lambda c, _: c.default_payment_method,
    "archived": lambda c, _: c.archived,
    "created_at": lambda c, _: c.created_at.isoformat(),
}


def billable(customer: Customer | None, field: str) -> Customer:
    """The customer a new invoice or subscription is for: one that exists and is not archived,
    else a refusal naming ``field``."""
    if customer is None:
        raise ValidationFailed.of(field, "no such customer")
    if customer.archived:
        raise ValidationFailed.of(field, "the customer is archived; restore it first")
    return customer
