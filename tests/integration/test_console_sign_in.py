"""The console in a real browser: a billing person signs in with the user pool, lands on what
needs attention in the tenant's language, and pages through the customers with chosen columns."""

from __future__ import annotations

import os

import requests
from playwright.sync_api import expect

from tests.integration.console_helpers import browser_page, serious_violations, sign_in, team_member

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")  # a folder: the README's screenshots are made here


def test_a_billing_person_signs_in_and_pages_through_the_customers_in_german(stack, api):
    assert api.patch("/v1/settings", json={"business_name": "Muster Handwerk GmbH", "locale": "de_DE"}).ok
    for n in range(27):
        body = {"type": "company", "company_name": f"Kunde {n:02d} GmbH", "email": f"ap{n:02d}@kunde.example"}
        assert api.post("/v1/customers", json=body).status_code == 201
    email = team_member(stack, api.tenant, "billing")

    with browser_page() as page:
        page.goto(stack.url)
        page.get_by_role("heading", name="Bei Billow anmelden").wait_for()
        assert serious_violations(page) == []
        page.get_by_label("E-Mail").fill(email)
        page.get_by_label("Passwort").fill("wrong-Password-1")
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("alert").wait_for()
        assert page.get_by_role("alert").inner_text() == "E-Mail oder Passwort ist falsch."

        sign_in(page, stack.url, email)
        page.get_by_role("heading", name="Was Aufmerksamkeit braucht").wait_for()
        assert page.get_by_text("Muster Handwerk GmbH").is_visible()
        assert page.get_by_text("Buchhaltung").is_visible()  # the role, in German
        # A new tenant: nothing overdue, open or unpaid, and no billing run yet.
        expect(page.get_by_text("Keine", exact=True)).to_have_count(3)
        expect(page.get_by_text("Noch kein Abrechnungslauf")).to_be_visible()
        assert serious_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/home.png")

        page.get_by_role("link", name="Kunden").click()
        rows = page.locator("tbody tr")
        rows.first.wait_for()
        assert rows.count() == 25  # the first page
        assert page.locator("thead th").all_inner_texts() == ["Name", "Art", "E-Mail", "Debitor-Nr.", "Ort"]
        assert serious_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/customers.png")
        page.get_by_role("button", name="Nächste Seite").click()
        expect(rows).to_have_count(2)
        page.get_by_role("button", name="Erste Seite").click()
        expect(rows).to_have_count(25)

        page.get_by_placeholder("Name, E-Mail oder Debitorennummer suchen").fill("Kunde 07")
        expect(rows).to_have_count(1)
        assert rows.first.inner_text().startswith("Kunde 07 GmbH")

        page.get_by_role("button", name="Spalten").click()
        page.get_by_label("E-Mail", exact=True).uncheck()
        page.get_by_label("USt-IdNr.").check()
        page.keyboard.press("Escape")
        assert page.locator("thead th").all_inner_texts() == ["Name", "Art", "Debitor-Nr.", "USt-IdNr.", "Ort"]
        page.reload()  # the choice is kept, the tokens are not: signing in again shows it
        sign_in(page, stack.url + "/customers", email)
        page.locator("tbody tr").first.wait_for()
        assert page.locator("thead th").all_inner_texts() == ["Name", "Art", "Debitor-Nr.", "USt-IdNr.", "Ort"]

        page.get_by_role("button", name="Abmelden").click()
        page.get_by_role("heading", name="Bei Billow anmelden").wait_for()


def test_the_console_is_served_with_its_security_headers_and_cache_rules(stack):
    from tests.integration.console_helpers import require_console

    require_console()
    index = requests.get(f"{stack.url}/customers/cus_1", timeout=10)  # an app route: index.html
    assert index.status_code == 200 and '<div id="root">' in index.text
    assert index.headers["Cache-Control"] == "no-cache"
    policy = index.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and f"connect-src 'self' {stack.aws.endpoint}" in policy
    assert "max-age=" in index.headers["Strict-Transport-Security"]
    script = next(part.split('"')[0] for part in index.text.split('src="')[1:] if part.startswith("/assets/"))
    asset = requests.get(stack.url + script, timeout=10)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert requests.get(f"{stack.url}/v1/nope", timeout=10).json()["error"]["type"] == "not_found"
