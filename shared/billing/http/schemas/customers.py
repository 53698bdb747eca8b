"""Customer request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

if TYPE_CHECKING:
    from billing.domain.customers import Customer
    from billing.domain.timeline import TimelineEvent
from billing.http.schemas.common import (
    CountryCode,
    Email,
    Flag,
    Integer,
    Request,
    Response,
    ShortText,
    VatId,
    omittable,
    out,
)

DEBTOR_NUMBER = "DATEV debtor number; drawn from the tenant's range when omitted and DATEV is enabled"
DebtorNumber = Annotated[Integer, Field(ge=1, le=999_999_999)]
Treatment = Literal["domestic", "reverse_charge", "eu_consumer", "outside_eu", "small_business"]
TREATMENT = (
    "Overrides the VAT treatment each invoice decides from the countries, the customer's type and its "
    "VAT id (confirmed through VIES)"
)


class AddressIn(Request):
    line1: ShortText = ""
    line2: ShortText = ""
    postal_code: ShortText = ""
    city: ShortText = ""
    state: ShortText = ""
    country: CountryCode = ""


class CustomerCreate(Request):
    type: Literal["person", "company"]
    first_name: ShortText = ""
    last_name: ShortText = ""
    company_name: ShortText = ""
    email: Email = ""
    phone: ShortText = ""
    vat_id: VatId = Field("", description="An EU VAT id is checked for format and check digit, then confirmed by VIES")
    vat_treatment: Treatment | None = Field(None, description=TREATMENT)
    billing_email: Email = Field("", description="Where invoices go when it differs from email")
    address: AddressIn | None = Field(None, description="Recipient address; an empty one is created when omitted")
    billing_address: AddressIn | None = Field(None, description="Deviating billing address")
    debtor_number: DebtorNumber | None = Field(None, description=DEBTOR_NUMBER)
    read_only: Flag = False


class CustomerUpdate(Request):
    first_name: ShortText = omittable()
    last_name: ShortText = omittable()
    company_name: ShortText = omittable()
    email: Email = omittable()
    phone: ShortText = omittable()
    vat_id: VatId = omittable(description="A changed VAT id is confirmed by VIES again")
    vat_treatment: Treatment | None = Field(None, description=TREATMENT + "; null: decided per invoice")
    billing_email: Email = omittable()
    address: AddressIn = omittable(
        description="Edits the default address in place; subscriptions that follow the default address follow the edit",
    )
    billing_address: AddressIn | None = Field(
        None, description="Edits (or creates) the deviating billing address; send null to remove it"
    )
    debtor_number: DebtorNumber | None = Field(None, description=DEBTOR_NUMBER + "; null removes it")


class AddressCreate(AddressIn):
    make_default: Flag = False


class AddressUpdate(Request):
    line1: ShortText | None = None
    line2: ShortText | None = None
    postal_code: ShortText | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    country: CountryCode | None = None
    make_default: Flag = Field(False, description="Make it the default (recipient) address")


class AddressOut(Response):
    id: str
    line1: str
    line2: str
    postal_code: str
    city: str
    state: str
    country: str


class VatIdCheckOut(Response):
    vat_id: str = Field(description="The id VIES was asked about")
    status: Literal["confirmed", "not_confirmed", "unavailable"]
    checked_at: datetime
    reference: str = Field(description="VIES's request identifier, for the books")
    name: str = Field(description="The name the register holds")


class CustomerOut(Response):
    id: str
    object: Literal["customer"] = "customer"
    type: Literal["person", "company"]
    name: str
    first_name: str
    last_name: str
    company_name: str
    email: str
    phone: str
    vat_id: str
    vat_id_check: VatIdCheckOut | None = Field(description="What VIES said of the VAT id; null: not asked")
    vat_id_confirmed: bool = Field(description="VIES confirmed the VAT id the customer has now")
    vat_treatment: Treatment | None
    billing_email: str
    invoice_email: str
    address: AddressOut
    billing_address: AddressOut | None
    addresses: list[AddressOut]
    debtor_number: int | None
    default_payment_method: str | None = Field(description="Id of the saved payment method charges use by default")
    default_payment_method_label: str = Field(description='How people see it: "visa •••• 4242 (12/2029)"')
    archived: bool
    read_only: bool
    created_at: datetime
    updated_at: datetime


def customer_out(c: Customer) -> CustomerOut:
    return out(
        CustomerOut,
        c,
        type=c.type.value,
        name=c.display_name,
        address=out(AddressOut, c.default_address),
        billing_address=out(AddressOut, c.billing_address) if c.billing_address_id else None,
        addresses=[out(AddressOut, a) for a in c.addresses.values()],
        default_payment_method=c.default_payment_method_id,
        default_payment_method_label=c.default_payment_method,
    )


class TimelineEventOut(Response):
    id: str
    type: str
    occurred_at: datetime
    actor: str
    summary: str
    data: dict


def timeline_event_out(e: TimelineEvent) -> TimelineEventOut:
    return out(TimelineEventOut, e)


class ExportOut(Response):
    url: str = Field(description="Presigned download link of the XLSX file")
    expires_at: datetime
    rows: int
