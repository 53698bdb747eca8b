"""No amount the API computes exceeds what one payment carries (MAX_AMOUNT minor units): an
invoice, a pricing preview or a subscription too large is a 422 naming the field that made it so."""

from __future__ import annotations

from tests.integration.conftest import fields_of

MAX_AMOUNT = 99_999_999_999
HUGE = {"name": "Huge", "unit_price": "999999999999", "quantity": "1000000000", "tax": {"percentage": "100"}}


def test_the_probe_three_huge_lines_finalized_are_refused_naming_each_unit_price(shop):
    response = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [HUGE] * 3, "finalize": True}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "validation_error"
    assert fields_of(response) == ["lines.0.unit_price", "lines.1.unit_price", "lines.2.unit_price"]
    # and nothing was written: no invoice, no number drawn
    assert shop.get("/v1/invoices").json()["data"] == []


def test_an_invoice_whose_lines_together_are_too_large_names_lines(shop):
    line = {"name": "Big", "unit_price": "600000000.00"}
    response = shop.post("/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [line, line]})
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["lines"]


def test_an_invoice_exactly_at_the_bound_is_created(shop):
    line = {"name": "Top", "unit_price": "999999999.99"}
    response = shop.post("/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [line], "finalize": True})
    assert response.status_code == 201, response.text
    assert response.json()["total"] == MAX_AMOUNT


def test_an_edit_that_takes_an_invoice_over_is_refused(shop):
    created = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [{"name": "A", "unit_price": "1"}]}
    )
    assert created.status_code == 201, created.text
    edit = shop.patch(
        f"/v1/invoices/{created.json()['id']}",
        json={"lines": [{"name": "A", "unit_price": "1", "quantity": "1000000000"}, HUGE]},
    )
    assert edit.status_code == 422, edit.text
    assert fields_of(edit) == ["lines.0.quantity", "lines.1.unit_price"]


def test_the_preview_refuses_a_fee_too_large_by_its_value(api):
    body = {
        "currency": "eur",
        "lines": [{"name": "Setup", "unit_price": "10"}],
        "adjustments": [{"kind": "fee", "type": "amount", "value": "1000000000"}],
    }
    response = api.post("/v1/pricing/preview", json=body)
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["adjustments.0.value"]


def test_a_subscription_whose_monthly_payment_is_too_large_is_refused(subscriber):
    line = {"name": "Big", "unit_price": "600000000.00", "billing_frequency": "monthly"}
    later = {**line, "billing_start": {"type": "delay_days", "days": 10}}  # nothing due now; each month too much
    for lines in ([line, line], [later, later]):
        preview = subscriber.post("/v1/subscriptions/preview", json={"currency": "eur", "lines": lines})
        assert preview.status_code == 422, preview.text
        assert fields_of(preview) == ["lines"]
        body = {"customer_id": subscriber.customer["id"], "currency": "eur", "lines": lines}
        response = subscriber.post("/v1/subscriptions", json=body)
        assert response.status_code == 422, response.text
        assert fields_of(response) == ["lines"]
    assert subscriber.get("/v1/subscriptions").json()["data"] == []
