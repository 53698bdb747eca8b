"""Tax rates where they belong: a product carries its rate, the tenant has a default, and a line
that names no tax takes its product's rate, else the tenant's default; a rate at 0 % says why
(zero-rated, or the exemption the tenant names), and the line carries the reason with it."""

from decimal import Decimal

import pytest

from billing.domain.access import Caller, Role
from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.orders import LineOrder, PreviewOrder, TaxOrder
from billing.domain.vat import VatCategory
from billing.services.catalog import CatalogService
from billing.services.pricing import PricingService
from tests.unit.fakes import FixedClock, InMemoryCatalog, InMemorySettings

ADMIN = Caller("acme", "u0", Role.ADMIN)
HEALING = "Steuerfrei nach § 4 Nr. 14 UStG"


class Library:
    def __init__(self):
        self.catalog, self.settings, clock = InMemoryCatalog(), InMemorySettings(), FixedClock()
        self.service = CatalogService(self.catalog, self.settings, clock)
        self.pricing = PricingService(self.catalog, self.settings, clock)
        self.standard = self.service.create_tax_rate(ADMIN, {"name": "USt.", "percentage": "19", "inclusive": False})
        self.reduced = self.service.create_tax_rate(ADMIN, {"name": "USt.", "percentage": "7", "inclusive": False})
        self.exempt = self.service.create_tax_rate(
            ADMIN, {"name": "steuerfrei", "percentage": "0", "inclusive": False, "exemption_reason": HEALING}
        )

    def product(self, tax_rate_id: str | None = None, name: str = "Buch"):
        fields = {"name": name, "unit_price": "10.00", "currency": "eur", "billing_frequency": "one_time"}
        return self.service.create_product(ADMIN, {**fields, "tax_rate_id": tax_rate_id})

    def taxes(self, *lines: LineOrder):
        preview = self.pricing.preview(ADMIN, PreviewOrder(lines=lines, currency="eur"))
        return [line.item.tax for line in preview.summary.lines]


@pytest.fixture
def library():
    return Library()


def test_a_line_takes_the_rate_it_names_else_its_products_else_the_tenants_default(library):
    book = library.product(library.reduced.id)
    chair = library.product(None, "Stuhl")
    library.service.update_settings(ADMIN, {"default_tax_rate_id": library.standard.id})

    named, of_product, of_tenant, written = library.taxes(
        LineOrder(product_id=book.id, tax_rate_id=library.exempt.id),
        LineOrder(product_id=book.id),
        LineOrder(product_id=chair.id),
        LineOrder(product_id=book.id, tax=TaxOrder("16", "USt. alt")),
    )

    assert (named.tax_rate_id, named.percentage) == (library.exempt.id, Decimal(0))
    assert (of_product.tax_rate_id, of_product.percentage) == (library.reduced.id, Decimal(7))
    assert (of_tenant.tax_rate_id, of_tenant.percentage) == (library.standard.id, Decimal(19))
    assert (written.tax_rate_id, written.percentage) == (None, Decimal(16))


def test_a_custom_line_takes_the_tenants_default_and_without_one_has_no_tax(library):
    custom = LineOrder(name="Anfahrt", unit_price="40.00")
    assert library.taxes(custom) == [None]
    library.service.update_settings(ADMIN, {"default_tax_rate_id": library.standard.id})
    (tax,) = library.taxes(custom)
    assert (tax.tax_rate_id, tax.vat_category) == (library.standard.id, VatCategory.STANDARD)


def test_rates_a_line_implies_are_read_in_one_more_batch_only_when_the_first_lacks_them(library):
    book = library.product(library.reduced.id)
    reads = []
    get_catalog = library.catalog.get_catalog
    library.catalog.get_catalog = lambda *args: reads.append(args[1:]) or get_catalog(*args)

    library.taxes(LineOrder(product_id=book.id, tax_rate_id=library.standard.id))
    assert len(reads) == 1  # the line names its rate: nothing implied
    reads.clear()
    library.taxes(LineOrder(product_id=book.id))
    assert reads == [({book.id}, set()), (set(), {library.reduced.id})]


def test_an_exempt_line_carries_its_reason_and_category(library):
    (tax,) = library.taxes(LineOrder(name="Behandlung", unit_price="80", tax_rate_id=library.exempt.id))
    assert tax.vat_category is VatCategory.EXEMPT
    assert tax.exemption_reason == HEALING


def test_a_rate_at_0_percent_without_a_reason_is_refused_naming_the_field(library):
    with pytest.raises(ValidationFailed) as refused:
        library.service.create_tax_rate(ADMIN, {"name": "frei", "percentage": "0", "inclusive": False})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("exemption_reason", "a line at 0 % says why: name the exemption, e.g. 'Steuerfrei nach § 4 Nr. 14 UStG'")
    ]


