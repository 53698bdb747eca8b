"""The OpenAPI document states how large an amount can be: int64, at most what one payment carries
(MAX_AMOUNT minor units) for the amounts of a document, and MAX_AMOUNT_SUM for sums over its
payments, so a generated client never meets a figure its types cannot hold."""

from __future__ import annotations

import json

import pytest

from billing.domain.limits import MAX_AMOUNT_SUM
from billing.domain.money import MAX_AMOUNT
from billing.http.openapi import openapi_document

SCHEMAS = json.loads(openapi_document())["components"]["schemas"]


def _integer(schema: dict) -> dict:
    """The integer member of a field's schema (a nullable field is anyOf integer, null)."""
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "integer")


AMOUNTS = {
    "InvoiceOut": [
        "lines_amount",
        "line_discounts",
        "subtotal",
        "one_time_discounts",
        "fees",
        "taxes",
        "taxes_included",
        "total",
        "amount_paid",
        "amount_due",
    ],
    "InvoiceLineOut": ["amount", "discount", "net", "tax", "total"],
    "InvoiceAdjustmentOut": ["amount"],
    "TaxAmountOut": ["net", "tax"],
    "InvoicePaymentOut": ["amount", "refunded"],
    "PricedLineOut": ["amount", "discount", "net", "tax", "total"],
    "AdjustmentOut": ["amount"],
    "DueNowOut": [
        "lines_amount",
        "line_discounts",
        "subtotal",
        "one_time_discounts",
        "fees",
        "taxes",
        "taxes_included",
        "total",
    ],
    "RecurringOut": ["amount"],
}
SUMS = {
    "FuturePaymentsOut": ["total"],
    "ContractValueOut": ["amount"],
    "ScheduledPaymentOut": ["amount"],
    "MetricsOut": ["mrr", "arr", "acv", "tcv", "margin_mrr", "margin_arr", "margin_acv", "margin_tcv"],
}


@pytest.mark.parametrize(
    ("schema", "field"), [(schema, field) for schema, fields in AMOUNTS.items() for field in fields]
)
def test_every_amount_of_a_document_is_int64_and_at_most_one_payment(schema, field):
    stated = _integer(SCHEMAS[schema]["properties"][field])
    assert (stated["format"], stated["maximum"]) == ("int64", MAX_AMOUNT)


def test_the_invoice_total_and_amounts_state_the_bound():
    invoice = SCHEMAS["InvoiceOut"]["properties"]
    for field in ("total", "amount_due", "amount_paid"):
        assert invoice[field] | {"title": None} == {
            "type": "integer",
            "format": "int64",
            "maximum": MAX_AMOUNT,
            "title": None,
        }
    assert SCHEMAS["InvoiceLineOut"]["properties"]["amount"]["maximum"] == MAX_AMOUNT


@pytest.mark.parametrize(("schema", "field"), [(schema, field) for schema, fields in SUMS.items() for field in fields])
def test_every_sum_over_payments_is_int64_and_bounded(schema, field):
    stated = _integer(SCHEMAS[schema]["properties"][field])
    assert (stated["format"], stated["maximum"]) == ("int64", MAX_AMOUNT_SUM)
    assert MAX_AMOUNT_SUM < 2**63


def test_amounts_taken_are_bounded_by_the_same_constant():
    recorded = _integer(SCHEMAS["PaymentRecord"]["properties"]["amount"])
    assert (recorded["format"], recorded["minimum"], recorded["maximum"]) == ("int64", 1, MAX_AMOUNT)
    for schema in ("ChargeRequest", "RefundRequest"):
        assert _integer(SCHEMAS[schema]["properties"]["amount"])["maximum"] == MAX_AMOUNT
