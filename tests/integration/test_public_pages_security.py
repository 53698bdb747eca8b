"""The public pages under an outside security probe's findings, over real HTTP on the embedded
stack: a hosted invoice page trusts only its own Checkout Session, every response of /i and /s
carries the public pages' security headers, and the payment-method page ignores a setup session that
is not its own."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.conftest import Api, chromium, connect_stripe_account
from tests.integration.test_subscriptions_api import subscribe


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=30, **kwargs)


def post(url: str, **kwargs) -> requests.Response:
    return requests.post(url, allow_redirects=False, timeout=30, **kwargs)


def session_of(checkout_url: str) -> str:
    """The Checkout Session id in a (stand-in's) Checkout page address: …/c/pay/<cs_…>?account=…"""
    return urlsplit(checkout_url).path.rsplit("/", 1)[-1]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def connected_tenant(api: Api) -> Api:
    """A tenant with its own connected Stripe account, a business name and one customer with a
    billing email (``api.customer``)."""
    api.account = connect_stripe_account(api)
    api.patch("/v1/settings", json={"business_name": "Billow Demo GmbH"})
    api.email = f"ap-{uuid.uuid4().hex[:8]}@kunde.de"
    api.customer = api.post(
        "/v1/customers",
        json={"type": "company", "company_name": "Muster GmbH", "email": api.email, "billing_email": api.email},
    ).json()
    return api


def open_invoice(api: Api, unit_price: str = "100.00") -> dict:
    invoice = api.post(
        "/v1/invoices",
        json={
            "customer_id": api.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": unit_price}],
            "finalize": True,
        },
    )
    assert invoice.status_code == 201, invoice.text
    return invoice.json()


def start_checkout(invoice: dict) -> str:
    """The buyer clicks Pay; returns the Checkout page's address."""
    to_checkout = post(invoice["hosted_url"] + "/pay")
    assert to_checkout.status_code == 303, to_checkout.text
    return to_checkout.headers["Location"]


def subscription_with_link(api: Api) -> tuple[dict, str]:
    """A send-invoice subscription of the tenant's customer and the payment-method link sent for it."""
    created = subscribe(api, collection_method="send_invoice")
    assert created.status_code == 201, created.text
    (subscription,) = created.json()["data"]
    link = api.post(f"/v1/subscriptions/{subscription['id']}/payment-method-link")
    assert link.status_code == 201, link.text
    return subscription, link.json()["url"]


def start_setup(link: str) -> str:
    """The buyer clicks "Update payment method"; returns the Checkout page (setup mode)."""
    to_checkout = post(link + "/setup")
    assert to_checkout.status_code == 303, to_checkout.text
    return to_checkout.headers["Location"]


@pytest.fixture
def seller(api, standin) -> Api:
    """A connected tenant with one open invoice (``seller.invoice``)."""
    connected_tenant(api)
    api.invoice = open_invoice(api)
    return api


@pytest.fixture
def subscriber(api, standin) -> Api:
    """A connected tenant with a subscription (``subscriber.subscription``) and its payment-method
    link (``subscriber.link``)."""
    connected_tenant(api)
    api.subscription, api.link = subscription_with_link(api)
    return api


# ---------------------------------------------------------------- ?checkout= on the hosted invoice page


def shows_payment_pending(page: requests.Response) -> bool:
    assert page.status_code == 200, page.text
    return 'id="pending"' in page.text


def test_a_checkout_value_that_is_not_the_invoices_own_session_shows_the_normal_page(seller, new_tenant):
    """Rule: the hosted invoice page says "your payment is being confirmed" (and hides Pay) only
    for the invoice's own open Checkout Session; any other value (made up, another invoice's,
    another tenant's) shows the normal page with Pay."""
    own_session = session_of(start_checkout(seller.invoice))
    other_invoice_session = session_of(start_checkout(open_invoice(seller, "5.00")))
    other_tenant_session = session_of(start_checkout(open_invoice(connected_tenant(new_tenant()))))
    assert len({own_session, other_invoice_session, other_tenant_session}) == 3

    for value in ("anything", "cs_test_made_up", other_invoice_session, other_tenant_session):
        page = get(seller.invoice["hosted_url"], params={"checkout": value})
        assert not shows_payment_pending(page), value
        assert 'id="pay"' in page.text, value
    assert seller.get(f"/v1/invoices/{seller.invoice['id']}").json()["status"] == "open"


def test_the_invoices_own_open_checkout_session_shows_the_payment_as_being_confirmed(seller):
    """Rule (kept): back with the invoice's own Checkout Session while the invoice is still open,
    the page says the payment is being confirmed and offers no second Pay."""
    own_session = session_of(start_checkout(seller.invoice))
    page = get(seller.invoice["hosted_url"], params={"checkout": own_session})
    assert shows_payment_pending(page) and 'id="pay"' not in page.text


def test_a_session_replaced_by_an_edit_no_longer_counts_as_the_invoices_own(seller):
    """Rule: an edit closes the invoice's open Checkout Session; its id then shows the normal page."""
    old_session = session_of(start_checkout(seller.invoice))
    seller.patch("/v1/settings", json={"invoice_editing_allowed": True})
    assert seller.patch(f"/v1/invoices/{seller.invoice['id']}", json={"memo": "Neu"}).status_code == 200
    page = get(seller.invoice["hosted_url"], params={"checkout": old_session})
    assert not shows_payment_pending(page) and 'id="pay"' in page.text


# ---------------------------------------------------------------- the public pages' security headers


def policy_of(response: requests.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name.lower(): sources for name, *sources in directives}


def assert_public_page_headers(response: requests.Response, stack, what: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Cache-Control") == "no-store", what
    assert headers.get("Referrer-Policy") == "no-referrer", what
    policy = policy_of(response)
    assert policy.get("frame-ancestors") == ["'none'"], what
    assert policy.get("default-src") == ["'none'"], what
    assert policy.get("base-uri") == ["'none'"], what
    # The page's own POST (Pay, Update payment method) and the redirect on to Stripe Checkout.
    assert {"'self'", origin_of(stack.stripe_url)} <= set(policy.get("form-action", [])), what
    assert not any("unsafe" in source for sources in policy.values() for source in sources), what


def test_every_response_of_the_hosted_invoice_pages_carries_the_security_headers(seller, stack):
    """Rule: every /i response (the page, its error pages, the redirects to Checkout and to the
    PDF) is never framed, sniffed, cached or referred, under a Content-Security-Policy."""
    hosted = seller.invoice["hosted_url"]
    unknown = hosted.rsplit("/", 1)[0] + "/" + "x" * 32
    free = open_invoice(seller, "0")  # nothing due: Pay is refused
    responses = {
        "page": (get(hosted), 200),
        "page back from checkout": (get(hosted, params={"checkout": "cs_test_made_up"}), 200),
        "unknown link": (get(unknown), 404),
        "pay": (post(hosted + "/pay"), 303),
        "pay on an unknown link": (post(unknown + "/pay"), 404),
        "pay with nothing due": (post(free["hosted_url"] + "/pay"), 409),
        "pdf": (get(hosted + "/pdf"), 302),
        "pdf of an unknown link": (get(unknown + "/pdf"), 404),
    }
    for what, (response, status) in responses.items():
        assert response.status_code == status, (what, response.text)
        assert_public_page_headers(response, stack, what)


def test_every_response_of_the_payment_method_page_carries_the_security_headers(subscriber, stack):
    """Rule: every /s response (the page, its error pages, the redirect to Checkout) carries the
    same security headers as the hosted invoice page."""
    unknown = subscriber.link.rsplit("/", 1)[0] + "/" + "x" * 32
    responses = {
        "page": (get(subscriber.link), 200),
        "unknown link": (get(unknown), 404),
        "setup": (post(subscriber.link + "/setup"), 303),
        "setup on an unknown link": (post(unknown + "/setup"), 404),
    }
    cancelled = subscriber.post(
        f"/v1/subscriptions/{subscriber.subscription['id']}/cancel", json={"mode": "immediately", "confirm": True}
    )
    assert cancelled.status_code == 200, cancelled.text
    responses["setup of an ended subscription"] = (post(subscriber.link + "/setup"), 409)
    for what, (response, status) in responses.items():
        assert response.status_code == status, (what, response.text)
        assert_public_page_headers(response, stack, what)


def test_the_policy_lets_the_hosted_page_render_styled_and_pay_at_checkout_in_a_browser(seller, standin):
    """Rule: the Content-Security-Policy blocks nothing the hosted page itself uses: its inline
    styles apply, and Pay reaches Stripe Checkout (the form's POST and the redirect)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            view = browser.new_page(viewport={"width": 390, "height": 844})
            view.on(
                "console", lambda message: refused.append(message.text) if "Content Security" in message.text else None
            )
            view.goto(seller.invoice["hosted_url"])
            pay_colour = view.eval_on_selector("#pay", "button => getComputedStyle(button).backgroundColor")
            view.click("#pay")
            view.wait_for_selector("#card")  # the stand-in's Checkout page
        finally:
            browser.close()
    assert pay_colour == "rgb(53, 82, 216)"  # the template's .pay style applied
    assert refused == []


# ---------------------------------------------------------------- ?setup= on the payment-method page


def shows_method_saved(page: requests.Response) -> bool:
    assert page.status_code == 200, page.text
    assert 'id="update"' in page.text  # the normal page, with its button
    return 'id="saved"' in page.text


def test_a_setup_session_unknown_at_stripe_shows_the_page_normally(subscriber):
    """Rule: a ?setup= value Stripe does not know (made up, malformed) is ignored: the page shows
    as without it, not an error with Stripe's words."""
    for value in ("cs_bogus", "cs_test_" + "a" * 40, "../../v1/customers", "x"):
        page = get(subscriber.link, params={"setup": value})
        assert not shows_method_saved(page), value
        assert "No such" not in page.text and "resource_missing" not in page.text, value  # no error of Stripe's


def test_another_tenants_setup_session_is_ignored(subscriber, new_tenant):
    """Rule: a setup session of another tenant's page is not this page's: ignored, page shown."""
    other = connected_tenant(new_tenant())
    _, other_link = subscription_with_link(other)
    other_session = session_of(start_setup(other_link))
    page = get(subscriber.link, params={"setup": other_session})
    assert not shows_method_saved(page)


def test_another_subscriptions_completed_setup_session_is_ignored(subscriber, standin):
    """Rule: the page settles only its own subscription's setup session; a completed one of another
    subscription (same tenant) neither shows "saved" here nor changes this subscription's method."""
    other, other_link = subscription_with_link(subscriber)
    checkout = start_setup(other_link)
    completed = post(checkout, data={"card": "pm_card_visa"})
    assert completed.status_code == 303 and "?setup=" in completed.headers["Location"]
    standin.drain()
    page = get(subscriber.link, params={"setup": session_of(checkout)})
    assert not shows_method_saved(page)
    mine = subscriber.get(f"/v1/subscriptions/{subscriber.subscription['id']}").json()
    assert mine["payment_method_id"] == subscriber.subscription["payment_method_id"]
    assert subscriber.get(f"/v1/subscriptions/{other['id']}").json()["payment_method_id"]  # the webhook saved it there


def test_the_pages_own_completed_setup_session_still_saves_the_method(subscriber):
    """Rule (kept): back from Checkout with its own completed setup session, the page saves the
    method to its subscription and says so."""
    checkout = start_setup(subscriber.link)
    back = post(checkout, data={"card": "pm_card_visa"})
    assert back.status_code == 303
    page = get(back.headers["Location"])
    assert shows_method_saved(page) and "Visa card •••• 4242" in page.text
    saved = subscriber.get(f"/v1/subscriptions/{subscriber.subscription['id']}").json()
    assert saved["payment_method_id"]


# ---------------------------------------------------------------- the language of the pages


def test_the_payment_method_page_speaks_the_tenants_language_and_a_dead_link_the_browsers(subscriber):
    """Rule: a page of a known tenant is in the tenant's locale (one catalogue with the PDF and the
    emails); a link that opens nothing knows no tenant, so it answers in the browser's language."""
    assert subscriber.patch("/v1/settings", json={"locale": "de_DE"}).status_code == 200
    page = get(subscriber.link)
    assert page.status_code == 200 and '<html lang="de">' in page.text
    for words in ("Zahlungsmittel ändern", "Nächste Zahlung", "keines hinterlegt", "Ihr Abonnement", "1 × Hosting"):
        assert words in page.text, words
    assert "Update payment method" not in page.text

    dead = subscriber.link.rsplit("/", 1)[0] + "/" + "x" * 32
    german = get(dead, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
    english = get(dead, headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert (german.status_code, english.status_code) == (404, 404)
    assert "Dieser Link ist ungültig oder abgelaufen" in german.text and '<html lang="de">' in german.text
    assert "This link is not valid, or it expired" in english.text


def test_an_ended_subscriptions_setup_button_says_so_in_the_tenants_language(subscriber):
    assert subscriber.patch("/v1/settings", json={"locale": "de_DE"}).status_code == 200
    subscription = subscriber.subscription
    subscriber.post(f"/v1/subscriptions/{subscription['id']}/cancel", json={"mode": "immediately", "confirm": True})
    refused = post(subscriber.link + "/setup")
    assert refused.status_code == 409
    assert "Dieses Abonnement ist beendet" in refused.text and "canceled" not in refused.text
