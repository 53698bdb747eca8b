"""Tenant settings and the DATEV debtor number range."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.money import normalize_currency
from billing.domain.records import record_of, values_of
from billing.domain.templates import placeholder_errors

# DATEV's default debtor range for 4-digit general-ledger accounts.
DATEV_DEBTOR_START = 10000
DATEV_DEBTOR_END = 69999


@dataclass(frozen=True)
class Seller:
    """The seller as an invoice shows it, copied from the settings when the invoice is finalized
    (an issued invoice keeps the address it was issued with). Named as the settings name them."""

    business_name: str = ""
    business_address_line1: str = ""
    business_address_line2: str = ""
    business_postal_code: str = ""
    business_city: str = ""
    business_country: str = ""
    business_vat_id: str = ""
    business_tax_number: str = ""
    business_register_court: str = ""  # e.g. Amtsgericht Charlottenburg
    business_register_number: str = ""  # e.g. HRB 123456 B
    business_managing_directors: str = ""  # as the invoice names them, e.g. "Erika Muster, Max Muster"
    business_email: str = ""
    business_phone: str = ""
    business_contact_name: str = ""
    bank_account_holder: str = ""
    bank_iban: str = ""
    bank_bic: str = ""
    locale: str = "en_US"


@dataclass(frozen=True, kw_only=True)
class TenantSettings(Seller):
    """The tenant's settings: the seller invoices show (Seller's fields) and how it bills."""

    tenant_id: str
    default_sender_email: str = ""
    receipts_enabled: bool = True
    admin_notification_emails: tuple[str, ...] = ()
    invoice_editing_allowed: bool = False
    invoice_deleting_allowed: bool = False
    reminders_enabled: bool = True
    reminder_days: int = 14  # The reminder goes out this many days before each payment
    admin_notifications_enabled: bool = True
    # A failed AutoPay charge is retried this many days after the first failure (an overdue
    # invoice-mode invoice is reminded of on the same days after its due date) ...
    dunning_retry_days: tuple[int, ...] = (1, 3, 5, 7)
    # ... and when the retries run out: "cancel" the subscription, or "keep_unpaid" it (invoice open)
    dunning_final_action: str = "cancel"
    default_payment_terms_days: int = 14
    default_currency: str = "eur"
    default_tax_rate_id: str | None = None  # the rate of a line whose product names none
    small_business: bool = False  # § 19 UStG: no VAT is charged
    oss_enabled: bool = False  # EU consumers pay their country's standard rate (One-Stop-Shop)
    oss_rates: dict[str, Decimal] = field(default_factory=dict)  # a country's rate other than the shipped table's
    currencies: tuple[str, ...] = field(default=("eur",))
    invoice_number_prefix: str = "INV-"
    invoice_number_start: int = 1
    invoice_number_digits: int = 6
    credit_note_number_prefix: str = "CN-"
    credit_note_number_start: int = 1
    credit_note_number_digits: int = 6
    # Voiding an invoice that was sent makes a cancellation credit note (Stornorechnung), so its
    # number stays in the books; off where plain voids are allowed.
    void_credit_notes: bool = True
    datev_enabled: bool = False
    debtor_number_start: int = DATEV_DEBTOR_START
    debtor_number_end: int = DATEV_DEBTOR_END
    datev_consultant_number: int | None = None  # the tax adviser's DATEV number (Beraternummer)
    datev_client_number: int | None = None  # the business's number at the adviser (Mandantennummer)
    datev_chart: str = "SKR03"  # or SKR04: the chart of accounts the default accounts come from
    datev_fiscal_year_start_month: int = 1
    # An account in place of the chart's, by what it books (billing.domain.datev.ACCOUNT_KEYS):
    # {"revenue_19": {"account": 8401, "tax_key": "3"}}.
    datev_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The tenant's own invoice email (billing.domain.templates); empty: Billow's, in the locale's language
    invoice_email_subject: str = ""
    invoice_email_message: str = ""
    version: int = 0

    @property
    def language(self) -> str:
        """The language of what the buyer reads: de of de_DE."""
        return self.locale.split("_")[0]

    @property
    def seller(self) -> Seller:
        return record_of(Seller, values_of(self, (f.name for f in fields(Seller))))

    def billing_currency(self, value: str, field: str = "currency") -> str:
        """A currency this tenant bills in, lower-cased; any other is refused by name."""
        currency = normalize_currency(value, field)
        if currency not in self.currencies:
            raise ValidationFailed.of(
                field,
                f"this business bills only in {', '.join(self.currencies)}; add {currency} to the settings' "
                "currencies first",
            )
        return currency

    @property
    def assigns_debtor_numbers(self) -> bool:
        return self.datev_enabled

    def debtor_number_error(self, number: int) -> FieldError | None:
        if self.datev_enabled and not self.debtor_number_start <= number <= self.debtor_number_end:
            return FieldError(
                "debtor_number", f"must lie in the tenant's range {self.debtor_number_start}-{self.debtor_number_end}"
            )
        return None


def updated_settings(settings: TenantSettings, changes: dict[str, Any]) -> TenantSettings:
    changes = dict(changes)
    if "currencies" in changes:
        changes["currencies"] = tuple(
            normalize_currency(c, f"currencies.{i}") for i, c in enumerate(changes["currencies"])
        )
    if "admin_notification_emails" in changes:
        changes["admin_notification_emails"] = tuple(changes["admin_notification_emails"])
    if "oss_rates" in changes:
        changes["oss_rates"] = _oss_rates(changes["oss_rates"])
    if "dunning_retry_days" in changes:
        changes["dunning_retry_days"] = tuple(changes["dunning_retry_days"])
    if "default_currency" in changes:
        changes["default_currency"] = normalize_currency(changes["default_currency"], "default_currency")
    candidate = replace(settings, **changes)
    errors = []
    if candidate.debtor_number_start > candidate.debtor_number_end:
        errors.append(FieldError("debtor_number_end", "must not be below debtor_number_start"))
    if "datev_accounts" in changes:
        from billing.domain.datev import ACCOUNT_KEYS

        errors += [
            FieldError(f"datev_accounts.{key}", f"is none of {', '.join(ACCOUNT_KEYS)}")
            for key in changes["datev_accounts"]
            if key not in ACCOUNT_KEYS
        ]
    if list(candidate.dunning_retry_days) != sorted(set(candidate.dunning_retry_days)):
        errors.append(FieldError("dunning_retry_days", "must be distinct days in ascending order"))
    if candidate.default_currency not in candidate.currencies:
        errors.append(FieldError("default_currency", "must be one of the tenant's currencies"))
    for name in ("invoice_email_subject", "invoice_email_message"):
        if name in changes:
            errors += placeholder_errors(name, changes[name])
    if errors:
        raise ValidationFailed(errors)
    return candidate


def _oss_rates(written: dict[str, str]) -> dict[str, Decimal]:
    from billing.domain.catalog import checked_tax_percentage
    from billing.domain.vat import EU_COUNTRIES

    errors = [FieldError(f"oss_rates.{c}", "is not an EU member state") for c in written if c not in EU_COUNTRIES]
    rates = {}
    for country, value in written.items():
        try:
            rates[country] = checked_tax_percentage(value)
        except ValidationFailed:
            errors.append(FieldError(f"oss_rates.{country}", "must be a percentage from 0 to 100"))
    if errors:
        raise ValidationFailed(errors)
    return rates
