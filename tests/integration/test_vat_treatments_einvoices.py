"""Every VAT treatment's invoice, as the buyer gets it: the PDF says why no (or which) VAT is
charged, and both e-invoice formats (ZUGFeRD's embedded XML and the XRechnung) break no rule of
the official EN 16931 schematron, with the category, rate and exemption each treatment asks for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from tests.integration.test_einvoices import NS, XRECHNUNG_SELLER, broken_rules, download
from tests.integration.test_invoice_documents import pdf_of, text_of

ADDRESSES = {
    "AT": {"line1": "Ring 1", "postal_code": "1010", "city": "Wien", "country": "AT"},
    "CH": {"line1": "Bahnhofstrasse 1", "postal_code": "8001", "city": "Zürich", "country": "CH"},
    "DE": {"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
}
CASES = {
    # treatment: (settings, customer, the breakdown's category, rate and exemption code, what the PDF says)
    "reverse_charge": (
        {},
        {"type": "company", "company_name": "Wiener Bau GmbH", "vat_id": "ATU13585627", "country": "AT"},
        ("AE", Decimal("0.00"), "VATEX-EU-AE"),
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)",
    ),
    "outside_eu": (
        {"business_register_court": "Amtsgericht Charlottenburg", "business_register_number": "HRB 123456 B"},
        {"type": "company", "company_name": "Zürcher AG", "country": "CH"},
        ("O", None, "VATEX-EU-O"),  # no rate outside the scope of VAT (BR-O-05)
        "Nicht im Inland steuerbare Leistung",
    ),
    "small_business": (
        {"small_business": True},
        {"type": "company", "company_name": "Muster GmbH", "country": "DE"},
        ("E", Decimal("0.00"), None),
        "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
    ),
    "eu_consumer": (
        {"oss_enabled": True},
        {"type": "person", "first_name": "Anna", "last_name": "Gruber", "country": "AT"},
        ("S", Decimal("20.00"), None),
        "USt. AT",
    ),
}  # fmt: skip


@pytest.mark.parametrize("treatment", CASES)
def test_each_treatments_invoice_says_why_and_both_e_invoices_break_no_rule(api, treatment):
    settings, buyer, (category, rate, code), printed = CASES[treatment]
    answer = api.patch("/v1/settings", json=XRECHNUNG_SELLER | {"business_country": "DE"} | settings)
    assert answer.status_code == 200, answer.text
    buyer = dict(buyer)
    customer = api.post(
        "/v1/customers", json=buyer | {"billing_email": "ap@kunde.example", "address": ADDRESSES[buyer.pop("country")]}
    )
    assert customer.status_code == 201, customer.text
    invoice = api.post(
        "/v1/invoices",
        json={
            "customer_id": customer.json()["id"],
            "lines": [{"name": "Beratung", "unit_price": "100", "tax": {"name": "USt.", "percentage": "19"}}],
            "finalize": True,
        },
    ).json()
    assert invoice["vat_treatment"] == treatment, invoice
    assert invoice["total"] == 10000 + int((rate or 0) * 100)
    assert printed in text_of(pdf_of(api, invoice["id"]))

    from facturx import get_xml_from_pdf

    _, embedded = get_xml_from_pdf(download(api, invoice["id"], "zugferd"), check_xsd=False)
    xrechnung = download(api, invoice["id"], "xrechnung")
    for xml in (embedded, xrechnung):
        assert [rule for rule in broken_rules(xml) if not rule.startswith("FX-SCH-A-000556")] == []
        tree = etree.fromstring(xml)
        (breakdown,) = tree.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
        assert (
            breakdown.findtext("ram:CategoryCode", namespaces=NS),
            _rate(breakdown.findtext("ram:RateApplicablePercent", namespaces=NS)),
            breakdown.findtext("ram:ExemptionReasonCode", namespaces=NS),
        ) == (category, rate, code)
        vat_ids = [e.text for e in tree.iterfind(".//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", NS)]
        if treatment == "reverse_charge":
            assert vat_ids == ["DE999999995", "ATU13585627"]  # both, the seller's and the buyer's (BR-AE-02)
        if treatment == "outside_eu":
            assert vat_ids == []  # none outside the scope of VAT (BR-O-02); the register number names the seller
            assert tree.findtext(".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS) == (
                "HRB 123456 B"
            )


def test_an_outside_eu_invoice_without_the_register_number_says_what_it_lacks(api):
    assert api.patch("/v1/settings", json=XRECHNUNG_SELLER | {"business_country": "DE"}).status_code == 200
    customer = api.post(
        "/v1/customers", json={"type": "company", "company_name": "Zürcher AG", "address": ADDRESSES["CH"]}
    ).json()
    invoice = api.post(
        "/v1/invoices",
        json={"customer_id": customer["id"], "lines": [{"name": "Beratung", "unit_price": "100"}], "finalize": True},
    ).json()
    refused = api.get(f"/v1/invoices/{invoice['id']}/e-invoice", params={"format": "zugferd"})
    assert refused.status_code == 409
    assert "settings.business_register_number" in refused.json()["error"]["message"]


def test_a_vat_id_with_a_wrong_check_digit_is_refused_naming_the_field(api):
    refused = api.post("/v1/customers", json={"type": "company", "company_name": "X GmbH", "vat_id": "DE12"})
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["vat_id"]
    spaced = api.post("/v1/customers", json={"type": "company", "company_name": "X GmbH", "vat_id": "de 123 456 788"})
    assert spaced.json()["vat_id"] == "DE123456788"


def _rate(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.fixture
def vies(stack):
    """The VIES stand-in, restored after the test."""
    yield stack.vies
    stack.vies.unregistered.clear()
    stack.vies.unavailable = False


def test_reverse_charge_applies_only_to_a_vat_id_vies_confirmed(api, vies):
    assert api.patch("/v1/settings", json=XRECHNUNG_SELLER | {"business_country": "DE"}).status_code == 200
    vies.unregistered.add("ATU13585627")
    vies.unavailable = True
    body = {"type": "company", "company_name": "Wiener Bau GmbH", "vat_id": "ATU13585627", "address": ADDRESSES["AT"]}
    customer = api.post("/v1/customers", json=body).json()
    assert (customer["vat_id_check"]["status"], customer["vat_id_confirmed"]) == ("unavailable", False)
    line = {"name": "Beratung", "unit_price": "100", "tax": {"name": "USt.", "percentage": "19"}}
    unconfirmed = api.post("/v1/invoices", json={"customer_id": customer["id"], "lines": [line]}).json()
    assert (unconfirmed["vat_treatment"], unconfirmed["total"]) == ("eu_consumer", 11900)
    assert "not confirmed" in unconfirmed["vat_treatment_note"]

    vies.unavailable = False
    not_registered = api.post(f"/v1/customers/{customer['id']}/vat-id/check").json()
    assert not_registered["vat_id_check"]["status"] == "not_confirmed"
    vies.unregistered.clear()
    confirmed = api.post(f"/v1/customers/{customer['id']}/vat-id/check").json()
    assert confirmed["vat_id_confirmed"] and confirmed["vat_id_check"]["reference"].startswith("WAPI")
    assert vies.asked[-1] == {
        "countryCode": "AT",
        "vatNumber": "U13585627",
        "requesterMemberStateCode": "DE",
        "requesterNumber": "999999995",
    }
    reverse = api.post("/v1/invoices", json={"customer_id": customer["id"], "lines": [line]}).json()
    assert (reverse["vat_treatment"], reverse["total"]) == ("reverse_charge", 10000)
    timeline = api.get(f"/v1/customers/{customer['id']}/timeline").json()["data"]
    checks = [event["summary"] for event in timeline if event["type"] == "customer.vat_id_checked"]
    assert checks == [
        "VAT id ATU13585627 checked with VIES: confirmed",
        "VAT id ATU13585627 checked with VIES: not confirmed",
    ]
