"""Product, tax-rate and settings request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from billing.domain.periods import BillingFrequency
from billing.domain.templates import INVOICE_EMAIL_PLACEHOLDERS

if TYPE_CHECKING:
    from billing.domain.catalog import Product, TaxRate
    from billing.domain.settings import TenantSettings
from billing.http.schemas.common import (
    CountryCode,
    CurrencyCode,
    DecimalString,
    Email,
    ExemptionCode,
    ExemptionReason,
    Flag,
    Integer,
    LongText,
    RateCategory,
    Request,
    Response,
    ShortText,
    VatId,
    omittable,
    out,
)


def _checked_iban(value: str) -> str:
    from stdnum import iban  # python-stdnum: the ISO 13616 check digits and each country's length

    if value and not iban.is_valid(value):
        raise ValueError("is not a valid IBAN (check digits or length)")
    return iban.compact(value)


def _known_locale(value: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{value!r} is not a locale this service knows (e.g. de_DE, en_US)") from None
    return value


Iban = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=42, pattern=r"^[A-Za-z0-9 ]*$"),
    AfterValidator(_checked_iban),
]
Locale = Annotated[
    str, StringConstraints(max_length=10, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$"), AfterValidator(_known_locale)
]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64, pattern=r"^[A-Za-z0-9._\-/ ]*$")]


class ProductCreate(Request):
    name: ShortText = Field(min_length=1)
    description: LongText = ""
    sku: Sku = ""
    unit_price: DecimalString = Field(description="Decimal string, up to six decimals", examples=["11.90"])
    unit_cost: DecimalString | None = None
    currency: CurrencyCode = Field(examples=["eur"])
    billing_frequency: BillingFrequency = BillingFrequency.ONE_TIME
    tax_rate_id: str | None = Field(None, max_length=40, description="The rate its lines take unless they name one")


class ProductUpdate(Request):
    name: ShortText = omittable(min_length=1)
    description: LongText = omittable()
    sku: Sku = omittable()
    unit_price: DecimalString = omittable()
    unit_cost: DecimalString | None = Field(None, description="null removes the cost")
    currency: CurrencyCode = omittable()
    billing_frequency: BillingFrequency = omittable()
    tax_rate_id: str | None = Field(None, max_length=40, description="null: its lines take the settings' default rate")


class ProductOut(Response):
    id: str
    object: str = "product"
    name: str
    description: str
    sku: str
    unit_price: str
    unit_cost: str | None
    currency: str
    billing_frequency: BillingFrequency
    tax_rate_id: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime


def product_out(p: Product) -> ProductOut:
    return out(ProductOut, p)


class TaxRateCreate(Request):
    name: ShortText = Field(min_length=1)
    percentage: DecimalString = Field(description="Rounded to two decimals: 9.995 -> 9.99, 9.996 -> 10.00")
    inclusive: Flag = False
    description: LongText = ""
    country: CountryCode = ""
    category: RateCategory | None = None
    exemption_reason: ExemptionReason = ""
    exemption_code: ExemptionCode = ""


class TaxRateUpdate(Request):
    name: ShortText = omittable(min_length=1)
    percentage: DecimalString = omittable()
    inclusive: Flag = omittable()
    description: LongText = omittable()
    country: CountryCode = omittable()
    category: RateCategory = omittable()
    exemption_reason: ExemptionReason = omittable()
    exemption_code: ExemptionCode = omittable()


class TaxRateOut(Response):
    id: str
    object: str = "tax_rate"
    name: str
    percentage: str
    inclusive: bool
    description: str
    country: str
    category: RateCategory
    exemption_reason: str
    exemption_code: str
    archived: bool
    created_at: datetime
    updated_at: datetime


def tax_rate_out(r: TaxRate) -> TaxRateOut:
    return out(TaxRateOut, r)


PLACEHOLDERS = (
    f"Text with the placeholders {' '.join(f'{{{name}}}' for name in INVOICE_EMAIL_PLACEHOLDERS)}, replaced by "
    "their values; any other name in braces is a 422 naming this field. Empty: Billow's own words, in the "
    "tenant's language (locale)"
)


class DatevAccountIn(Request):
    account: Integer = Field(ge=1, le=99_999_999)
    tax_key: str = Field("", max_length=4, pattern=r"^[0-9]*$")


class SettingsUpdate(Request):
    business_name: ShortText = omittable()
    default_sender_email: Email = omittable(description="Reply-To of receipts and invoices")
    receipts_enabled: Flag = omittable()
    admin_notification_emails: list[Email] = omittable(max_length=10)
    invoice_editing_allowed: Flag = omittable()
    invoice_deleting_allowed: Flag = omittable()
    reminders_enabled: Flag = omittable(description="Email the buyer before each subscription payment")
    reminder_days: Integer = omittable(ge=1, le=60, description="How many days before the payment")
    admin_notifications_enabled: Flag = omittable()
    dunning_retry_days: list[Annotated[Integer, Field(ge=1, le=60)]] = omittable(
        max_length=10,
        description="Days after a failed AutoPay charge on which it is retried (and after an invoice-mode "
        "invoice's due date on which the buyer is reminded), ascending; empty: no retries",
    )
    dunning_final_action: Literal["cancel", "keep_unpaid"] = omittable(
        description="When the retries run out: cancel the subscription, or keep it unpaid with its invoice open"
    )
    default_payment_terms_days: Integer = omittable(ge=0, le=365)
    default_currency: CurrencyCode = omittable()
    default_tax_rate_id: str | None = Field(
        None, max_length=40, description="The rate of a line whose product names none; null: such lines have no tax"
    )
    currencies: list[CurrencyCode] = omittable(min_length=1, max_length=50)
    small_business: Flag = omittable(description="§ 19 UStG: no VAT is charged, and every invoice says so")
    oss_enabled: Flag = omittable(
        description="One-Stop-Shop: EU consumers abroad pay their country's standard rate instead of the seller's"
    )
    oss_rates: dict[CountryCode, DecimalString] = omittable(
        max_length=27, description="A member state's standard rate where it differs from the table Billow ships"
    )
    invoice_number_prefix: str = omittable(max_length=20, pattern=r"^[A-Za-z0-9\-_/]*$")
    invoice_number_start: Integer = omittable(
        ge=1, le=999_999_999, description="The first number of the sequence, or of a new range above the last one"
    )
    invoice_number_digits: Integer = omittable(ge=1, le=12, description="Zero-padded digits: 6 gives INV-000123")
    credit_note_number_prefix: str = omittable(max_length=20, pattern=r"^[A-Za-z0-9\-_/]*$")
    credit_note_number_start: Integer = omittable(ge=1, le=999_999_999, description="The first credit note's number")
    credit_note_number_digits: Integer = omittable(ge=1, le=12, description="Zero-padded digits: 6 gives CN-000123")
    void_credit_notes: Flag = omittable(
        description="Voiding an invoice that was sent makes a cancellation credit note (Stornorechnung)"
    )
    datev_enabled: Flag = omittable(description="Turning it on gives every customer without one a debtor number")
    debtor_number_start: Integer = omittable(ge=1, le=999_999_999)
    debtor_number_end: Integer = omittable(ge=1, le=999_999_999)
    datev_consultant_number: Integer = omittable(ge=1001, le=9_999_999, description="The tax adviser's (Beraternummer)")
    datev_client_number: Integer = omittable(ge=1, le=99_999, description="The business's at the adviser (Mandant)")
    datev_chart: Literal["SKR03", "SKR04"] = omittable(description="The chart the default accounts come from")
    datev_fiscal_year_start_month: Integer = omittable(ge=1, le=12)
    datev_accounts: dict[Annotated[str, Field(max_length=40)], DatevAccountIn] = omittable(
        max_length=20,
        description="Accounts in place of the chart's, by what they book: revenue_19, revenue_7, revenue_exempt, "
        "revenue_reverse_charge, revenue_outside_eu, revenue_small_business, revenue_oss, payments_online, "
        "payments_bank; with the tax key (BU-Schlüssel) where the account does not imply the tax",
    )
    business_address_line1: ShortText = omittable()
    business_address_line2: ShortText = omittable()
    business_postal_code: ShortText = omittable()
    business_city: ShortText = omittable()
    business_country: CountryCode = omittable()
    business_vat_id: VatId = omittable(description="Shown on invoices; required for EN 16931 e-invoices")
    business_tax_number: ShortText = omittable(description="The seller's Steuernummer")
    business_register_court: ShortText = omittable(description="The register court, e.g. Amtsgericht Charlottenburg")
    business_register_number: ShortText = omittable(description="The commercial register number, e.g. HRB 123456 B")
    business_managing_directors: ShortText = omittable(description="As invoices name them: Erika Muster, Max Muster")
    business_email: Email = omittable()
    business_phone: ShortText = omittable()
    business_contact_name: ShortText = omittable(description="The seller's contact (XRechnung requires one)")
    bank_account_holder: ShortText = omittable()
    bank_iban: Iban = omittable()
    bank_bic: ShortText = omittable(max_length=11, pattern=r"^([A-Z0-9]{8}|[A-Z0-9]{11})?$")
    locale: Locale = omittable(
        description="The language and formats of all the buyer reads (documents, pages, emails): de_DE, en_US, ..."
    )
    invoice_email_subject: ShortText = omittable(description=PLACEHOLDERS)
    invoice_email_message: LongText = omittable(description=PLACEHOLDERS)


class SettingsOut(Response):
    business_name: str
    default_sender_email: str
    receipts_enabled: bool
    admin_notification_emails: list[str]
    invoice_editing_allowed: bool
    invoice_deleting_allowed: bool
    reminders_enabled: bool
    reminder_days: int
    admin_notifications_enabled: bool
    dunning_retry_days: list[int]
    dunning_final_action: str
    default_payment_terms_days: int
    default_currency: str
    default_tax_rate_id: str | None
    currencies: list[str]
    small_business: bool
    oss_enabled: bool
    oss_rates: dict[str, str]
    invoice_number_prefix: str
    invoice_number_start: int
    invoice_number_digits: int
    credit_note_number_prefix: str
    credit_note_number_start: int
    credit_note_number_digits: int
    void_credit_notes: bool
    datev_enabled: bool
    debtor_number_start: int
    debtor_number_end: int
    datev_consultant_number: int | None
    datev_client_number: int | None
    datev_chart: str
    datev_fiscal_year_start_month: int
    datev_accounts: dict[str, dict[str, Any]]
    business_address_line1: str
    business_address_line2: str
    business_postal_code: str
    business_city: str
    business_country: str
    business_vat_id: str
    business_tax_number: str
    business_register_court: str
    business_register_number: str
    business_managing_directors: str
    business_email: str
    business_phone: str
    business_contact_name: str
    bank_account_holder: str
    bank_iban: str
    bank_bic: str
    locale: str
    invoice_email_subject: str = Field(description="The tenant's own subject; empty: Billow's, in the locale")
    invoice_email_message: str = Field(description="The tenant's own message; empty: Billow's, in the locale")


def settings_out(s: TenantSettings) -> SettingsOut:
    return out(SettingsOut, s)
