"""The OpenAPI document is the contract a generated client is built from."""

from __future__ import annotations

import json
import re

import pytest

from billing.http.openapi import openapi_document
from local import template

DOCUMENT = json.loads(openapi_document())
OPERATIONS = [
    (path, method, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
IDS = [operation["operationId"] for _, _, operation in OPERATIONS]
ERROR_REF = "#/components/schemas/ErrorOut"


def test_every_template_route_is_documented_once():
    documented = {(method.upper(), path) for path, method, _ in OPERATIONS}
    assert documented == {(r.method, r.path) for r in template.operation_routes()}
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("operation_id", IDS)
def test_operation_ids_are_short_snake_case_verbs(operation_id):
    assert re.fullmatch(r"[a-z]+(_[a-z]+){1,4}", operation_id)
    assert "v1" not in operation_id


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_every_error_status_carries_the_real_error_body(path, method, operation):
    errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
    assert errors
    successes = {s: r for s, r in operation["responses"].items() if int(s) < 400}
    answers_pages = operation.get("security") == [] and any(
        "text/html" in r.get("content", {}) or 300 <= int(s) < 400 for s, r in successes.items()
    )
    for status, response in errors.items():
        if "text/html" in response["content"]:
            # A page a person opened (the hosted invoice) says what went wrong as a page.
            assert answers_pages and response["content"]["text/html"]["schema"] == {"type": "string"}, status
        schema = response["content"]["application/json"]["schema"]
        refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
        assert ERROR_REF in refs, (status, schema)
    assert "503" in errors


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=IDS)
def test_statuses_follow_from_the_operation(path, method, operation):
    statuses = set(operation["responses"])
    authorized = operation.get("security") != []
    if authorized:
        assert {"401", "403"} <= statuses
    if "{" in path:
        assert "404" in statuses
    if "requestBody" in operation:
        assert {"400", "413", "415"} <= statuses
        assert "422" in statuses or not authorized
    if method == "delete":
        assert "204" in statuses
        assert "200" not in statuses


def test_the_connect_callback_is_public_and_answers_a_browser():
    operation = DOCUMENT["paths"]["/v1/stripe/oauth/callback"]["get"]
    assert operation["security"] == []
    assert "text/html" in operation["responses"]["200"]["content"]
    assert {"302", "400"} <= set(operation["responses"])


def test_the_webhook_is_public_and_says_why_it_refuses():
    operation = DOCUMENT["paths"]["/v1/webhooks/stripe"]["post"]
    assert operation["security"] == []
    assert {"200", "400", "415", "503"} <= set(operation["responses"])
    assert "401" not in operation["responses"]


def test_creates_document_the_idempotency_key_header():
    # An export, a Connect link or a payment-method link is not a record: repeating one is
    # harmless, and a replayed link would have expired. A billing run is its date's record:
    # starting it again adds to the same one. A sign-up has no tenant to keep a key under yet; its
    # repeat is refused by the email it names (409 email_taken).
    creates = [
        op
        for _, method, op in OPERATIONS
        if method == "post"
        and "201" in op["responses"]
        and not op["operationId"].startswith("export_")
        and op["operationId"]
        not in (
            "start_stripe_connect",
            "send_payment_method_link",
            "start_billing_run",
            "sign_up",
        )
    ]
    assert len(creates) >= 5
    for operation in creates:
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers["Idempotency-Key"]["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
        assert "409" in operation["responses"]


def test_powertools_validation_error_shape_is_gone():
    assert "HTTPValidationError" not in json.dumps(DOCUMENT)


def _properties(schema_name: str) -> dict:
    return DOCUMENT["components"]["schemas"][schema_name]["properties"]


@pytest.mark.parametrize("schema_name", ["CustomerUpdate", "ProductUpdate", "TaxRateUpdate", "SettingsUpdate"])
def test_patch_fields_are_nullable_only_where_null_means_something(schema_name):
    nullable = {name for name, p in _properties(schema_name).items() if "null" in json.dumps(p)}
    nullable_on_purpose = {"billing_address", "debtor_number", "unit_cost", "tax_rate_id", "default_tax_rate_id"}
    assert nullable <= nullable_on_purpose | {"vat_treatment"}
    assert all("default" not in p or p["default"] is not None for p in _properties(schema_name).values())


def test_currency_fields_name_the_iso_codes():
    codes = DOCUMENT["components"]["schemas"]["CurrencyCode"]["enum"]
    assert {"eur", "jpy", "kwd"} <= set(codes)
    assert "xau" not in codes  # gold has no minor unit: not payable
    assert _properties("ProductCreate")["currency"]["$ref"] == "#/components/schemas/CurrencyCode"
    assert _properties("ChargeRequest")["currency"]["$ref"] == "#/components/schemas/CurrencyCode"


def test_country_fields_name_the_iso_codes():
    codes = DOCUMENT["components"]["schemas"]["CountryCode"]["enum"]
    assert {"", "DE", "AT", "US"} <= set(codes)
    assert "XX" not in codes
    assert _properties("AddressIn")["country"]["$ref"] == "#/components/schemas/CountryCode"
