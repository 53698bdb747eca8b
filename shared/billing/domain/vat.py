"""VAT categories as EN 16931 codes them (UNCL 5305), and the rule that a line at 0 % says why.

A rate of the tenant's library is standard (above 0 %), zero-rated (0 %, taxable at a rate of
nil) or exempt (0 %, with the exemption the tenant names, e.g. "Steuerfrei nach § 4 Nr. 14
UStG", and optionally its VATEX code); an invoice's PDF prints the reason and its e-invoice codes
it. Reverse charge, exports and supplies outside the scope of VAT are not rates: they follow
from who buys, and are decided per invoice."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.errors import FieldError


class VatCategory(StrEnum):
    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    EXPORT = "G"
    NOT_SUBJECT = "O"


class VatTreatment(StrEnum):
    """How VAT applies to a sale, decided per invoice from who sells to whom."""

    DOMESTIC = "domestic"  # the seller's rates
    REVERSE_CHARGE = "reverse_charge"  # an EU business with a confirmed VAT id owes the VAT (Art. 196)
    EU_CONSUMER = "eu_consumer"  # the seller's rates, or with OSS the buyer country's standard rate
    OUTSIDE_EU = "outside_eu"  # a supply whose place is abroad: outside the scope of German VAT
    SMALL_BUSINESS = "small_business"  # § 19 UStG: no VAT is charged


# The standard VAT rate of each member state, as the table shipped with Billow knows them on
# this date; a tenant overrides a country's rate in its settings (oss_rates).
EU_STANDARD_RATES_AS_OF = date(2026, 1, 1)
EU_STANDARD_RATES = {
    country: Decimal(rate)
    for country, rate in {
        "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25", "EE": "24",
        "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27", "IE": "23", "IT": "22",
        "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21", "PL": "23", "PT": "23", "RO": "21",
        "SE": "25", "SI": "22", "SK": "23",
    }.items()
}  # fmt: skip

# ISO 3166 codes of the EU's member states (Greece is GR in addresses, EL in VAT ids).
EU_COUNTRIES = frozenset(EU_STANDARD_RATES)
# How an EU VAT id begins: its member state's code, EL for Greece (GR too, as python-stdnum reads
# it), XI for Northern Ireland.
EU_VAT_PREFIXES = EU_COUNTRIES | {"EL", "XI"}

# The categories a rate of the library may have; the others are per-invoice treatments.
RATE_CATEGORIES = (VatCategory.STANDARD, VatCategory.ZERO_RATED, VatCategory.EXEMPT)
_VATEX = re.compile(r"^VATEX-[A-Z]{2}-[A-Z0-9-]{1,20}$")


def category_of(percentage: Decimal, category: VatCategory | str | None) -> VatCategory:
    """The category as written, or when none is: standard above 0 %, else exempt."""
    if category is not None:
        return VatCategory(category)
    return VatCategory.STANDARD if percentage > 0 else VatCategory.EXEMPT


def rate_errors(
    percentage: Decimal, category: VatCategory, exemption_reason: str, exemption_code: str, where: str = ""
) -> list[FieldError]:
    """What is wrong with a rate's category and reason: a standard rate is above 0 %, the others
    are 0 %; an exempt rate names its exemption; only an exempt rate has an exemption code."""
    at = f"{where}." if where else ""
    errors = []
    if category not in RATE_CATEGORIES:
        errors.append(
            FieldError(
                f"{at}category",
                "a rate is S (standard), Z (zero-rated) or E (exempt); reverse charge, exports and supplies "
                "outside the scope of VAT follow from the buyer, per invoice",
            )
        )
    elif category is VatCategory.STANDARD and percentage == 0:
        errors.append(
            FieldError(f"{at}category", "a rate of 0 % is Z (zero-rated) or E (exempt, naming its exemption)")
        )
    elif category is not VatCategory.STANDARD and percentage != 0:
        errors.append(FieldError(f"{at}percentage", f"a {category.name.lower().replace('_', '-')} rate is 0 %"))
    if category is VatCategory.EXEMPT and not exemption_reason.strip():
        errors.append(
            FieldError(
                f"{at}exemption_reason",
                "a line at 0 % says why: name the exemption, e.g. 'Steuerfrei nach § 4 Nr. 14 UStG'",
            )
        )
    if exemption_code and category is not VatCategory.EXEMPT:
        errors.append(FieldError(f"{at}exemption_code", "only an exempt (E) rate has an exemption code"))
    elif exemption_code and not _VATEX.match(exemption_code):
        errors.append(FieldError(f"{at}exemption_code", "a VATEX code, e.g. VATEX-EU-132-1I"))
    return errors
