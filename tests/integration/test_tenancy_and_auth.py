"""Tenancy, roles and the authorizer over HTTP: the tenant comes only from the token."""

from __future__ import annotations

import io
import time

import jwt
import pytest
import requests
from openpyxl import load_workbook

from local import auth

COMPANY = {"type": "company", "company_name": "Muster GmbH"}


@pytest.fixture
def victim(new_tenant):
    """Tenant B with a customer, a product, a tax rate and a list cursor."""
    b = new_tenant()
    records = {
        "customer": b.post("/v1/customers", json=COMPANY).json(),
        "product": b.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur"}).json(),
        "tax_rate": b.post("/v1/tax-rates", json={"name": "USt", "percentage": "19"}).json(),
    }
    b.post("/v1/customers", json=COMPANY)
    records["cursor"] = b.get("/v1/customers", params={"limit": 1}).json()["next_cursor"]
    assert records["cursor"]
    return b, records


def test_tenant_a_can_never_read_list_change_or_delete_tenant_b_records(new_tenant, victim):
    b, records = victim
    a = new_tenant()
    customer_id = records["customer"]["id"]
    product_id = records["product"]["id"]
    rate_id = records["tax_rate"]["id"]
    attempts = [
        a.get(f"/v1/customers/{customer_id}"),
        a.patch(f"/v1/customers/{customer_id}", json={"phone": "1"}),
        a.delete(f"/v1/customers/{customer_id}"),
        a.post(f"/v1/customers/{customer_id}/archive"),
        a.post(f"/v1/customers/{customer_id}/restore"),
        a.post(f"/v1/customers/{customer_id}/addresses", json={"city": "x"}),
        a.get(f"/v1/customers/{customer_id}/timeline"),
        a.get(f"/v1/products/{product_id}"),
        a.patch(f"/v1/products/{product_id}", json={"name": "x"}),
        a.post(f"/v1/products/{product_id}/archive"),
        a.get(f"/v1/tax-rates/{rate_id}"),
        a.patch(f"/v1/tax-rates/{rate_id}", json={"name": "x"}),
        a.post(f"/v1/tax-rates/{rate_id}/archive"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    # lists show only A's own (empty) data, even with B's cursor
    assert a.get("/v1/customers").json()["data"] == []
    assert a.get("/v1/customers", params={"cursor": records["cursor"]}).json()["data"] == []
    assert a.get("/v1/products", params={"search": "P"}).json()["data"] == []
    assert a.get("/v1/tax-rates").json()["data"] == []
    own = a.post("/v1/customers", json={"type": "company", "company_name": "Eigen AG"}).json()
    exported = requests.get(a.post("/v1/customers/export").json()["url"], timeout=10)
    assert exported.status_code == 200, exported.text
    cells = [cell for row in load_workbook(io.BytesIO(exported.content)).active.values for cell in row]
    assert own["id"] in cells and "Eigen AG" in cells
    assert customer_id not in cells and "Muster GmbH" not in cells
    # and B's records are untouched
    assert b.get(f"/v1/customers/{customer_id}").json() == records["customer"]
    assert b.get(f"/v1/products/{product_id}").json() == records["product"]
    assert len(b.get(f"/v1/customers/{customer_id}/timeline").json()["data"]) == 1


def test_tenant_in_body_or_query_is_ignored(api, victim):
    b, records = victim
    response = api.post("/v1/customers", json={**COMPANY, "tenant_id": b.tenant})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [{"field": "tenant_id", "message": "unknown field"}]
    # A tenant named in the query string changes nothing: the token's tenant reads and writes.
    for name in ("tenant_id", "tenant", "tenantId"):
        query = {name: b.tenant}
        created = api.post("/v1/customers", params=query, json={"type": "company", "company_name": "Eigen AG"})
        assert created.status_code == 201, created.text
        listed = api.get("/v1/customers", params=query).json()["data"]
        assert [c["company_name"] for c in listed] == ["Eigen AG"] * len(listed) and listed
        assert api.get(f"/v1/customers/{records['customer']['id']}", params=query).status_code == 404
        assert created.json()["id"] not in [c["id"] for c in b.get("/v1/customers").json()["data"]]


def test_viewer_cannot_write_and_billing_cannot_administer(api):
    customer = api.post("/v1/customers", json=COMPANY).json()
    viewer, billing = api.as_role("viewer"), api.as_role("billing")
    assert viewer.get(f"/v1/customers/{customer['id']}").status_code == 200
    for response in (
        viewer.post("/v1/customers", json=COMPANY),
        viewer.patch(f"/v1/customers/{customer['id']}", json={"phone": "1"}),
        viewer.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur"}),
        viewer.post("/v1/tax-rates", json={"name": "x", "percentage": "7"}),
        billing.patch("/v1/settings", json={"datev_enabled": True}),
        billing.delete(f"/v1/customers/{customer['id']}"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["type"] == "forbidden"
    assert api.get("/v1/customers").json()["data"][0]["id"] == customer["id"]


def _token(**overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": auth.ISSUER,
        "aud": auth.AUDIENCE,
        "sub": "u",
        "iat": now,
        "exp": now + 60,
        "custom:tenant_id": "acme",
        "custom:role": "admin",
        **overrides,
    }
    return jwt.encode(claims, auth.SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        f"Bearer {_token(exp=int(time.time()) - 10)}",
        f"Bearer {_token(aud='someone-else')}",
        f"Bearer {_token(iss='https://evil.example/')}",
        "Bearer "
        + jwt.encode(
            {"sub": "u", "custom:tenant_id": "acme", "custom:role": "admin"},
            "a-wrong-secret-that-is-long-enough-for-hs256",
        ),
    ],
    ids=["missing", "empty", "garbage", "basic", "expired", "wrong-audience", "wrong-issuer", "wrong-signature"],
)
def test_missing_or_bad_tokens_get_401_before_any_handler_runs(stack, header):
    headers = {"Authorization": header} if header else {}
    response = requests.post(f"{stack.url}/v1/customers", json=COMPANY, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"


@pytest.mark.parametrize(
    ("claims", "reason"), [({"custom:role": "owner"}, "role"), ({"custom:tenant_id": "a#b"}, "tenant")]
)
def test_token_without_a_valid_tenant_or_role_is_forbidden(stack, claims, reason):
    headers = {"Authorization": f"Bearer {_token(**claims)}"}
    response = requests.get(f"{stack.url}/v1/customers", headers=headers, timeout=10)
    assert response.status_code == 403
    assert reason in response.json()["error"]["message"]


def test_unknown_route_is_404_and_docs_are_served(stack):
    assert requests.get(f"{stack.url}/v1/nothing", timeout=10).status_code == 404  # other paths are the console's
    spec = requests.get(f"{stack.url}/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/customers", "/v1/products/{product_id}", "/v1/tax-rates", "/v1/settings"} <= set(spec["paths"])
    docs = requests.get(f"{stack.url}/docs", timeout=10)
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    assert requests.get(f"{stack.url}/docs?format=json", timeout=10).json() == spec
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
