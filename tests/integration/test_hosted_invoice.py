"""The hosted invoice page and online payment: opened by its token alone, paid through Stripe
Checkout on the tenant's connected account (the Stripe stand-in's Checkout page), marked paid once
whatever the order or number of webhook deliveries, the payment in the ledger."""

from __future__ import annotations

import io

import pytest
import requests

from tests.integration.conftest import chromium, connect_stripe_account


@pytest.fixture
def seller(shop, standin):
    """A tenant with a connected Stripe account and one open invoice of 119.00 EUR."""
    shop.account = connect_stripe_account(shop)
    shop.invoice = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": "100.00", "tax_rate_id": shop.rate["id"]}],
            "finalize": True,
        },
    ).json()
    assert shop.invoice["total"] == 11900
    return shop


def page(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=30, **kwargs)


def pay_at_checkout(seller, card: str = "pm_card_visa") -> requests.Response:
    """The buyer clicks Pay on the hosted page, picks a card on the Checkout page and pays;
    returns Checkout's redirect back to the hosted page, not yet followed."""
    to_checkout = requests.post(seller.invoice["hosted_url"] + "/pay", allow_redirects=False, timeout=30)
    assert to_checkout.status_code == 303, to_checkout.text
    checkout_url = to_checkout.headers["Location"]
    assert page(checkout_url).status_code == 200
    return requests.post(checkout_url, data={"card": card}, allow_redirects=False, timeout=30)


