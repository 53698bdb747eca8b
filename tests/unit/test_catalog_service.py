"""The product library, tax rates and the tenant's settings against fakes."""

from decimal import Decimal

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import Conflict, Forbidden, ValidationFailed
from billing.services.catalog import CatalogService
from tests.unit.fakes import FixedClock, InMemoryCatalog, InMemorySettings

BILLING = Caller("acme", "u1", Role.BILLING)
ADMIN = Caller("acme", "u0", Role.ADMIN)
OTHER = Caller("globex", "u2", Role.ADMIN)
PRODUCT = {
    "name": "Wartungsvertrag",
    "unit_price": "11.90",
    "currency": "EUR",
    "billing_frequency": "monthly",
    "sku": "wv-01",
}


@pytest.fixture
def service():
    return CatalogService(InMemoryCatalog(), InMemorySettings(), FixedClock())


def test_product_keeps_six_decimals_and_lower_case_currency(service):
    product = service.create_product(BILLING, {**PRODUCT, "unit_price": "0.004711"})
    assert product.unit_price == Decimal("0.004711")
    assert product.currency == "eur"
    assert product.sku == "wv-01"  # as typed


def test_sku_is_unique_per_tenant_ignoring_case(service):
    service.create_product(BILLING, PRODUCT)
    with pytest.raises(Conflict, match="WV-01"):
        service.create_product(BILLING, {**PRODUCT, "sku": "WV-01 "})
    assert service.create_product(OTHER, PRODUCT).sku == "wv-01"


def test_changing_only_the_case_of_a_sku_keeps_it(service):
    product = service.create_product(BILLING, PRODUCT)
    assert service.update_product(BILLING, product.id, {"sku": "WV-01"}).sku == "WV-01"
    with pytest.raises(Conflict):
        service.create_product(BILLING, {**PRODUCT, "sku": "wV-01"})


def test_renaming_a_sku_frees_the_old_one(service):
    product = service.create_product(BILLING, PRODUCT)
    service.update_product(BILLING, product.id, {"sku": "wv-02"})
    assert service.create_product(BILLING, PRODUCT).sku == "wv-01"


def test_search_matches_name_description_or_sku(service):
    service.create_product(BILLING, {**PRODUCT, "description": "Heizung jährlich"})
    service.create_product(BILLING, {**PRODUCT, "name": "Beratung", "sku": "ber-1"})
    assert [p.name for p in service.list_products(BILLING, search="heizung").items] == ["Wartungsvertrag"]
    assert [p.name for p in service.list_products(BILLING, search="BER-").items] == ["Beratung"]


@pytest.mark.parametrize(("given", "stored"), [("9.995", "9.99"), ("9.996", "10.00"), ("19", "19.00")])
def test_a_tax_rate_percentage_keeps_two_decimals_a_trailing_5_rounding_down(service, given, stored):
    rate = service.create_tax_rate(BILLING, {"name": "USt", "percentage": given, "inclusive": False})
    assert str(rate.percentage) == stored


def test_tax_rate_above_100_percent_is_refused_naming_the_field(service):
    with pytest.raises(ValidationFailed) as error:
        service.create_tax_rate(BILLING, {"name": "x", "percentage": "100.01", "inclusive": False})
    assert error.value.errors[0].field == "percentage"


def test_archived_products_leave_the_default_list(service):
    product = service.create_product(BILLING, PRODUCT)
    service.set_product_archived(BILLING, product.id, True)
    assert service.list_products(BILLING).items == []
    assert service.list_products(BILLING, archived=True).items[0].archived


def test_only_admins_change_settings(service):
    with pytest.raises(Forbidden):
        service.update_settings(BILLING, {"datev_enabled": True})
    assert service.update_settings(ADMIN, {"datev_enabled": True}).datev_enabled


def test_default_currency_must_be_among_the_tenant_currencies(service):
    with pytest.raises(ValidationFailed) as error:
        service.update_settings(ADMIN, {"default_currency": "usd"})
    assert error.value.errors[0].field == "default_currency"
    assert service.update_settings(ADMIN, {"currencies": ["EUR", "usd"], "default_currency": "USD"}).currencies == (
        "eur",
        "usd",
    )
