"""VAT treatments: how VAT applies to a sale, decided per invoice from the seller's country, the
buyer's country, whether the buyer is a business with a confirmed VAT id, and the seller's
settings (small business under § 19 UStG, the One-Stop-Shop for EU consumers); a customer may
carry an override. Under a treatment that charges no VAT every line says why, in the category
EN 16931 gives it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from billing.domain.customers import Customer, CustomerType
from billing.domain.pricing import LineItem, LineTax
from billing.domain.settings import TenantSettings
from billing.domain.vat import EU_COUNTRIES, EU_STANDARD_RATES, VatCategory, VatTreatment

# What an invoice says where it charges no VAT, in German and English (the reverse-charge
# sentence is printed in both, as the buyer abroad reads it).
TREATMENT_REASONS = {
    VatTreatment.REVERSE_CHARGE: {
        "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)",
        "en": "Reverse charge: VAT is due from the recipient (Steuerschuldnerschaft des Leistungsempfängers)",
    },
    VatTreatment.OUTSIDE_EU: {
        "de": "Nicht im Inland steuerbare Leistung",
        "en": "Not subject to German VAT: the place of supply is outside the EU",
    },
    VatTreatment.SMALL_BUSINESS: {
        "de": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
        "en": "No VAT is charged under the small-business rule (§ 19 UStG).",
    },
}
_CATEGORIES = {
    VatTreatment.REVERSE_CHARGE: (VatCategory.REVERSE_CHARGE, "VATEX-EU-AE"),
    VatTreatment.OUTSIDE_EU: (VatCategory.NOT_SUBJECT, "VATEX-EU-O"),
    VatTreatment.SMALL_BUSINESS: (VatCategory.EXEMPT, ""),
}


@dataclass(frozen=True)
class TaxPosition:
    """The treatment an invoice is under, why, and for OSS the rate of the buyer's country."""

    treatment: VatTreatment
    why: str
    country: str = ""
    oss_rate: Decimal | None = None

    def treated(self, tax: LineTax | None, language: str) -> LineTax | None:
        """A line's tax under this treatment: as it is at home, the buyer country's standard rate
        for a standard-rated line under OSS, else nothing charged with the treatment's reason."""
        if self.treatment is VatTreatment.DOMESTIC:
            return tax
        if self.treatment is VatTreatment.EU_CONSUMER:
            if self.oss_rate is None or tax is None or tax.vat_category is not VatCategory.STANDARD:
                return tax
            name = f"{'USt.' if language == 'de' else 'VAT'} {self.country}"
            return LineTax(name, self.oss_rate, tax.inclusive, category=VatCategory.STANDARD)
        category, code = _CATEGORIES[self.treatment]
        reasons = TREATMENT_REASONS[self.treatment]
        reason = reasons.get(language, reasons["en"])
        return LineTax(
            reason, Decimal(0), bool(tax and tax.inclusive), category=category, exemption_reason=reason,
            exemption_code=code,
        )  # fmt: skip


def tax_position(
    seller_country: str,
    buyer_country: str,
    *,
    business: bool,
    vat_id_confirmed: bool,
    small_business: bool,
    oss: bool,
    oss_rates: dict[str, Decimal],
    override: VatTreatment | None = None,
) -> TaxPosition:
    """The treatment of a sale from ``seller_country`` to a buyer in ``buyer_country``: a small
    business charges no VAT; else the customer's override; a buyer at home, or anywhere when the
    seller's country is unknown, is domestic; an EU business with a confirmed VAT id is reverse
    charge (an unconfirmed one is billed as at home, and the position says why); an EU consumer
    pays the seller's rates, or with OSS its own country's; a buyer outside the EU is outside the
    scope of VAT."""
    if small_business:
        return TaxPosition(VatTreatment.SMALL_BUSINESS, "the seller is a small business (§ 19 UStG)")
    if override is not None:
        rate = _oss_rate(buyer_country, oss_rates) if override is VatTreatment.EU_CONSUMER and oss else None
        return TaxPosition(override, "set on the customer", buyer_country, rate)
    if not seller_country:
        return TaxPosition(VatTreatment.DOMESTIC, "the settings name no business_country")
    if not buyer_country or buyer_country == seller_country:
        return TaxPosition(VatTreatment.DOMESTIC, "the buyer is in the seller's country")
    if buyer_country not in EU_COUNTRIES:
        return TaxPosition(VatTreatment.OUTSIDE_EU, f"the buyer is outside the EU ({buyer_country})", buyer_country)
    if business and vat_id_confirmed:
        return TaxPosition(VatTreatment.REVERSE_CHARGE, "an EU business with a confirmed VAT id", buyer_country)
    why = "the buyer's VAT id is not confirmed (VIES), so it is billed as a consumer" if business else "an EU consumer"
    if oss:
        return TaxPosition(VatTreatment.EU_CONSUMER, why + "; OSS", buyer_country, _oss_rate(buyer_country, oss_rates))
    return TaxPosition(VatTreatment.EU_CONSUMER, why + "; the seller's rates (OSS is off)", buyer_country)


def _oss_rate(country: str, overrides: dict[str, Decimal]) -> Decimal | None:
    return overrides.get(country, EU_STANDARD_RATES.get(country))


def position_of(settings: TenantSettings, customer: Customer, address_id: str | None = None) -> TaxPosition:
    """The treatment of an invoice of this seller to this customer, at its billing address or at
    the address a subscription bills to (``address_id``)."""
    address = customer.address_for_subscription(address_id) if address_id else customer.billing_address
    return tax_position(
        settings.business_country,
        address.country,
        business=customer.type is CustomerType.COMPANY,
        vat_id_confirmed=customer.vat_id_confirmed,
        small_business=settings.small_business,
        oss=settings.oss_enabled,
        oss_rates=settings.oss_rates,
        override=customer.vat_treatment,
    )


def treated_items(items: list[LineItem], position: TaxPosition, language: str) -> list[LineItem]:
    """The lines with their taxes under ``position``."""
    return [replace(item, tax=position.treated(item.tax, language)) for item in items]