def test_the_page_opens_by_its_token_alone_and_shows_the_invoice_and_a_pay_button(seller, new_tenant):
    response = page(seller.invoice["hosted_url"])
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.text
    assert seller.invoice["number"] in body and "119.00" in body and 'id="pay"' in body
    assert "width=device-width" in body  # readable on a phone
    # The token is its own capability; the API still answers other tenants 404.
    assert new_tenant().get(f"/v1/invoices/{seller.invoice['id']}").status_code == 404
    pdf = page(seller.invoice["hosted_url"] + "/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_a_wrong_or_revoked_token_opens_nothing(seller):
    base = seller.invoice["hosted_url"].rsplit("/", 1)[0]
    for token in ("x" * 32, "short", "a" * 200, "%00" * 12):
        assert page(f"{base}/{token}").status_code == 404, token
    seller.post(f"/v1/invoices/{seller.invoice['id']}/void")
    gone = page(seller.invoice["hosted_url"])
    assert gone.status_code == 404 and "There is no invoice for this link" in gone.text
    assert requests.post(seller.invoice["hosted_url"] + "/pay", timeout=30).status_code == 404


def test_without_a_stripe_account_the_pay_button_says_so(shop):
    invoice = shop.post(
        "/v1/invoices",
        json={"customer_id": shop.customer["id"], "lines": [{"name": "x", "unit_price": "5"}], "finalize": True},
    ).json()
    refused = requests.post(invoice["hosted_url"] + "/pay", allow_redirects=False, timeout=30)
    assert refused.status_code == 409 and "online payment" in refused.text


def test_paying_at_checkout_marks_the_invoice_paid_once_and_records_the_payment(seller, standin):
    billing_email = f"ap-{seller.invoice['id'][-8:].lower()}@kunde.de"
    seller.patch(f"/v1/customers/{seller.customer['id']}", json={"billing_email": billing_email})
    standin.switches.copies = 3  # every event delivered three times
    back = pay_at_checkout(seller)
    assert back.status_code == 303 and back.headers["Location"].startswith(seller.invoice["hosted_url"])
    standin.drain()
    invoice = seller.get(f"/v1/invoices/{seller.invoice['id']}").json()
    assert invoice["status"] == "paid" and invoice["amount_due"] == 0
    (payment,) = invoice["payments"]
    assert payment["source"] == "online" and payment["amount"] == 11900 and payment["reference"].startswith("pi_")
    ledger = seller.get("/v1/payments", params={"customer_id": seller.customer["id"]}).json()["data"]
    assert [(p["id"], p["status"], p["amount"]) for p in ledger] == [(payment["payment_id"], "succeeded", 11900)]
    assert ledger[0]["processor_payment_id"] == payment["reference"]
    history = [e["type"] for e in seller.get(f"/v1/invoices/{seller.invoice['id']}/history").json()["data"]]
    assert history.count("paid_online") == 1
    from tests.integration.test_payments_api import mail_to

    (receipt,) = mail_to(billing_email)  # one receipt, however often the events came
    assert "€119.00" in receipt.body and payment["payment_id"] not in receipt.body  # no internal id
    shown = page(back.headers["Location"]).text
    assert 'id="paid"' in shown and 'id="pay"' not in shown
    # Paid online: it can be neither voided nor have this payment removed.
    assert seller.post(f"/v1/invoices/{seller.invoice['id']}/void").status_code == 409
    removed = seller.delete(f"/v1/invoices/{seller.invoice['id']}/payments/{payment['id']}")
    assert removed.status_code == 409


def test_the_buyer_back_before_the_webhook_sees_paid_and_the_late_events_change_nothing(seller, standin, stack):
    standin.switches.hold = True  # Stripe's events are late
    back = pay_at_checkout(seller)
    shown = page(back.headers["Location"])
    assert shown.status_code == 200 and 'id="paid"' in shown.text
    standin.switches.hold = False
    requests.post(f"{stack.stripe_url}/_standin/release", timeout=30)
    standin.drain()
    invoice = seller.get(f"/v1/invoices/{seller.invoice['id']}").json()
    assert invoice["status"] == "paid" and len(invoice["payments"]) == 1
    assert len(seller.get("/v1/payments", params={"customer_id": seller.customer["id"]}).json()["data"]) == 1


def test_a_declined_card_leaves_the_invoice_open(seller, standin):
    declined = pay_at_checkout(seller, "pm_card_chargeDeclined")
    assert declined.status_code == 200 and "declined" in declined.text
    standin.drain()
    assert seller.get(f"/v1/invoices/{seller.invoice['id']}").json()["status"] == "open"


# ---------------------------------------------------------------- in a real browser


def test_a_buyer_pays_in_a_headless_browser_and_comes_back_to_paid(seller, standin):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            view = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            view.goto(seller.invoice["hosted_url"])
            assert seller.invoice["number"] in view.inner_text("h1")
            screenshot = view.screenshot(full_page=True)
            view.click("#pay")
            view.wait_for_selector("#card")  # Stripe's (stand-in's) Checkout page
            view.select_option("#card", "pm_card_visa")
            view.click("#pay")
            view.wait_for_url(seller.invoice["hosted_url"] + "?checkout=*")
            status = view.inner_text("#status")
        finally:
            browser.close()
    assert status in ("Paid", "Bezahlt")
    image = Image.open(io.BytesIO(screenshot)).convert("L")
    colours = image.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 20, "the hosted page rendered blank"
    standin.drain()
    assert seller.get(f"/v1/invoices/{seller.invoice['id']}").json()["status"] == "paid"


def test_a_void_or_an_edit_closes_the_open_checkout(seller, standin):
    to_checkout = requests.post(seller.invoice["hosted_url"] + "/pay", allow_redirects=False, timeout=30)
    first_checkout = to_checkout.headers["Location"]
    seller.patch("/v1/settings", json={"invoice_editing_allowed": True})
    assert seller.patch(f"/v1/invoices/{seller.invoice['id']}", json={"memo": "Neu"}).status_code == 200
    closed = requests.post(first_checkout, data={"card": "pm_card_visa"}, allow_redirects=False, timeout=30)
    assert closed.status_code == 200 and "expired" in closed.text  # the edited invoice is not paid by the old page
    second = requests.post(seller.invoice["hosted_url"] + "/pay", allow_redirects=False, timeout=30)
    assert second.headers["Location"] != first_checkout
    assert seller.post(f"/v1/invoices/{seller.invoice['id']}/void").status_code == 200
    too_late = requests.post(
        second.headers["Location"], data={"card": "pm_card_visa"}, allow_redirects=False, timeout=30
    )
    assert too_late.status_code == 200 and "expired" in too_late.text
    standin.drain()
    assert seller.get("/v1/payments", params={"customer_id": seller.customer["id"]}).json()["data"] == []


def test_charging_the_card_on_file_pays_the_invoice_once(seller, standin, stack):
    import stripe

    from local.run import STRIPE_SECRET_KEY
    from tests.integration.test_payments_api import save_card

    client = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url})
    save_card(seller, client, standin)
    url = f"/v1/invoices/{seller.invoice['id']}/charge"
    charged = seller.as_role("billing").post(url)
    assert charged.status_code == 200, charged.text
    body = charged.json()
    assert body["status"] == "paid" and body["payments"][0]["source"] == "online"
    again = seller.post(url)
    assert again.status_code == 409
    objects = standin.accounts[seller.account].objects.values()
    assert len([o for o in objects if o["object"] == "payment_intent"]) == 1
    standin.drain()
    ledger = seller.get("/v1/payments", params={"customer_id": seller.customer["id"]}).json()["data"]
    assert [p["status"] for p in ledger] == ["succeeded"] and ledger[0]["id"] == body["payments"][0]["payment_id"]


def test_a_declined_charge_is_a_402_and_leaves_the_invoice_open(seller, standin, stack):
    import stripe

    from local.run import STRIPE_SECRET_KEY
    from tests.integration.test_payments_api import save_card

    client = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url})
    save_card(seller, client, standin, "pm_card_chargeCustomerFail")
    declined = seller.post(f"/v1/invoices/{seller.invoice['id']}/charge")
    assert declined.status_code == 402 and declined.json()["error"]["decline_code"] == "generic_decline"
    assert seller.get(f"/v1/invoices/{seller.invoice['id']}").json()["status"] == "open"
