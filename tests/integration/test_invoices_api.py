"""Invoices over HTTP on the embedded stack: drafts, gapless numbers under concurrency, edits and their
permissions, void, clone, delete, payments by hand, history, filters and export, roles and tenants,
retried creates and bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.integration.conftest import fields_of


def draft(api, **extra):
    body = {"customer_id": api.customer["id"], "lines": [{"name": "Consulting", "unit_price": "100.00"}]} | extra
    response = api.post("/v1/invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_draft_carries_the_customers_details_the_engines_figures_and_no_number(shop):
    invoice = draft(
        shop,
        lines=[
            {
                "product_id": shop.product["id"],
                "quantity": "1",
                "discount": {"type": "percent", "value": "15"},
                "tax_rate_id": shop.rate["id"],
            },
            {"name": "Setup", "unit_price": "50.00", "quantity": "2", "tax_rate_id": shop.rate["id"]},
        ],
        adjustments=[{"kind": "fee", "type": "amount", "value": "5.00", "name": "Shipping"}],
        memo="Thank you",
        payment_terms="net_30",
    )
    assert invoice["status"] == "draft" and invoice["number"] is None and invoice["hosted_url"] is None
    recipient = invoice["recipient"]
    assert recipient["name"] == "Muster GmbH" and recipient["email"] == "ap@muster.de"
    assert (recipient["line1"], recipient["city"], recipient["vat_id"]) == ("Hauptstr. 1", "Berlin", "DE123456788")
    hosting, setup = invoice["lines"]
    # 11.90 with 15 % off pays 10.12 (the discount shown makes the line balance: 1.78), tax 19 % of 10.12 = 1.92
    assert (hosting["amount"], hosting["discount"], hosting["net"], hosting["tax"]) == (1190, 178, 1012, 192)
    # A monthly product on an invoice is billed once, for one service period from today.
    assert hosting["billing_frequency"] == "monthly" and hosting["period_start"] and hosting["period_end"]
    assert (setup["net"], setup["tax"], setup["period_start"]) == (10000, 1900, None)
    assert invoice["subtotal"] == 11012 and invoice["fees"] == 500
    # The shipping fee goes with the lines and carries their VAT: 19 % of 115.12 = 21.87
    assert invoice["taxes"] == 2187 and invoice["total"] == 11012 + 500 + 2187
    assert invoice["amount_due"] == invoice["total"] and invoice["amount_paid"] == 0
    ust = {"name": "USt", "percentage": "19.00", "inclusive": False, "net": 11512, "tax": 2187, "category": "S"}
    ust |= {"exemption_reason": "", "exemption_code": ""}
    assert invoice["tax_amounts"] == [ust]
    assert (invoice["payment_terms"], invoice["days_until_due"], invoice["due_date"]) == ("net_30", 30, None)


def test_finalizing_numbers_the_invoice_from_the_tenants_sequence_and_opens_it(shop):
    invoice = draft(shop, payment_terms="net_14")
    final = shop.post(f"/v1/invoices/{invoice['id']}/finalize")
    assert final.status_code == 200, final.text
    body = final.json()
    assert body["number"] == "RE-2026-000001" and body["status"] == "open"
    assert body["issued_on"] and body["due_date"] > body["issued_on"]
    assert body["hosted_url"].endswith("/i/" + body["hosted_url"].rsplit("/", 1)[1])
    assert len(body["hosted_url"].rsplit("/", 1)[1]) >= 32  # >= 128 bits, URL-safe
    second = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    assert second["number"] == "RE-2026-000002" and second["status"] == "open"
    history = shop.get(f"/v1/invoices/{invoice['id']}/history").json()["data"]
    assert [e["type"] for e in history] == ["finalized", "created"]
    assert all(e["actor"] for e in history)


def _minimal(api):
    return {"customer_id": api.customer["id"], "lines": [{"name": "Work", "unit_price": "10.00"}]}


def test_fifty_drafts_finalized_at_once_take_fifty_distinct_contiguous_numbers(shop):
    drafts = [draft(shop)["id"] for _ in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: shop.post(f"/v1/invoices/{i}/finalize"), drafts))
    assert [a.status_code for a in answers] == [200] * 50, {a.status_code: a.text for a in answers}
    sequences = sorted(int(a.json()["number"].removeprefix("RE-2026-")) for a in answers)
    assert sequences == list(range(1, 51))


def test_one_draft_finalized_twenty_times_at_once_gets_one_number_and_clean_answers(shop):
    invoice = draft(shop)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: shop.post(f"/v1/invoices/{invoice['id']}/finalize"), range(20)))
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers if a.status_code >= 500]
    numbers = {a.json()["number"] for a in answers if a.status_code == 200}
    assert numbers == {"RE-2026-000001"}
    assert shop.get(f"/v1/invoices/{invoice['id']}").json()["status"] == "open"
    listed = shop.get("/v1/invoices", params={"status": "open"}).json()["data"]
    assert [i["id"] for i in listed] == [invoice["id"]]
    # The next invoice continues the sequence: no number was used up by the losers.
    assert shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()["number"] == "RE-2026-000002"


def test_a_deleted_number_stays_a_gap_and_the_sequence_restarts_only_when_every_invoice_is_gone(shop):
    shop.patch("/v1/settings", json={"invoice_deleting_allowed": True})
    first, second = (shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json() for _ in range(2))
    assert (first["number"], second["number"]) == ("RE-2026-000001", "RE-2026-000002")
    assert shop.delete(f"/v1/invoices/{second['id']}").status_code == 204
    third = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    assert third["number"] == "RE-2026-000003"  # 2 is a permanent gap
    for invoice in (first, third):
        assert shop.delete(f"/v1/invoices/{invoice['id']}").status_code == 204
    assert shop.get(f"/v1/invoices/{first['id']}").status_code == 404
    restarted = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    assert restarted["number"] == "RE-2026-000001"


def test_deleting_a_finalized_invoice_needs_the_setting_an_admin_and_no_payment(shop):
    invoice = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    refused = shop.delete(f"/v1/invoices/{invoice['id']}")
    assert refused.status_code == 409 and "settings" in refused.json()["error"]["message"]
    shop.patch("/v1/settings", json={"invoice_deleting_allowed": True})
    assert shop.as_role("billing").delete(f"/v1/invoices/{invoice['id']}").status_code == 403
    paid = shop.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": invoice["total"]})
    assert paid.json()["status"] == "paid"
    never = shop.delete(f"/v1/invoices/{invoice['id']}")
    assert never.status_code == 409 and "paid invoice can never be deleted" in never.json()["error"]["message"]
    # A draft is deleted by billing without any setting.
    other = draft(shop)
    assert shop.as_role("billing").delete(f"/v1/invoices/{other['id']}").status_code == 204


def test_drafts_are_edited_freely_and_finalized_ones_only_as_the_rules_allow(shop):
    invoice = draft(shop)
    edited = shop.patch(
        f"/v1/invoices/{invoice['id']}", json={"lines": [{"name": "Design", "unit_price": "80.00", "quantity": "3"}]}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["total"] == 24000 and edited.json()["lines"][0]["name"] == "Design"
    final = shop.post(f"/v1/invoices/{invoice['id']}/finalize").json()
    refused = shop.patch(f"/v1/invoices/{invoice['id']}", json={"memo": "late note"})
    assert refused.status_code == 409 and "settings" in refused.json()["error"]["message"]
    shop.patch("/v1/settings", json={"invoice_editing_allowed": True})
    by_billing = shop.as_role("billing").patch(f"/v1/invoices/{invoice['id']}", json={"memo": "late note"})
    assert by_billing.status_code == 409 and "admin" in by_billing.json()["error"]["message"]
    by_admin = shop.patch(f"/v1/invoices/{invoice['id']}", json={"memo": "late note", "payment_terms": "net_30"})
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["number"] == final["number"] and by_admin.json()["memo"] == "late note"
    moved = shop.patch(f"/v1/invoices/{invoice['id']}", json={"customer_id": shop.customer["id"]})
    assert moved.status_code == 200  # the same customer: no change
    shop.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": 100})
    after_payment = shop.patch(f"/v1/invoices/{invoice['id']}", json={"memo": "again"})
    assert after_payment.status_code == 409 and "payment" in after_payment.json()["error"]["message"]
    history = [e["type"] for e in shop.get(f"/v1/invoices/{invoice['id']}/history").json()["data"]]
    assert history == ["payment_recorded", "updated", "updated", "finalized", "updated", "created"]


def test_payments_by_hand_move_the_invoice_to_partially_paid_and_paid_and_back(shop):
    invoice = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    url = f"/v1/invoices/{invoice['id']}/payments"
    too_much = shop.post(url, json={"amount": invoice["total"] + 1})
    assert too_much.status_code == 422 and fields_of(too_much) == ["amount"]
    missing = shop.post(url, json={"method": "cash"})
    assert missing.status_code == 422 and fields_of(missing) == ["amount"]
    part = shop.post(url, json={"amount": 400, "method": "cash", "reference": "Kasse 7", "paid_on": "2026-11-20"})
    assert part.status_code == 200, part.text
    body = part.json()
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("partially_paid", 400, invoice["total"] - 400)
    payment = body["payments"][0]
    assert (payment["source"], payment["method"], payment["reference"], payment["paid_on"]) == (
        "manual",
        "cash",
        "Kasse 7",
        "2026-11-20",
    )
    rest = shop.post(url, json={"amount": invoice["total"] - 400}).json()
    assert rest["status"] == "paid" and rest["amount_due"] == 0 and rest["paid_at"]
    assert shop.post(url, json={"amount": 1}).status_code == 409
    assert shop.delete(f"{url}/{payment['id']}").status_code == 204
    back = shop.get(f"/v1/invoices/{invoice['id']}").json()
    assert back["status"] == "partially_paid" and back["amount_paid"] == invoice["total"] - 400
    assert shop.delete(f"{url}/ipay_01JAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    timeline = shop.get(f"/v1/customers/{shop.customer['id']}/timeline").json()["data"]
    assert "invoice.payment_removed" in [e["type"] for e in timeline]


def test_void_is_for_open_invoices_without_payments_and_revokes_the_hosted_link(shop):
    invoice = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    shop.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": 100})
    refused = shop.post(f"/v1/invoices/{invoice['id']}/void")
    assert refused.status_code == 409 and "remove the recorded payments" in refused.json()["error"]["message"]
    payment_id = shop.get(f"/v1/invoices/{invoice['id']}").json()["payments"][0]["id"]
    shop.delete(f"/v1/invoices/{invoice['id']}/payments/{payment_id}")
    void = shop.post(f"/v1/invoices/{invoice['id']}/void")
    assert void.status_code == 200, void.text
    assert void.json()["status"] == "void" and void.json()["hosted_url"] is None and void.json()["amount_due"] == 0
    assert shop.post(f"/v1/invoices/{invoice['id']}/void").status_code == 409
    assert shop.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": 100}).status_code == 409
    assert shop.post(f"/v1/invoices/{invoice['id']}/finalize").status_code == 409
    paid = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    shop.post(f"/v1/invoices/{paid['id']}/payments", json={"amount": paid["total"]})
    assert shop.post(f"/v1/invoices/{paid['id']}/void").status_code == 409
    assert shop.post(f"/v1/invoices/{draft(shop)['id']}/void").status_code == 409


def test_a_clone_is_a_new_draft_with_the_same_lines_and_none_of_the_originals_life(shop):
    original = shop.post("/v1/invoices", json={**_minimal(shop), "memo": "m", "finalize": True}).json()
    shop.post(f"/v1/invoices/{original['id']}/payments", json={"amount": 100})
    clone = shop.as_role("billing").post(f"/v1/invoices/{original['id']}/clone")
    assert clone.status_code == 201, clone.text
    body = clone.json()
    assert body["id"] != original["id"] and body["status"] == "draft" and body["number"] is None
    assert body["cloned_from"] == original["id"] and body["payments"] == [] and body["memo"] == "m"
    assert body["lines"] == original["lines"] and body["total"] == original["total"]


def test_filters_combine_and_across_properties_or_within_status(shop):
    other = shop.post("/v1/customers", json={"type": "person", "first_name": "Eva", "last_name": "Roth"}).json()
    small = draft(shop, lines=[{"name": "a", "unit_price": "5.00"}])
    big_open = shop.post(
        "/v1/invoices", json={**_minimal(shop), "lines": [{"name": "b", "unit_price": "500.00"}], "finalize": True}
    ).json()
    paid = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    shop.post(f"/v1/invoices/{paid['id']}/payments", json={"amount": paid["total"]})
    overdue = shop.post(
        "/v1/invoices",
        json={"customer_id": other["id"], "lines": [{"name": "c", "unit_price": "1"}], "due_date": "2026-01-31"},
    ).json()
    shop.post(f"/v1/invoices/{overdue['id']}/finalize")

    def ids(**params):
        response = shop.get("/v1/invoices", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["data"]]

    assert ids() == [overdue["id"], paid["id"], big_open["id"], small["id"]]  # newest first
    assert ids(status="open,paid") == [overdue["id"], paid["id"], big_open["id"]]
    assert ids(status="open", amount_min=10000) == [big_open["id"]]
    assert ids(amount_max=999) == [overdue["id"], small["id"]]
    assert ids(customer_id=other["id"]) == [overdue["id"]]
    assert ids(overdue="true") == [overdue["id"]]
    assert ids(number=paid["number"]) == [paid["id"]]
    assert ids(due_to="2026-02-01") == [overdue["id"]]
    assert ids(status="draft", customer_id=other["id"]) == []
    today = shop.get(f"/v1/invoices/{small['id']}").json()["created_at"][:10]
    assert ids(created_to="2000-01-01") == [] and ids(created_from=today) == ids()
    assert ids(created_from=today, created_to=today, customer_id=other["id"]) == [overdue["id"]]
    assert ids(created_from="2999-01-01", customer_id=shop.customer["id"]) == []
    assert shop.get(f"/v1/invoices/{overdue['id']}").json()["overdue"] is True
    page = shop.get("/v1/invoices", params={"limit": 2}).json()
    rest = shop.get("/v1/invoices", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["id"] for i in page["data"] + rest["data"]] == ids()
    bad = shop.get("/v1/invoices", params={"status": "open,unknown"})
    assert bad.status_code == 422 and fields_of(bad) == ["status"]
    backwards = shop.get("/v1/invoices", params={"amount_min": 10, "amount_max": 5})
    assert backwards.status_code == 422 and fields_of(backwards) == ["amount_max"]


def test_bad_input_names_each_field_and_writes_nothing(shop):
    response = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [
                {"name": "x", "unit_price": "1", "billing_start": {"type": "delay_days", "days": 3}},
                {"unit_price": "-1", "name": "y"},
                {"product_id": "prod_01JAAAAAAAAAAAAAAAAAAAAAAA"},
            ],
        },
    )
    assert response.status_code == 422
    assert fields_of(response) == ["lines.0.billing_start"]
    response = shop.post(
        "/v1/invoices",
        json={"customer_id": shop.customer["id"], "lines": [{"unit_price": "-1", "name": "y"}, {"name": "z"}]},
    )
    assert response.status_code == 422 and fields_of(response) == ["lines.0.unit_price", "lines.1.unit_price"]
    unknown = shop.post("/v1/invoices", json={**_minimal(shop), "customer_id": "cus_01JAAAAAAAAAAAAAAAAAAAAAAA"})
    assert unknown.status_code == 422 and fields_of(unknown) == ["customer_id"]
    both = shop.post("/v1/invoices", json={**_minimal(shop), "payment_terms": "net_7", "due_date": "2026-12-01"})
    assert both.status_code == 422 and fields_of(both) == ["due_date"]
    days = shop.post("/v1/invoices", json={**_minimal(shop), "payment_terms": "net_days"})
    assert days.status_code == 422 and fields_of(days) == ["days_until_due"]
    currency = shop.post("/v1/invoices", json={**_minimal(shop), "currency": "usd"})
    assert currency.status_code == 422 and fields_of(currency) == ["currency"]
    associated = shop.post(
        "/v1/invoices", json={**_minimal(shop), "associated_customer_ids": ["cus_01JAAAAAAAAAAAAAAAAAAAAAAA"]}
    )
    assert associated.status_code == 422 and fields_of(associated) == ["associated_customer_ids.0"]
    assert shop.get("/v1/invoices").json()["data"] == []


def test_roles_and_tenants(shop, new_tenant):
    invoice = draft(shop)
    viewer = shop.as_role("viewer")
    assert viewer.get(f"/v1/invoices/{invoice['id']}").status_code == 200
    assert viewer.post("/v1/invoices", json=_minimal(shop)).status_code == 403
    assert viewer.post(f"/v1/invoices/{invoice['id']}/finalize").status_code == 403
    billing = shop.as_role("billing")
    assert billing.post(f"/v1/invoices/{invoice['id']}/finalize").status_code == 200
    stranger = new_tenant()
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/finalize"),
        ("POST", "/void"),
        ("POST", "/clone"),
        ("GET", "/history"),
    ]:
        body = {"memo": "x"} if method == "PATCH" else None
        answer = stranger.request(method, f"/v1/invoices/{invoice['id']}{path}", json=body)
        assert answer.status_code == 404, (method, path, answer.text)
    assert stranger.get("/v1/invoices").json()["data"] == []


def test_an_idempotency_key_makes_a_retried_create_one_invoice(shop):
    headers = {"Idempotency-Key": "inv-create-1"}
    first = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}, headers=headers)
    again = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.json()["number"] == "RE-2026-000001"
    other = shop.post("/v1/invoices", json={**_minimal(shop), "memo": "different"}, headers=headers)
    assert other.status_code == 422 and fields_of(other) == ["Idempotency-Key"]
    assert len(shop.get("/v1/invoices").json()["data"]) == 1


def test_a_customer_with_invoices_cannot_be_deleted(shop):
    draft(shop)
    refused = shop.delete(f"/v1/customers/{shop.customer['id']}")
    assert refused.status_code == 409 and "invoice" in refused.json()["error"]["message"]


def test_export_the_chosen_invoices_or_the_filters_result_with_chosen_columns(shop):
    import csv
    import io

    import requests
    from openpyxl import load_workbook

    other = shop.post("/v1/customers", json={"type": "company", "company_name": "=HYPERLINK(1)"}).json()
    first = shop.post("/v1/invoices", json={**_minimal(shop), "finalize": True}).json()
    second = shop.post(
        "/v1/invoices",
        json={
            "customer_id": other["id"],
            "lines": [{"name": "b", "unit_price": "1234.5"}],
            "associated_customer_ids": [shop.customer["id"]],
        },
    ).json()
    chosen = shop.post(
        "/v1/invoices/export",
        json={"format": "csv", "ids": [second["id"]], "columns": ["number", "customer_name", "total", "status"]},
    )
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["rows"] == 1
    text = requests.get(chosen.json()["url"], timeout=30).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["number", "customer_name", "total", "status"],
        ["", "'=HYPERLINK(1)", "1234.50", "draft"],  # a formula is exported as text
    ]
    opened = shop.as_role("viewer").post("/v1/invoices/export", json={"status": ["open"]})
    assert opened.status_code == 201 and opened.json()["rows"] == 1
    sheet = load_workbook(io.BytesIO(requests.get(opened.json()["url"], timeout=30).content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert header[:4] == ["id", "number", "status", "overdue"] and "associated_customer_ids" in header
    assert rows[1][:3] == [first["id"], "RE-2026-000001", "open"]
    assert rows[1][header.index("total")] == 10
    bad = shop.post("/v1/invoices/export", json={"columns": ["number", "secret"]})
    assert bad.status_code == 422 and fields_of(bad) == ["columns.1"]


def test_an_invoice_racing_its_customers_delete_never_outlives_the_customer(api):
    """A create and a delete of its customer racing: either the delete fails (its version
    moved, or it sees the invoice) or the create fails naming customer_id; never both succeed."""
    for _ in range(6):
        customer = api.post("/v1/customers", json={"type": "company", "company_name": "Race GmbH"}).json()
        body = {"customer_id": customer["id"], "lines": [{"name": "x", "unit_price": "1"}]}
        with ThreadPoolExecutor(max_workers=4) as pool:
            creates = [pool.submit(api.post, "/v1/invoices", json=body) for _ in range(3)]
            deleted = pool.submit(api.delete, f"/v1/customers/{customer['id']}")
            created = [c.result() for c in creates]
            deleted = deleted.result()
        assert deleted.status_code in (204, 409), deleted.text
        for answer in created:
            assert answer.status_code in (201, 422), answer.text
            if answer.status_code == 422:
                assert fields_of(answer) == ["customer_id"]
        if deleted.status_code == 204:
            assert [c.status_code for c in created] == [422, 422, 422]
            assert api.get("/v1/invoices", params={"customer_id": customer["id"]}).json()["data"] == []
        else:
            made = [c.json()["id"] for c in created if c.status_code == 201]
            assert made and all(api.get(f"/v1/invoices/{i}").status_code == 200 for i in made)
