"""POST /v1/pricing/preview over HTTP: what a line-item editor shows while the user types."""

from __future__ import annotations

import pytest

from tests.integration.conftest import fields_of


@pytest.fixture
def api(new_tenant):
    """A tenant that bills in euros and dollars (a new one bills in euros only)."""
    tenant = new_tenant()
    assert tenant.patch("/v1/settings", json={"currencies": ["eur", "usd"]}).status_code == 200
    return tenant


def preview(api, **body):
    return api.post("/v1/pricing/preview", json={"currency": "usd", "date": "2026-03-01", **body})


def test_the_worked_pricing_figures_through_the_api(api):
    response = preview(
        api,
        lines=[
            {"name": "Discounted unit", "unit_price": "11.90", "discount": {"type": "percent", "value": "15"}},
            {"name": "Weekly for MRR", "unit_price": "10.34", "billing_frequency": "weekly"},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    first, second = body["lines"]
    assert (first["amount"], first["discount"], first["net"]) == (1190, 178, 1012)
    assert second["metrics"]["mrr"] == 4477
    assert body["due_now"]["total"] == 1012 + 1034
    assert body["total_contract_value"] == {
        "amount": None,
        "computable": False,
        "reason": "an auto-renewing line has no number of payments, so the contract has no total",
    }
    assert body["future_payments"]["until_cancelled"] == [{"billing_frequency": "weekly", "amount": 1034}]
    assert [s["billing_frequency"] for s in body["subscriptions"]] == ["weekly"]
    assert [p["date"] for p in body["schedule"][:3]] == ["2026-03-01", "2026-03-08", "2026-03-15"]


def test_library_products_and_tax_rates_with_overrides(api):
    product = api.post(
        "/v1/products",
        json={
            "name": "Wartung",
            "unit_price": "100",
            "currency": "eur",
            "billing_frequency": "monthly",
            "unit_cost": "40",
        },
    ).json()
    vat = api.post("/v1/tax-rates", json={"name": "USt", "percentage": "19"}).json()
    body = api.post(
        "/v1/pricing/preview",
        json={
            "currency": "eur",
            "date": "2026-01-31",
            "lines": [
                {"product_id": product["id"], "tax_rate_id": vat["id"], "payments": 6},
                {"product_id": product["id"], "unit_price": "80", "quantity": "2", "billing_frequency": "annually"},
            ],
        },
    ).json()
    monthly, annual = body["lines"]
    assert (monthly["name"], monthly["net"], monthly["tax"], monthly["total"]) == ("Wartung", 10000, 1900, 11900)
    assert monthly["ends_on"] == "2026-07-31"
    assert (annual["unit_price"], annual["net"], annual["billing_frequency"]) == ("80.00", 16000, "annually")
    assert monthly["metrics"]["margin_mrr"] == 6000
    assert len(body["subscriptions"]) == 2  # a monthly and an annual line: two subscriptions
    assert [p["date"] for p in body["schedule"][:3]] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    # the library product is unchanged by the override
    assert api.get(f"/v1/products/{product['id']}").json() == product


def test_invoice_pricing_bills_recurring_lines_once(api):
    body = preview(api, for_invoice=True, lines=[{"name": "Plan", "unit_price": "10", "billing_frequency": "monthly"}])
    line = body.json()["lines"][0]
    assert (line["billing_frequency"], body.json()["total_contract_value"]["amount"]) == ("one_time", 1000)


def test_errors_name_the_line_and_the_field(api):
    response = preview(
        api,
        lines=[
            {"name": "ok", "unit_price": "1"},
            {"name": "bad price", "unit_price": "1.0000001"},
            {"name": "bad qty", "unit_price": "1", "quantity": "-2"},
            {"unit_price": "1"},
            {"name": "x", "unit_price": "1", "discount": {"type": "percent", "value": "101"}},
            {"product_id": "prod_01J00000000000000000000000"},
        ],
    )
    assert response.status_code == 422
    assert fields_of(response) == [
        "lines.1.unit_price",
        "lines.2.quantity",
        "lines.3.name",
        "lines.4.discount.value",
        "lines.5.product_id",
    ]


def test_schema_errors_name_the_line_too(api):
    response = preview(api, lines=[{"name": "x", "unit_price": "1", "billing_frequency": "daily", "colour": "red"}])
    assert sorted(fields_of(response)) == ["lines.0.billing_frequency", "lines.0.colour"]


def test_another_tenants_product_is_not_found(api, new_tenant):
    other = new_tenant()
    other.patch("/v1/settings", json={"currencies": ["usd"], "default_currency": "usd"})
    product = other.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "usd"}).json()
    response = preview(api, lines=[{"product_id": product["id"]}])
    assert response.status_code == 422
    assert fields_of(response) == ["lines.0.product_id"]


def test_product_in_another_currency_is_refused(api):
    product = api.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur"}).json()
    response = preview(api, lines=[{"product_id": product["id"]}])
    assert fields_of(response) == ["lines.0.product_id"]
    assert "eur" in response.json()["error"]["fields"][0]["message"]


def test_the_preview_shows_net_and_vat_per_rate_after_a_one_time_discount(api):
    response = preview(
        api,
        currency="eur",
        lines=[
            {"name": "Beratung", "unit_price": "100", "tax": {"name": "USt", "percentage": "19"}},
            {"name": "Fachbuch", "unit_price": "50", "tax": {"name": "USt", "percentage": "7"}},
        ],
        adjustments=[{"kind": "discount", "type": "percent", "value": "10"}],
    )
    assert response.status_code == 200, response.text
    now = response.json()["due_now"]
    assert [(r["percentage"], r["net"], r["tax"]) for r in now["rates"]] == [("19.00", 9000, 1710), ("7.00", 4500, 315)]
    assert (now["one_time_discounts"], now["taxes"], now["total"]) == (1500, 2025, 15525)


def test_viewer_may_preview(api):
    assert preview(api.as_role("viewer"), lines=[{"name": "x", "unit_price": "1"}]).status_code == 200


def test_only_the_tenants_currencies_can_be_priced_sold_or_charged(new_tenant):
    euro_only = new_tenant()
    response = euro_only.post(
        "/v1/pricing/preview", json={"currency": "usd", "lines": [{"name": "x", "unit_price": "1"}]}
    )
    assert fields_of(response) == ["currency"]
    assert "only in eur" in response.json()["error"]["fields"][0]["message"]
    product = euro_only.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "usd"})
    assert fields_of(product) == ["currency"]
    product = euro_only.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur"}).json()
    assert fields_of(euro_only.patch(f"/v1/products/{product['id']}", json={"currency": "usd"})) == ["currency"]
    customer = euro_only.post("/v1/customers", json={"type": "company", "company_name": "M"}).json()
    charge = euro_only.post("/v1/payments", json={"customer_id": customer["id"], "amount": 100, "currency": "usd"})
    assert fields_of(charge) == ["currency"]
