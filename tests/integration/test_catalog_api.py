"""/v1/products, /v1/tax-rates, /v1/settings over HTTP: the product library and its search, the
eleven billing frequencies, tax-rate rounding and the tenant's settings."""

from __future__ import annotations

import pytest

from billing.domain.periods import BillingFrequency

WIDGET = {
    "name": "Wartung Heizung",
    "description": "Jährliche Wartung",
    "sku": "wh-1",
    "unit_price": "11.90",
    "unit_cost": "4.123456",
    "currency": "EUR",
    "billing_frequency": "annually",
}


def test_product_lifecycle(api):
    created = api.post("/v1/products", json=WIDGET)
    assert created.status_code == 201, created.text
    product = created.json()
    assert (product["unit_price"], product["unit_cost"], product["currency"], product["sku"]) == (
        "11.90",
        "4.123456",
        "eur",
        "wh-1",  # as typed
    )
    assert api.get(f"/v1/products/{product['id']}").json() == product
    updated = api.patch(f"/v1/products/{product['id']}", json={"unit_price": "12.5", "unit_cost": None}).json()
    assert (updated["unit_price"], updated["unit_cost"]) == ("12.50", None)  # at least the currency's digits
    assert api.post(f"/v1/products/{product['id']}/archive").json()["archived"] is True
    assert api.get("/v1/products").json()["data"] == []
    assert api.post(f"/v1/products/{product['id']}/restore").json()["archived"] is False


@pytest.mark.parametrize("frequency", [f.value for f in BillingFrequency])
def test_all_eleven_billing_frequencies_are_accepted(api, frequency):
    response = api.post("/v1/products", json={**WIDGET, "sku": "", "billing_frequency": frequency})
    assert response.status_code == 201
    assert response.json()["billing_frequency"] == frequency


def test_changing_only_the_case_of_a_sku_is_kept(api):
    product = api.post("/v1/products", json=WIDGET).json()
    response = api.patch(f"/v1/products/{product['id']}", json={"sku": "WH-1"})
    assert response.status_code == 200, response.text
    assert response.json()["sku"] == "WH-1"
    assert api.post("/v1/products", json={**WIDGET, "sku": "wh-1"}).status_code == 409


def test_duplicate_sku_is_409_and_search_covers_name_description_sku(api):
    api.post("/v1/products", json=WIDGET)
    duplicate = api.post("/v1/products", json={**WIDGET, "sku": "WH-1"})
    assert duplicate.status_code == 409
    assert "WH-1" in duplicate.json()["error"]["message"]
    api.post("/v1/products", json={**WIDGET, "name": "Beratung", "description": "", "sku": "B-7"})
    for term, expected in (("heizung", "Wartung Heizung"), ("jährliche", "Wartung Heizung"), ("b-7", "Beratung")):
        names = [p["name"] for p in api.get("/v1/products", params={"search": term}).json()["data"]]
        assert names == [expected], term


@pytest.mark.parametrize(("given", "stored"), [("9.995", "9.99"), ("9.996", "10.00"), ("7", "7.00")])
def test_tax_rate_percentage_rounding(api, given, stored):
    rate = api.post("/v1/tax-rates", json={"name": "USt", "percentage": given, "inclusive": True}).json()
    assert (rate["percentage"], rate["inclusive"]) == (stored, True)


def test_tax_rate_archive_and_update(api):
    rate = api.post("/v1/tax-rates", json={"name": "USt", "percentage": "19", "country": "de"}).json()
    assert rate["country"] == "DE"
    assert api.patch(f"/v1/tax-rates/{rate['id']}", json={"percentage": "7.0049"}).json()["percentage"] == "7.00"
    api.post(f"/v1/tax-rates/{rate['id']}/archive")
    assert api.get("/v1/tax-rates").json()["data"] == []
    assert [r["id"] for r in api.get("/v1/tax-rates", params={"archived": "true"}).json()["data"]] == [rate["id"]]


def test_settings_defaults_and_changes(api):
    defaults = api.get("/v1/settings").json()
    assert (defaults["datev_enabled"], defaults["debtor_number_start"], defaults["default_currency"]) == (
        False,
        10000,
        "eur",
    )
    changed = api.patch(
        "/v1/settings",
        json={
            "default_sender_email": "billing@muster.de",
            "currencies": ["eur", "usd"],
            "default_payment_terms_days": 30,
        },
    )
    assert changed.status_code == 200, changed.text
    assert api.get("/v1/settings").json() == changed.json()
    bad = api.patch("/v1/settings", json={"debtor_number_start": 5, "debtor_number_end": 4})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "debtor_number_end"