def test_a_zero_rated_rate_needs_no_reason_and_a_standard_rate_is_above_0(library):
    zero = library.service.create_tax_rate(
        ADMIN, {"name": "Nullsatz", "percentage": "0", "inclusive": False, "category": VatCategory.ZERO_RATED}
    )
    assert zero.category is VatCategory.ZERO_RATED
    with pytest.raises(ValidationFailed, match="category"):
        library.service.create_tax_rate(
            ADMIN, {"name": "x", "percentage": "0", "inclusive": False, "category": VatCategory.STANDARD}
        )
    with pytest.raises(ValidationFailed) as refused:
        library.service.create_tax_rate(
            ADMIN, {"name": "x", "percentage": "19", "inclusive": False, "category": VatCategory.EXEMPT}
        )
    assert {e.field for e in refused.value.errors} == {"percentage", "exemption_reason"}


def test_a_reverse_charge_is_no_rate_of_the_library(library):
    with pytest.raises(ValidationFailed, match="follow from the buyer"):
        library.service.create_tax_rate(
            ADMIN, {"name": "RC", "percentage": "0", "inclusive": False, "category": VatCategory.REVERSE_CHARGE}
        )


def test_an_exemption_code_is_a_vatex_code_of_an_exempt_rate(library):
    coded = library.service.update_tax_rate(ADMIN, library.exempt.id, {"exemption_code": "VATEX-EU-132-1C"})
    assert coded.exemption_code == "VATEX-EU-132-1C"
    with pytest.raises(ValidationFailed, match="a VATEX code"):
        library.service.update_tax_rate(ADMIN, library.exempt.id, {"exemption_code": "§4"})
    with pytest.raises(ValidationFailed, match="only an exempt"):
        library.service.update_tax_rate(ADMIN, library.standard.id, {"exemption_code": "VATEX-EU-132-1C"})


def test_a_rate_moved_to_0_percent_becomes_exempt_and_must_say_why(library):
    with pytest.raises(ValidationFailed, match="exemption_reason"):
        library.service.update_tax_rate(ADMIN, library.reduced.id, {"percentage": "0"})
    moved = library.service.update_tax_rate(ADMIN, library.reduced.id, {"percentage": "0", "exemption_reason": "frei"})
    assert moved.category is VatCategory.EXEMPT
    back = library.service.update_tax_rate(ADMIN, moved.id, {"percentage": "7", "exemption_reason": ""})
    assert back.category is VatCategory.STANDARD


def test_a_tax_written_on_the_line_at_0_percent_says_why_too(library):
    with pytest.raises(ValidationFailed) as refused:
        library.taxes(LineOrder(name="x", unit_price="1", tax=TaxOrder("0", "frei")))
    assert [e.field for e in refused.value.errors] == ["lines.0.tax.exemption_reason"]
    (tax,) = library.taxes(LineOrder(name="x", unit_price="1", tax=TaxOrder("0", "frei", exemption_reason=HEALING)))
    assert (tax.vat_category, tax.exemption_reason) == (VatCategory.EXEMPT, HEALING)


def test_a_product_and_the_default_name_only_live_rates(library):
    library.service.set_tax_rate_archived(ADMIN, library.reduced.id, True)
    with pytest.raises(ValidationFailed) as refused:
        library.product(library.reduced.id)
    assert [(e.field, e.message) for e in refused.value.errors] == [("tax_rate_id", "the tax rate is archived")]
    with pytest.raises(ValidationFailed) as refused:
        library.service.update_settings(ADMIN, {"default_tax_rate_id": "tax_rate_nope"})
    assert [(e.field, e.message) for e in refused.value.errors] == [("default_tax_rate_id", "no such tax rate")]


def test_the_default_rate_is_not_archived_while_it_is_the_default(library):
    library.service.update_settings(ADMIN, {"default_tax_rate_id": library.standard.id})
    with pytest.raises(Conflict, match="default_tax_rate_id"):
        library.service.set_tax_rate_archived(ADMIN, library.standard.id, True)
    library.service.update_settings(ADMIN, {"default_tax_rate_id": None})
    assert library.service.set_tax_rate_archived(ADMIN, library.standard.id, True).archived


def test_a_line_whose_products_rate_was_archived_later_is_named(library):
    book = library.product(library.reduced.id)
    library.service.set_tax_rate_archived(ADMIN, library.reduced.id, True)
    with pytest.raises(ValidationFailed) as refused:
        library.taxes(LineOrder(product_id=book.id))
    assert [e.field for e in refused.value.errors] == ["lines.0.product_id"]
    assert "archived" in refused.value.errors[0].message


def test_a_line_keeps_the_rate_as_it_was_when_written(library):
    book = library.product(library.reduced.id)
    (before,) = library.taxes(LineOrder(product_id=book.id))
    library.service.update_tax_rate(ADMIN, library.reduced.id, {"percentage": "5"})
    (after,) = library.taxes(LineOrder(product_id=book.id))
    assert (before.percentage, after.percentage) == (Decimal(7), Decimal(5))


def test_a_category_written_as_text_is_read_as_its_code(library):
    with pytest.raises(ValidationFailed) as refused:
        library.service.create_tax_rate(ADMIN, {"name": "x", "percentage": "8", "inclusive": False, "category": "Z"})
    assert [(e.field, e.message) for e in refused.value.errors] == [("percentage", "a zero-rated rate is 0 %")]
