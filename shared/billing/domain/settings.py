"""Tenant settings (SPEC X2) and the DATEV debtor number range (C4)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.money import normalize_currency

# DATEV's default debtor range for 4-digit general-ledger accounts.
DATEV_DEBTOR_START = 10000
DATEV_DEBTOR_END = 69999


@dataclass(frozen=True)
class TenantSettings:
    tenant_id: str
    business_name: str = ""
    default_sender_email: str = ""
    receipts_enabled: bool = True
    admin_notification_emails: tuple[str, ...] = ()
    invoice_editing_allowed: bool = False
    invoice_deleting_allowed: bool = False
    reminders_enabled: bool = True
    admin_notifications_enabled: bool = True
    default_payment_terms_days: int = 14
    default_currency: str = "eur"
    currencies: tuple[str, ...] = field(default=("eur",))
    invoice_number_prefix: str = "INV-"
    invoice_number_start: int = 1
    invoice_number_digits: int = 6
    datev_enabled: bool = False
    debtor_number_start: int = DATEV_DEBTOR_START
    debtor_number_end: int = DATEV_DEBTOR_END
    version: int = 0

    def billing_currency(self, value: str, field: str = "currency") -> str:
        """A currency this tenant bills in (X2), lower-cased; any other is refused by name."""
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


def updated_settings(settings: TenantSettings, changes: dict) -> TenantSettings:
    changes = dict(changes)
    if "currencies" in changes:
        changes["currencies"] = tuple(
            normalize_currency(c, f"currencies.{i}") for i, c in enumerate(changes["currencies"])
        )
    if "admin_notification_emails" in changes:
        changes["admin_notification_emails"] = tuple(changes["admin_notification_emails"])
    if "default_currency" in changes:
        changes["default_currency"] = normalize_currency(changes["default_currency"], "default_currency")
    candidate = replace(settings, **changes)
    errors = []
    if candidate.debtor_number_start > candidate.debtor_number_end:
        errors.append(FieldError("debtor_number_end", "must not be below debtor_number_start"))
    if candidate.default_currency not in candidate.currencies:
        errors.append(FieldError("default_currency", "must be one of the tenant's currencies"))
    if errors:
        raise ValidationFailed(errors)
    return candidate
