"""Requests no client should send, answered with a 4xx that says what is wrong, never a 5xx: bodies
that are not UTF-8 JSON, hostile nesting, numbers and dates out of range, text with control
characters, and signed webhooks whose payload is not an event."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
import requests
from openpyxl import load_workbook

from tests.integration.conftest import connect_stripe_account, fields_of, signed_post

COMPANY = {"type": "company", "company_name": "Muster GmbH"}
PREVIEW = {"currency": "eur", "lines": [{"name": "Plan", "unit_price": "10", "billing_frequency": "monthly"}]}


def raw_post(api, path: str, data: bytes, content_type: str | None) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return api.post(path, data=data, headers=headers)


def customer_count(api) -> int:
    return len(api.get("/v1/customers", params={"limit": 100}).json()["data"])


# ---------------------------------------------------------------- bodies that cannot be read


@pytest.mark.parametrize(
    "data",
    [b"\xff", "\ufeff{}".encode("utf-16"), b'{"type": "company", "company_name": "M\xfcller"}'],
    ids=["lone-byte", "utf-16-bom", "latin-1"],
)
def test_a_body_that_is_not_utf8_is_a_400(api, data):
    response = raw_post(api, "/v1/customers", data, "application/json")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_body"
    assert customer_count(api) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data", "application/x-www-form-urlencoded", "application/jsonx"],
)
def test_a_body_of_another_media_type_is_a_415(api, content_type):
    response = raw_post(api, "/v1/customers", json.dumps(COMPANY).encode(), content_type)
    assert response.status_code == 415, response.text
    assert response.json()["error"]["type"] == "unsupported_media_type"
    assert customer_count(api) == 0


def test_a_body_without_a_media_type_is_a_415(api):
    response = raw_post(api, "/v1/customers", json.dumps(COMPANY).encode(), None)
    assert response.status_code == 415, response.text


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "application/json; charset=utf-8", "Application/Json"])
def test_media_types_are_case_insensitive_and_may_carry_utf8(api, content_type):
    response = raw_post(api, "/v1/customers", json.dumps(COMPANY).encode(), content_type)
    assert response.status_code == 201, response.text


def test_a_charset_other_than_utf8_is_a_415(api):
    response = raw_post(api, "/v1/customers", json.dumps(COMPANY).encode(), "application/json; charset=latin-1")
    assert response.status_code == 415, response.text


def test_json_nested_ten_thousand_deep_is_a_422_naming_the_body(api):
    response = raw_post(api, "/v1/customers", b"[" * 10_000 + b"]" * 10_000, "application/json")
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["body"]


def test_a_webhook_that_is_not_utf8_is_a_400(stack):
    assert signed_post(stack, b"\xff\xfe", None).status_code == 400


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("percentage", ["1e28", "1E2", "١٢", "1_000", "12,5", "0x10", "Infinity", " ", "100.01", "101"])
def test_tax_percentages_are_plain_ascii_decimals_at_most_100(api, percentage):
    response = api.post("/v1/tax-rates", json={"name": "VAT", "percentage": percentage})
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["percentage"]
    assert api.get("/v1/tax-rates").json()["data"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tax": {"percentage": "1e30"}}, "lines.0.tax.percentage"),
        ({"quantity": "1e30"}, "lines.0.quantity"),
        ({"unit_price": "٣"}, "lines.0.unit_price"),
        ({"discount": {"type": "amount", "value": "9" * 60}}, "lines.0.discount.value"),
        ({"payments": True}, "lines.0.payments"),
        ({"payments": 1.5}, "lines.0.payments"),
    ],
)
def test_preview_numbers_out_of_range_name_the_field(api, change, field):
    body = {**PREVIEW, "lines": [{**PREVIEW["lines"][0], **change}]}
    response = api.post("/v1/pricing/preview", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]


def test_an_adjustment_value_of_1e30_is_a_422(api):
    body = {**PREVIEW, "adjustments": [{"kind": "fee", "type": "amount", "value": "1e30"}]}
    response = api.post("/v1/pricing/preview", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["adjustments.0.value"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**COMPANY, "read_only": 0}, "read_only"),
        ({**COMPANY, "read_only": "false"}, "read_only"),
        ({**COMPANY, "debtor_number": True}, "debtor_number"),
        ({**COMPANY, "debtor_number": "12"}, "debtor_number"),
        ({**COMPANY, "debtor_number": 12.0}, "debtor_number"),
    ],
)
def test_booleans_and_integers_are_strict(api, body, field):
    response = api.post("/v1/customers", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]


def test_a_charge_amount_of_true_is_not_one_cent(api):
    customer = api.post("/v1/customers", json=COMPANY).json()
    response = api.post("/v1/payments", json={"customer_id": customer["id"], "amount": True, "currency": "eur"})
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["amount"]


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PREVIEW, "date": "9999-01-01"}, "date"),
        ({**PREVIEW, "date": "0001-01-01"}, "date"),
        ({**PREVIEW, "date": 0}, "date"),
        (
            {
                **PREVIEW,
                "lines": [{**PREVIEW["lines"][0], "billing_start": {"type": "custom_date", "date": "9999-12-31"}}],
            },
            "lines.0.billing_start.date",
        ),
    ],
)
def test_dates_outside_a_sane_range_are_a_422(api, body, field):
    response = api.post("/v1/pricing/preview", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]


def test_the_latest_allowed_start_with_the_longest_schedule_still_prices(api):
    line = {
        "name": "Plan",
        "unit_price": "10",
        "billing_frequency": "every_five_years",
        "payments": 1000,
        "billing_start": {"type": "custom_date", "date": "2199-12-31"},
    }
    response = api.post(
        "/v1/pricing/preview", json={"currency": "eur", "date": "2199-12-31", "lines": [line], "schedule_length": 520}
    )
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "company", "company_name": "A\u0000B"}, "company_name"),
        ({"type": "company", "company_name": "A\u001bB"}, "company_name"),
        ({"type": "company", "company_name": "A\nB"}, "company_name"),
        ({"type": "company", "company_name": "\u200b\u200b"}, "company_name"),
        ({"type": "company", "company_name": "\u00a0\u2060"}, "company_name"),
        ({"type": "company", "company_name": "A\ud800B"}, "company_name"),
        ({"type": "company", "company_name": "M", "address": {"city": "Ber\u0085lin"}}, "address.city"),
    ],
)
def test_control_characters_and_invisible_names_are_refused(api, body, field):
    response = api.post("/v1/customers", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert fields_of(response) == [field]
    assert customer_count(api) == 0


def test_text_is_stored_in_nfc(api):
    decomposed = "Mu\u0308ller"  # u + combining diaeresis
    created = api.post("/v1/customers", json={"type": "company", "company_name": decomposed}).json()
    assert created["company_name"] == "M\u00fcller"
    assert api.get("/v1/customers", params={"search": "m\u00fcller"}).json()["data"][0]["id"] == created["id"]


def test_long_texts_keep_newlines_and_tabs(api):
    response = api.post(
        "/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur", "description": "a\n\tb\r\nc"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "a\n\tb\nc"
    bad = api.post("/v1/products", json={"name": "P", "unit_price": "1", "currency": "eur", "description": "a\u0007"})
    assert bad.status_code == 422
    assert fields_of(bad) == ["description"]


# ---------------------------------------------------------------- signed webhooks that are not events


def _signed(stack, payload: str) -> requests.Response:
    return signed_post(stack, payload, stack.stripe.signature(payload))


@pytest.mark.parametrize(
    "payload",
    [
        "{}",
        "[1,2]",
        '"text"',
        "null",
        '{"id":"evt_x1"}',
        '{"id": 5, "type": "payment_intent.succeeded"}',
        '{"id": "evt_x2", "type": 7}',
    ],
)
def test_a_signed_payload_that_is_not_an_event_is_a_400(stack, payload):
    response = _signed(stack, payload)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_event"


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {},
        {"object": {}},
        {"object": {"id": 5}},
        {"object": {"id": "pi_x", "payment_intent": 7}},
        {"object": "pi_x"},
    ],
)
@pytest.mark.parametrize(
    "event_type", ["payment_intent.succeeded", "setup_intent.succeeded", "charge.refunded", "setup_intent.setup_failed"]
)
def test_a_handled_event_without_a_usable_object_is_acknowledged_and_ignored(stack, api, event_type, data):
    account = connect_stripe_account(api)
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": event_type, "account": account, "data": data}
    response = _signed(stack, json.dumps(event))
    assert response.status_code == 200, response.text


def test_a_webhook_timestamp_in_the_future_is_refused(stack):
    payload = json.dumps({"id": "evt_future", "type": "ping", "data": {"object": {}}})
    signature = stack.stripe.signature(payload, timestamp=int(time.time()) + 365 * 24 * 3600)
    response = signed_post(stack, payload, signature)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_signature"


# ---------------------------------------------------------------- exports: stored text never becomes a formula


def export_rows(api) -> list[tuple]:
    export = api.post("/v1/customers/export")
    assert export.status_code == 201, export.text
    workbook = load_workbook(io.BytesIO(requests.get(export.json()["url"], timeout=10).content))
    return [tuple(c for c in row) for row in workbook.active.iter_rows()]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example/x","click")', "+1+2", "-2+3", "@SUM(A1)"])
def test_exported_cells_that_look_like_formulas_are_text(api, name):
    api.post("/v1/customers", json={"type": "company", "company_name": name, "phone": name})
    rows = export_rows(api)
    cells = [cell for row in rows[1:] for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    written = [cell for cell in cells if cell.value == name]
    assert len(written) == 2
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in written)


@pytest.mark.parametrize("country", ["XX", "QQ", "ZZ"])
def test_countries_are_iso_3166(api, country):
    response = api.post("/v1/customers", json={**COMPANY, "address": {"country": country}})
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["address.country"]
    tax = api.post("/v1/tax-rates", json={"name": "VAT", "percentage": "19", "country": country})
    assert fields_of(tax) == ["country"]


def test_a_lower_case_country_is_stored_upper_case(api):
    response = api.post("/v1/customers", json={**COMPANY, "address": {"country": "de"}})
    assert response.json()["address"]["country"] == "DE"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nope"), ("PUT", "/v1/customers"), ("POST", "/v2/anything")])
def test_requests_no_route_matches_are_a_404_with_the_error_body(stack, method, path):
    # as deployed: API Gateway's $default route hands them to a function, whose resolver answers
    response = requests.request(method, stack.url + path, timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
