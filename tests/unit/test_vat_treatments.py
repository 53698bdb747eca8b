"""VAT treatments, decided per invoice from the seller's country, the buyer's country, whether the
buyer is a business with a VAT id that VIES confirmed, and the seller's settings: domestic,
reverse charge for an EU business, the seller's or (with OSS) the buyer country's rate for an EU
consumer, outside the scope of German VAT beyond the EU, and no VAT for a small business."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.domain.access import Caller, Role
from billing.domain.customers import Address, VatIdCheck, VatIdStatus
from billing.domain.errors import Conflict
from billing.domain.pricing import LineTax
from billing.domain.settings import TenantSettings
from billing.domain.treatments import TaxPosition, tax_position
from billing.domain.vat import EU_STANDARD_RATES, VatCategory, VatTreatment
from billing.http.schemas.invoices import InvoiceCreate
from billing.services.customers import CustomerService
from tests.unit.fakes import FixedClock, InMemoryCustomers, InMemorySettings, NoProcessor, RegisteredVatIds
from tests.unit.wiring import ADMIN, TENANT, Billow

USt = LineTax("USt.", Decimal(19))
REDUCED = LineTax("USt.", Decimal(7))
CHECKED = datetime(2026, 3, 1, 9, tzinfo=UTC)


def position(buyer_country: str, *, business=True, confirmed=True, seller="DE", **settings) -> TaxPosition:
    options = {"small_business": False, "oss": False, "oss_rates": {}} | settings
    return tax_position(seller, buyer_country, business=business, vat_id_confirmed=confirmed, **options)


def test_a_buyer_at_home_is_domestic_and_keeps_the_lines_rates():
    at_home = position("DE")
    assert at_home.treatment is VatTreatment.DOMESTIC
    assert at_home.treated(USt, "de") == USt
    assert position("").treatment is VatTreatment.DOMESTIC  # no country on the address: as at home


def test_an_eu_business_with_a_confirmed_vat_id_is_reverse_charge_at_0_percent_with_the_sentence():
    austria = position("AT")
    assert austria.treatment is VatTreatment.REVERSE_CHARGE
    tax = austria.treated(USt, "de")
    assert (tax.percentage, tax.vat_category, tax.exemption_code) == (0, VatCategory.REVERSE_CHARGE, "VATEX-EU-AE")
    assert tax.exemption_reason == "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)"
    assert austria.treated(None, "en").exemption_reason.startswith("Reverse charge")  # an untaxed line too


def test_an_unconfirmed_vat_id_is_billed_at_home_rates_and_says_why():
    unconfirmed = position("AT", confirmed=False)
    assert unconfirmed.treatment is VatTreatment.EU_CONSUMER
    assert "not confirmed" in unconfirmed.why
    assert unconfirmed.treated(USt, "de") == USt


def test_an_eu_consumer_pays_the_sellers_rate_or_with_oss_its_countrys_standard_rate():
    assert position("AT", business=False).treated(USt, "de") == USt
    oss = position("AT", business=False, oss=True)
    tax = oss.treated(USt, "de")
    assert (tax.name, tax.percentage, tax.vat_category) == ("USt. AT", Decimal(20), VatCategory.STANDARD)
    assert position("FI", business=False, oss=True).treated(USt, "en").percentage == Decimal("25.5")
    exempt = LineTax("frei", Decimal(0), category=VatCategory.EXEMPT, exemption_reason="§ 4 Nr. 14 UStG")
    assert oss.treated(exempt, "de") == exempt  # an exempt line stays exempt


def test_the_tenant_overrides_a_countrys_oss_rate():
    overridden = position("AT", business=False, oss=True, oss_rates={"AT": Decimal(21)})
    assert overridden.treated(USt, "de").percentage == Decimal(21)
    assert EU_STANDARD_RATES["AT"] == Decimal(20)


def test_a_buyer_outside_the_eu_is_not_subject_to_german_vat():
    swiss = position("CH", business=False)
    assert swiss.treatment is VatTreatment.OUTSIDE_EU
    tax = swiss.treated(REDUCED, "de")
    assert (tax.percentage, tax.vat_category, tax.exemption_code) == (0, VatCategory.NOT_SUBJECT, "VATEX-EU-O")
    assert tax.exemption_reason == "Nicht im Inland steuerbare Leistung"


def test_a_small_business_charges_no_vat_to_anyone_and_says_so():
    for country in ("DE", "AT", "US"):
        small = position(country, small_business=True)
        assert small.treatment is VatTreatment.SMALL_BUSINESS
        tax = small.treated(USt, "de")
        assert (tax.percentage, tax.vat_category) == (0, VatCategory.EXEMPT)
        assert tax.exemption_reason == "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."


def test_a_customers_override_wins_over_the_countries_but_not_over_small_business():
    assert position("AT", override=VatTreatment.DOMESTIC).treatment is VatTreatment.DOMESTIC
    assert position("DE", override=VatTreatment.OUTSIDE_EU).treatment is VatTreatment.OUTSIDE_EU
    small = position("AT", small_business=True, override=VatTreatment.DOMESTIC)
    assert small.treatment is VatTreatment.SMALL_BUSINESS


def test_without_the_sellers_country_every_sale_is_domestic():
    assert position("AT", seller="").treatment is VatTreatment.DOMESTIC


@pytest.fixture
def austrian():
    """A wired Billow selling from Germany to an Austrian company whose VAT id VIES confirmed."""
    billow = Billow()
    billow.change_settings(business_country="DE", locale="de_DE")
    customer = billow.customers.get(TENANT, billow.customer_id)
    vienna = Address(customer.default_address_id, line1="Ring 1", postal_code="1010", city="Wien", country="AT")
    check = VatIdCheck("ATU13585627", VatIdStatus.CONFIRMED, CHECKED, "WAPIAAAAX1")
    billow.customers.customers[(TENANT, customer.id)] = replace(
        customer, vat_id="ATU13585627", vat_id_check=check, addresses={vienna.id: vienna}
    )
    return billow


def invoice_of(billow: Billow, *lines: dict):
    body = {"customer_id": billow.customer_id, "currency": "eur", "lines": list(lines), "finalize": True}
    order = InvoiceCreate.model_validate_json(json.dumps(body)).order()
    return billow.invoicing.drafts.create(ADMIN, order)


def test_an_invoice_to_an_eu_business_is_reverse_charge_and_records_why(austrian):
    invoice = invoice_of(austrian, {"name": "Beratung", "unit_price": "100", "tax": {"percentage": "19"}})
    assert invoice.vat_treatment is VatTreatment.REVERSE_CHARGE
    assert invoice.vat_treatment_note == "an EU business with a confirmed VAT id"
    assert (invoice.totals.taxes, invoice.total) == (0, 10000)
    (amount,) = invoice.tax_amounts
    assert (amount.category, amount.exemption_code) == (VatCategory.REVERSE_CHARGE, "VATEX-EU-AE")


def test_a_changed_vat_id_is_no_longer_confirmed_and_the_invoice_charges_vat(austrian):
    customer = austrian.customers.get(TENANT, austrian.customer_id)
    austrian.customers.customers[(TENANT, customer.id)] = replace(customer, vat_id="ATU12345675")
    invoice = invoice_of(austrian, {"name": "Beratung", "unit_price": "100", "tax": {"percentage": "19"}})
    assert invoice.vat_treatment is VatTreatment.EU_CONSUMER
    assert invoice.total == 11900


def test_a_subscriptions_first_charge_is_what_its_reverse_charge_invoice_totals(austrian):
    subscription = austrian.subscribe({"name": "Hosting", "unit_price": "29.00", "billing_frequency": "monthly",
                                       "tax": {"percentage": "19"}})  # fmt: skip
    (invoice,) = austrian.invoices_of(subscription.id)
    assert invoice.vat_treatment is VatTreatment.REVERSE_CHARGE
    payment = austrian.payments.payments[(TENANT, subscription.first_payment_id)]
    assert payment.amount == invoice.total == 2900
    assert invoice.status.value == "paid"


# ---------------------------------------------------------------- VAT ids confirmed by VIES


class Registry:
    """A customer service over a VIES fake that knows ATU13585627, selling as DE999999995."""

    def __init__(self, down: bool = False):
        self.vies = RegisteredVatIds("ATU13585627", down=down)
        settings = InMemorySettings()
        settings.save(TenantSettings(tenant_id="acme", business_vat_id="DE999999995"))
        self.customers = InMemoryCustomers()
        self.service = CustomerService(self.customers, settings, FixedClock(), lambda: NoProcessor(), lambda: self.vies)


AUSTRIAN = {"type": "company", "company_name": "Wiener Bau GmbH", "vat_id": "ATU13585627"}
ACME = Caller("acme", "u1", Role.BILLING)


def test_an_eu_vat_id_is_confirmed_with_viess_reference_asked_as_the_seller():
    registry = Registry()
    customer = registry.service.create(ACME, AUSTRIAN)
    assert customer.vat_id_confirmed
    check = customer.vat_id_check
    assert (check.vat_id, check.status, check.reference) == ("ATU13585627", VatIdStatus.CONFIRMED, "WAPI000001")
    assert registry.vies.asked == [("ATU13585627", "DE999999995")]


def test_an_id_vies_does_not_know_is_kept_but_not_confirmed():
    customer = Registry().service.create(ACME, AUSTRIAN | {"vat_id": "ATU12345675"})
    assert customer.vat_id == "ATU12345675" and not customer.vat_id_confirmed
    assert customer.vat_id_check.status is VatIdStatus.NOT_CONFIRMED


def test_when_vies_is_down_the_customer_is_saved_and_checked_again_later():
    registry = Registry(down=True)
    customer = registry.service.create(ACME, AUSTRIAN)
    assert customer.vat_id_check.status is VatIdStatus.UNAVAILABLE and not customer.vat_id_confirmed
    registry.vies.down = False
    checked = registry.service.check_vat_id(ACME, customer.id)
    assert checked.vat_id_confirmed
    (event, *_) = registry.customers.events[("acme", customer.id)][::-1]
    assert (event.type, event.summary) == ("customer.vat_id_checked", "VAT id ATU13585627 checked with VIES: confirmed")


def test_a_changed_vat_id_is_asked_about_again_and_an_unchanged_one_is_not():
    registry = Registry()
    customer = registry.service.create(ACME, AUSTRIAN | {"vat_id": "ATU12345675"})
    registry.service.update(ACME, customer.id, {"phone": "+43 1 234"})
    assert len(registry.vies.asked) == 1
    assert registry.service.update(ACME, customer.id, {"vat_id": "ATU13585627"}).vat_id_confirmed
    assert len(registry.vies.asked) == 2


def test_an_id_from_outside_the_eu_is_not_asked_and_checking_it_is_refused():
    registry = Registry()
    swiss = registry.service.create(ACME, AUSTRIAN | {"vat_id": "CHE-123.456.788 MWST"})
    assert swiss.vat_id_check is None and registry.vies.asked == []
    with pytest.raises(Conflict, match="no EU VAT id to check"):
        registry.service.check_vat_id(ACME, swiss.id)


def test_a_greek_vat_id_written_gr_is_asked_of_vies_as_el():
    from billing.adapters.vies import _split
    from billing.domain.customers import checkable_vat_id

    assert checkable_vat_id("GR094259216") and checkable_vat_id("EL094259216") and checkable_vat_id("XI123456782")
    assert not checkable_vat_id("CHE123456788") and not checkable_vat_id("")
    assert _split("GR094259216") == ("EL", "094259216")
