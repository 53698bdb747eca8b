"""The customer screens in a real browser: a billing person creates a company customer with the
keyboard shortcut `c` `n` (a bad email is refused beside its field), corrects its address on the
customer's page, archives and restores it; an admin's delete is refused with the API's reasons;
a viewer sees no create button."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from tests.integration.console_helpers import browser_page, serious_violations, sign_in, team_member

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def test_a_billing_person_creates_a_customer_with_c_n_and_corrects_its_address(stack, api):
    assert api.patch("/v1/settings", json={"locale": "de_DE"}).ok
    email = team_member(stack, api.tenant, "billing")
    with browser_page() as page:
        sign_in(page, stack.url + "/customers", email)
        page.get_by_role("heading", name="Kunden").wait_for()
        page.keyboard.press("c")
        page.keyboard.press("n")
        dialog = page.get_by_role("dialog", name="Neuer Kunde")
        dialog.wait_for()
        expect(dialog.get_by_label("Firmenname")).to_be_focused()
        page.keyboard.type("Nordlicht Werkstatt GmbH")
        dialog.get_by_label("E-Mail", exact=True).fill("buchhaltung-at-nordlicht")
        dialog.get_by_label("Straße und Hausnummer").first.fill("Hafenstraße 1")
        dialog.get_by_label("PLZ").first.fill("20095")
        dialog.get_by_label("Ort").first.fill("Hamburg")
        assert serious_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/new-customer.png")
        dialog.get_by_role("button", name="Kunde anlegen").press("Enter")  # the keyboard alone
        email_field = dialog.get_by_label("E-Mail", exact=True)
        expect(email_field).to_have_attribute("aria-invalid", "true")
        error_id = email_field.get_attribute("aria-describedby") or ""
        assert "email" in page.locator(f"[id='{error_id.split()[-1]}']").inner_text().lower()
        assert api.get("/v1/customers", params={"search": "Nordlicht"}).json()["data"] == []  # nothing written

        email_field.fill("buchhaltung@nordlicht.example")
        dialog.get_by_role("button", name="Kunde anlegen").click()
        page.get_by_role("heading", name="Nordlicht Werkstatt GmbH").wait_for()
        assert "/customers/cus_" in page.url
        (customer,) = api.get("/v1/customers", params={"search": "Nordlicht"}).json()["data"]
        assert customer["email"] == "buchhaltung@nordlicht.example" and customer["address"]["city"] == "Hamburg"
        expect(page.get_by_text("Hafenstraße 1, 20095 Hamburg")).to_be_visible()
        assert serious_violations(page) == []

        page.get_by_role("tab", name="Adressen").click()
        page.get_by_role("button", name="Adresse bearbeiten: Hafenstraße 1, 20095 Hamburg").click()
        form = page.get_by_role("dialog", name="Adresse bearbeiten")
        form.get_by_label("Straße und Hausnummer").fill("Speicherstadt 7")
        form.get_by_role("button", name="Speichern").click()
        expect(page.get_by_text("Speicherstadt 7, 20095 Hamburg")).to_be_visible()
        assert api.get(f"/v1/customers/{customer['id']}").json()["address"]["line1"] == "Speicherstadt 7"
        assert serious_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/customer-addresses.png")

        page.get_by_role("tab", name="Verlauf").click()
        expect(page.get_by_text("Address edited")).to_be_visible()  # the API records summaries in English

        page.get_by_role("button", name="Aktionen").click()
        page.get_by_role("menuitem", name="Archivieren").click()
        page.get_by_role("dialog", name="Diesen Kunden archivieren?").get_by_role("button", name="Archivieren").click()
        expect(page.get_by_text("Kunde archiviert.")).to_be_visible()
        expect(page.get_by_text("Archiviert", exact=True)).to_be_visible()
        assert api.get(f"/v1/customers/{customer['id']}").json()["archived"] is True
        page.get_by_role("button", name="Aktionen").click()
        page.get_by_role("menuitem", name="Wiederherstellen").click()
        page.get_by_role("dialog", name="Diesen Kunden wiederherstellen?").get_by_role(
            "button", name="Wiederherstellen"
        ).click()
        expect(page.get_by_text("Kunde wiederhergestellt.")).to_be_visible()
        assert api.get(f"/v1/customers/{customer['id']}").json()["archived"] is False
        page.get_by_role("button", name="Aktionen").click()
        expect(page.get_by_role("menuitem", name="Unwiderruflich löschen")).to_have_count(0)  # admins only


def test_an_admins_delete_is_refused_with_the_reasons_and_a_viewer_gets_no_form(stack, api):
    assert api.patch("/v1/settings", json={"locale": "de_DE"}).ok
    customer = api.post("/v1/customers", json={"type": "company", "company_name": "Altkunde AG"}).json()
    lines = [{"name": "Beratung", "unit_price": "100.00"}]
    assert api.post("/v1/invoices", json={"customer_id": customer["id"], "lines": lines}).status_code == 201
    admin = team_member(stack, api.tenant, "admin")
    viewer = team_member(stack, api.tenant, "viewer")
    with browser_page() as page:
        sign_in(page, f"{stack.url}/customers/{customer['id']}", admin)
        page.get_by_role("heading", name="Altkunde AG").wait_for()
        page.get_by_role("tab", name="Rechnungen und Zahlungen").click()
        expect(page.get_by_text("Entwurf", exact=True).first).to_be_visible()
        assert serious_violations(page) == []
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/customer-payments.png")
        page.get_by_role("button", name="Aktionen").click()
        page.get_by_role("menuitem", name="Unwiderruflich löschen").click()
        page.get_by_role("dialog", name="Diesen Kunden unwiderruflich löschen?").get_by_role(
            "button", name="Unwiderruflich löschen"
        ).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("customer cannot be deleted")
        expect(alert).to_contain_text("1 invoice")
        assert api.get(f"/v1/customers/{customer['id']}").status_code == 200

        page.get_by_role("button", name="Abmelden").click()
        sign_in(page, f"{stack.url}/customers/{customer['id']}", viewer)
        page.get_by_role("heading", name="Altkunde AG").wait_for()
        expect(page.get_by_role("button", name="Aktionen")).to_have_count(0)
        expect(page.get_by_role("button", name="Neu")).to_have_count(0)
        page.keyboard.press("c")
        page.keyboard.press("n")
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert serious_violations(page) == []
