"""/v1/customers over HTTP against the embedded stack: create, list and search, edit, archive and
restore, delete, export, debtor numbers and the timeline."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests
from openpyxl import load_workbook

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.models import CustomerRecordItem
from billing.adapters.dynamodb.repositories import DynamoCustomerRepository, DynamoSettingsRepository
from billing.clock import SystemClock
from billing.domain.access import Caller, Role
from billing.services.customers import CustomerService
from tests.integration.conftest import fields_of
from tests.unit.fakes import NoProcessor, RegisteredVatIds

COMPANY = {"type": "company", "company_name": "Muster GmbH", "email": "Info@Muster.DE"}


def create(api, body=None, **headers):
    response = api.post("/v1/customers", json=body or COMPANY, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_person_and_company_with_defaults(api):
    # Given a company with no address, When it is created
    company = create(api)
    # Then it gets an empty default address and its email is normalised
    assert company["name"] == "Muster GmbH"
    assert company["email"] == "info@muster.de"
    assert company["address"]["line1"] == "" and company["billing_address"] is None
    assert company["invoice_email"] == company["email"]
    person = create(
        api,
        {
            "type": "person",
            "first_name": "Erika",
            "last_name": "Mustermann",
            "billing_email": "buchhaltung@example.org",
            "billing_address": {"line1": "Postfach 1", "city": "Köln", "country": "de"},
        },
    )
    assert person["name"] == "Erika Mustermann"
    assert person["invoice_email"] == "buchhaltung@example.org"
    assert person["billing_address"]["country"] == "DE"
    assert api.get(f"/v1/customers/{person['id']}").json() == person


def test_required_fields_by_type_are_named(api):
    response = api.post("/v1/customers", json={"type": "person", "company_name": "x"})
    assert response.status_code == 422
    assert fields_of(response) == ["first_name", "last_name"]
    response = api.post("/v1/customers", json={"type": "company"})
    assert fields_of(response) == ["company_name"]


def test_list_paginates_with_cursor_and_searches_name_email_and_debtor_number(api):
    api.patch("/v1/settings", json={"datev_enabled": True})
    created = [
        create(api, {"type": "company", "company_name": f"Firma {i}", "email": f"f{i}@example.com"}) for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        page = api.get("/v1/customers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c["id"] for c in reversed(created)]  # newest first, each once
    assert [c["name"] for c in api.get("/v1/customers", params={"search": "firma 3"}).json()["data"]] == ["Firma 3"]
    assert [c["name"] for c in api.get("/v1/customers", params={"search": "F1@EXAMPLE"}).json()["data"]] == ["Firma 1"]
    number = str(created[4]["debtor_number"])
    assert [c["name"] for c in api.get("/v1/customers", params={"search": number}).json()["data"]] == ["Firma 4"]


def test_update_archive_restore_and_timeline(api):
    customer = create(api)
    response = api.patch(
        f"/v1/customers/{customer['id']}",
        json={"phone": "+49 30 123", "address": {"line1": "Hauptstr. 5", "city": "Berlin"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == {**customer["address"], "line1": "Hauptstr. 5", "city": "Berlin"}
    assert api.post(f"/v1/customers/{customer['id']}/archive").json()["archived"] is True
    assert customer["id"] not in [c["id"] for c in api.get("/v1/customers").json()["data"]]
    assert [c["id"] for c in api.get("/v1/customers", params={"archived": "true"}).json()["data"]] == [customer["id"]]
    assert api.post(f"/v1/customers/{customer['id']}/restore").json()["archived"] is False
    timeline = api.get(f"/v1/customers/{customer['id']}/timeline").json()["data"]
    assert [e["type"] for e in timeline] == [
        "customer.restored",
        "customer.archived",
        "customer.updated",
        "customer.created",
    ]
    assert timeline[2]["data"]["fields"] == ["address", "phone"]


def test_added_address_can_become_the_default(api):
    customer = create(api)
    response = api.post(f"/v1/customers/{customer['id']}/addresses", json={"city": "Hamburg", "make_default": True})
    assert response.status_code == 201
    assert response.json()["address"]["city"] == "Hamburg"
    assert len(response.json()["addresses"]) == 2


def test_an_address_is_corrected_in_place_and_made_the_default_again(api):
    customer = create(api)
    head_office = customer["address"]["id"]
    added = api.post(f"/v1/customers/{customer['id']}/addresses", json={"city": "Hamburg", "make_default": True})
    branch = added.json()["address"]["id"]
    path = f"/v1/customers/{customer['id']}/addresses"
    corrected = api.patch(f"{path}/{branch}", json={"postal_code": "20095"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["address"] == {**added.json()["address"], "postal_code": "20095"}
    back = api.patch(f"{path}/{head_office}", json={"make_default": True}).json()
    assert back["address"]["id"] == head_office and len(back["addresses"]) == 2
    assert api.get(f"/v1/customers/{customer['id']}/timeline").json()["data"][0]["summary"] == "Default address changed"
    missing = api.patch(f"{path}/addr_nope", json={"city": "Köln"})
    assert missing.status_code == 404 and "addr_nope" in missing.json()["error"]["message"]
    assert api.as_role("viewer").patch(f"{path}/{branch}", json={"city": "Kiel"}).status_code == 403


def test_read_only_customer_cannot_be_edited(api):
    customer = create(api, {**COMPANY, "read_only": True})
    response = api.patch(f"/v1/customers/{customer['id']}", json={"phone": "1"})
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_delete_is_refused_while_the_index_holds_records_of_the_customer(api):
    customer = create(api)
    # Given an active subscription and an invoice of this customer on the "by customer" index
    for prefix, status in ((keys.SUBSCRIPTION_PREFIX, "active"), (keys.INVOICE_PREFIX, "draft")):
        CustomerRecordItem(
            pk=f"T#{api.tenant}#REC#{prefix}{customer['id']}",
            sk=keys.META,
            tenant_id=api.tenant,
            customer_id=customer["id"],
            status=status,
            gsi1pk=keys.customer_pk(api.tenant, customer["id"]),
            gsi1sk=keys.by_customer_sk(prefix, "2026-03-01T00:00:00", "x"),
        ).save()
    response = api.delete(f"/v1/customers/{customer['id']}")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "customer cannot be deleted: customer has 1 active subscription(s); customer has 1 invoice(s)"
    )
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 200


def test_canceled_subscriptions_do_not_block_deletion_and_delete_is_final(api):
    customer = create(api, {**COMPANY, "debtor_number": 4711})
    CustomerRecordItem(
        pk=f"T#{api.tenant}#REC#sub",
        sk=keys.META,
        tenant_id=api.tenant,
        customer_id=customer["id"],
        status="canceled",
        gsi1pk=keys.customer_pk(api.tenant, customer["id"]),
        gsi1sk=keys.by_customer_sk(keys.SUBSCRIPTION_PREFIX, "2026-01-01", "s"),
    ).save()
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 204
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 404
    assert api.get(f"/v1/customers/{customer['id']}/timeline").status_code == 404
    # the debtor number is free again
    assert create(api, {**COMPANY, "debtor_number": 4711})["debtor_number"] == 4711


def test_export_is_an_xlsx_behind_a_presigned_link(api):
    create(api, {**COMPANY, "billing_email": "ap@muster.de", "billing_address": {"city": "Köln"}})
    create(api, {"type": "person", "first_name": "Ada", "last_name": "Lovelace"})
    response = api.post("/v1/customers/export")
    assert response.status_code == 201, response.text
    export = response.json()
    assert export["rows"] == 2
    assert "X-Amz-Expires=3600" in export["url"]
    assert datetime.fromisoformat(export["expires_at"]) > datetime.now(UTC)
    download = requests.get(export["url"], timeout=10)
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.content)).active.values)
    header = rows[0]
    assert {"billing_email", "billing_address_city", "customer_address_city", "default_payment_method"} <= set(header)
    companies = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[1] == "company"]
    assert companies[0]["billing_address_city"] == "Köln"


def test_concurrent_creates_never_share_a_debtor_number(stack, api):
    # Given DATEV numbering on, When 24 customers are created at once over real DynamoDB
    api.patch("/v1/settings", json={"datev_enabled": True, "debtor_number_start": 20000})
    service = CustomerService(
        DynamoCustomerRepository(), DynamoSettingsRepository(), SystemClock(), lambda: NoProcessor(), RegisteredVatIds
    )
    caller = Caller(api.tenant, "u", Role.BILLING)
    # and someone entered 20003 by hand meanwhile
    create(api, {**COMPANY, "debtor_number": 20003})
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: service.create(caller, dict(COMPANY)).debtor_number, range(24)))
    # Then every number is distinct, none is the hand-entered one, and no number was skipped needlessly
    assert len(set(numbers)) == 24
    assert 20003 not in numbers
    assert sorted(numbers) == [n for n in range(20000, 20025) if n != 20003]
