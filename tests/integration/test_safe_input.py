"""Safe retries and hostile input: no 500s, no half-written records."""

from __future__ import annotations

import pytest

from tests.integration.conftest import fields_of

COMPANY = {"type": "company", "company_name": "Muster GmbH"}


def customer_count(api) -> int:
    return len(api.get("/v1/customers", params={"limit": 100}).json()["data"])


def test_same_idempotency_key_and_body_returns_the_first_response_and_writes_nothing(api):
    first = api.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "order-42"})
    again = api.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert customer_count(api) == 1
    assert len(api.get(f"/v1/customers/{first.json()['id']}/timeline").json()["data"]) == 1


def test_same_key_with_another_body_is_refused(api):
    api.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "k"})
    other = api.post("/v1/customers", json={**COMPANY, "company_name": "Other"}, headers={"Idempotency-Key": "k"})
    assert other.status_code == 422
    assert fields_of(other) == ["Idempotency-Key"]
    assert customer_count(api) == 1


def test_idempotency_keys_are_per_tenant_and_per_operation(api, new_tenant):
    other_tenant = new_tenant()
    a = api.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "same"}).json()
    b = other_tenant.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "same"}).json()
    assert a["id"] != b["id"]
    product = api.post(
        "/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur"}, headers={"Idempotency-Key": "same"}
    )
    assert product.status_code == 201


def test_a_failed_create_does_not_burn_the_key(api):
    bad = api.post(
        "/v1/products",
        json={"name": "P", "unit_price": "1.0000001", "currency": "eur"},
        headers={"Idempotency-Key": "retry-me"},
    )
    assert bad.status_code == 422
    good = api.post(
        "/v1/products",
        json={"name": "P", "unit_price": "1.5", "currency": "eur"},
        headers={"Idempotency-Key": "retry-me"},
    )
    assert good.status_code == 201


def test_overlong_idempotency_key_is_named(api):
    response = api.post("/v1/customers", json=COMPANY, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422
    assert fields_of(response) == ["Idempotency-Key"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ('{"type": "company", "company_name": ', ["body"]),
        ("[]", ["body"]),
        ('"just a string"', ["body"]),
        ({"type": "robot", "company_name": "x"}, ["type"]),
        ({"type": "company", "company_name": 42}, ["company_name"]),
        ({"type": "company", "company_name": "x" * 201}, ["company_name"]),
        ({"type": "company", "company_name": "x", "email": "not-an-email"}, ["email"]),
        ({"type": "company", "company_name": "x", "email": "a@b.de", "unknown": 1, "also": 2}, ["unknown", "also"]),
        ({"type": "company", "company_name": "x", "address": {"city": "x", "planet": "Mars"}}, ["address.planet"]),
        ({"type": "company", "company_name": "x", "address": {"country": "Germany"}}, ["address.country"]),
        ({"type": "company", "company_name": "x", "debtor_number": -5}, ["debtor_number"]),
        ({"type": "company", "company_name": "x", "debtor_number": "12a"}, ["debtor_number"]),
    ],
)
def test_bad_customer_input_is_a_422_naming_each_field_and_writes_nothing(api, body, fields):
    kwargs = (
        {"data": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, str) else {"json": body}
    )
    response = api.post("/v1/customers", **kwargs)
    assert response.status_code == 422, response.text
    assert sorted(fields_of(response)) == sorted(fields)
    assert customer_count(api) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "P", "unit_price": "1.0000001", "currency": "eur"}, ["unit_price"]),
        ({"name": "P", "unit_price": "-1", "currency": "eur"}, ["unit_price"]),
        ({"name": "P", "unit_price": "NaN", "currency": "eur"}, ["unit_price"]),
        ({"name": "P", "unit_price": "1e400", "currency": "eur"}, ["unit_price"]),
        ({"name": "P", "unit_price": "1", "currency": "xyz"}, ["currency"]),
        ({"name": "P", "unit_price": "1", "currency": "eur", "billing_frequency": "daily"}, ["billing_frequency"]),
        ({"name": "P", "unit_price": "1", "currency": "eur", "unit_cost": "abc"}, ["unit_cost"]),
        ({"name": "", "unit_price": "1", "currency": "eur"}, ["name"]),
        ({"unit_price": "1", "currency": "eur"}, ["name"]),
    ],
)
def test_bad_product_input_names_the_field(api, body, fields):
    response = api.post("/v1/products", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == fields
    assert api.get("/v1/products").json()["data"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"cursor": "eyJhZnRlciI6IjEifQ"},
        {"cursor": "e30"},
        {"cursor": "x" * 401},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"archived": "maybe"},
    ],
)
def test_bad_list_parameters_are_422(api, params):
    response = api.get("/v1/customers", params=params)
    assert response.status_code == 422, response.text
    assert fields_of(response) == list(params)


@pytest.mark.parametrize("customer_id", ["nope", "cus_" + "Z" * 26, "cus_01J0000000000000000000000%23META", "x" * 500])
def test_unknown_or_malformed_ids_are_404(api, customer_id):
    assert api.get(f"/v1/customers/{customer_id}").status_code == 404


def test_update_rejects_null_for_required_fields_and_changes_nothing(api):
    customer = api.post("/v1/customers", json=COMPANY).json()
    response = api.patch(f"/v1/customers/{customer['id']}", json={"company_name": None, "phone": "1"})
    assert response.status_code == 422
    assert fields_of(response) == ["company_name"]
    assert api.get(f"/v1/customers/{customer['id']}").json() == customer


def test_taken_debtor_number_on_update_changes_nothing(api):
    first = api.post("/v1/customers", json={**COMPANY, "debtor_number": 100}).json()
    second = api.post("/v1/customers", json={**COMPANY, "debtor_number": 101}).json()
    response = api.patch(f"/v1/customers/{second['id']}", json={"debtor_number": 100, "phone": "9"})
    assert response.status_code == 409
    assert api.get(f"/v1/customers/{second['id']}").json() == second
    assert api.get(f"/v1/customers/{first['id']}").json()["debtor_number"] == 100
    assert len(api.get(f"/v1/customers/{second['id']}/timeline").json()["data"]) == 1


def test_huge_body_never_becomes_a_500(api):
    response = api.post("/v1/customers", json={**COMPANY, "phone": "9" * 1_000_000})
    assert response.status_code == 422
    assert fields_of(response) == ["phone"]
